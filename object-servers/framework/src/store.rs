//! The `store` server's model: named objects, each kept in the donated
//! memory of the session that wrote it.
//!
//! An object's key and value are stored together in one block of the
//! writer's session memory; the server's own heap holds only the index (the
//! key and a handle), whose size is bounded by how many objects the
//! donations can hold. Overwriting moves the object into the new writer's
//! memory and frees the old block; closing a session drops its objects.

use alloc::collections::BTreeMap;
use alloc::string::String;

use crate::sessions::{SessionError, SessionMemory, Sessions};

/// Why a store operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreError {
    NotFound,
    /// The session's donation cannot hold the object (or the writer has no
    /// session).
    Quota(SessionError),
}

struct Object<B> {
    /// Session (badge) whose memory holds it.
    payer: u64,
    /// Key bytes, then value bytes.
    block: B,
}

/// Named objects.
pub struct Store<M: SessionMemory> {
    objects: BTreeMap<String, Object<M::Block>>,
}

impl<M: SessionMemory> Default for Store<M> {
    fn default() -> Self {
        Store {
            objects: BTreeMap::new(),
        }
    }
}

impl<M: SessionMemory> Store<M> {
    pub fn new() -> Store<M> {
        Store::default()
    }

    /// True if `key` exists.
    pub fn contains(&self, key: &str) -> bool {
        self.objects.contains_key(key)
    }

    /// Writes `value` under `key` into the memory of session `badge`.
    /// Returns true if the object is new.
    pub fn put(&mut self, sessions: &mut Sessions<M>, badge: u64, key: &str, value: &[u8]) -> Result<bool, StoreError> {
        let block = sessions
            .store(badge, &[key.as_bytes(), value])
            .map_err(StoreError::Quota)?;
        match self.objects.insert(key.into(), Object { payer: badge, block }) {
            Some(old) => {
                sessions.free(old.payer, old.block);
                Ok(false)
            }
            None => Ok(true),
        }
    }

    /// The value of `key`.
    pub fn get<'a>(&self, sessions: &'a Sessions<M>, key: &str) -> Result<&'a [u8], StoreError> {
        let o = self.objects.get(key).ok_or(StoreError::NotFound)?;
        let bytes = sessions.load(o.payer, &o.block).ok_or(StoreError::NotFound)?;
        bytes.get(key.len()..).ok_or(StoreError::NotFound)
    }

    pub fn delete(&mut self, sessions: &mut Sessions<M>, key: &str) -> Result<(), StoreError> {
        let o = self.objects.remove(key).ok_or(StoreError::NotFound)?;
        sessions.free(o.payer, o.block);
        Ok(())
    }

    /// Keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.objects.keys().map(String::as_str)
    }

    /// Forgets every object kept in session `badge`'s memory (the session
    /// ended and its memory goes back to the client). Returns how many.
    pub fn drop_session(&mut self, badge: u64) -> usize {
        let before = self.objects.len();
        self.objects.retain(|_, o| o.payer != badge);
        before - self.objects.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::VecMemory;
    use alloc::vec::Vec;

    fn two_sessions(capacity: u64) -> Sessions<VecMemory> {
        let mut s = Sessions::new();
        s.open(1, 10, VecMemory::new(0x4000_0000, capacity));
        s.open(2, 20, VecMemory::new(0x4000_4000, capacity));
        s
    }

    fn used(s: &Sessions<VecMemory>, badge: u64) -> u64 {
        s.get(badge).unwrap().memory.used()
    }

    #[test]
    fn objects_live_in_their_writers_memory() {
        let mut s = two_sessions(200);
        let mut st = Store::new();
        assert_eq!(st.put(&mut s, 1, "a", &[7; 100]), Ok(true));
        assert_eq!(used(&s, 1), 104); // 1 + 100 rounded up to 8
        assert_eq!(st.get(&s, "a"), Ok(&[7u8; 100][..]));
        // Overwritten by session 2: session 1 gets its memory back.
        assert_eq!(st.put(&mut s, 2, "a", b"x"), Ok(false));
        assert_eq!(used(&s, 1), 0);
        assert_eq!(st.get(&s, "a"), Ok(&b"x"[..]));
        assert!(matches!(st.put(&mut s, 1, "b", &[0; 300]), Err(StoreError::Quota(_))));
        assert_eq!(st.get(&s, "b"), Err(StoreError::NotFound));
        st.delete(&mut s, "a").unwrap();
        assert_eq!(used(&s, 2), 0);
        assert_eq!(st.delete(&mut s, "a"), Err(StoreError::NotFound));
        assert!(matches!(
            st.put(&mut s, 9, "c", b"no session"),
            Err(StoreError::Quota(SessionError::Unknown))
        ));
    }

    #[test]
    fn dropping_a_session_drops_its_objects() {
        let mut s = two_sessions(1000);
        let mut st = Store::new();
        st.put(&mut s, 1, "a", b"1").unwrap();
        st.put(&mut s, 2, "b", b"2").unwrap();
        assert_eq!(st.drop_session(1), 1);
        s.close(1);
        assert_eq!(st.keys().collect::<Vec<_>>(), ["b"]);
        assert_eq!(st.get(&s, "b"), Ok(&b"2"[..]));
    }

    #[test]
    fn a_full_session_fails_alone() {
        let mut s = two_sessions(64);
        let mut st = Store::new();
        let mut n = 0;
        while st.put(&mut s, 1, &alloc::format!("k{n}"), &[0; 20]).is_ok() {
            n += 1;
        }
        assert_eq!(n, 2); // 23 -> 24 bytes each, 64 bytes donated
        assert_eq!(st.put(&mut s, 2, "other", b"fine"), Ok(true));
        assert_eq!(used(&s, 1), 48);
    }

    proptest::proptest! {
        /// Any mix of writes, deletes and session ends across three
        /// sessions: the store answers like a plain map of the objects
        /// whose writer's session is still open, and each session's memory
        /// holds exactly its live objects (never more than it was given).
        #[test]
        fn agrees_with_a_model(ops in proptest::collection::vec((0u8..4, 1u64..4, 0u8..6, 0usize..40), 0..200)) {
            use alloc::collections::BTreeMap;
            let mut s = Sessions::new();
            for b in 1..4u64 {
                s.open(b, b as u32, VecMemory::new(b << 14, 160));
            }
            let mut st = Store::new();
            // key -> (writer, value)
            let mut model: BTreeMap<String, (u64, Vec<u8>)> = BTreeMap::new();
            for (op, badge, k, len) in ops {
                let key = alloc::format!("k{k}");
                match op {
                    0 | 1 => {
                        let value = alloc::vec![k; len];
                        // The new object is stored before an old one is freed.
                        let fits = s.get(badge).is_some_and(|x| {
                            x.memory.used() + ((key.len() + len).max(1) as u64).next_multiple_of(8) <= 160
                        });
                        let r = st.put(&mut s, badge, &key, &value);
                        proptest::prop_assert_eq!(r.is_ok(), fits);
                        if r.is_ok() {
                            model.insert(key.clone(), (badge, value));
                        }
                    }
                    2 => {
                        let want = model.remove(&key).is_some();
                        proptest::prop_assert_eq!(st.delete(&mut s, &key).is_ok(), want);
                    }
                    _ => {
                        st.drop_session(badge);
                        s.close(badge);
                        model.retain(|_, (w, _)| *w != badge);
                    }
                }
                for (key, (_, value)) in &model {
                    proptest::prop_assert_eq!(st.get(&s, key), Ok(&value[..]));
                }
                proptest::prop_assert_eq!(st.keys().count(), model.len());
                for b in 1..4u64 {
                    if let Some(session) = s.get(b) {
                        let want: u64 = model
                            .iter()
                            .filter(|(_, (w, _))| *w == b)
                            .map(|(k, (_, v))| ((k.len() + v.len()).max(1) as u64).next_multiple_of(8))
                            .sum();
                        proptest::prop_assert_eq!(session.memory.used(), want);
                        proptest::prop_assert!(want <= 160);
                    }
                }
            }
        }
    }
}
