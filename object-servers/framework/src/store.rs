//! The `store` server's model: named objects, charged to the session that
//! wrote them.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use crate::sessions::{SessionError, Sessions};

/// Bytes of session state an object costs beyond its key and value.
pub const OBJECT_OVERHEAD: u64 = 32;

/// Why a store operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreError {
    NotFound,
    /// The session's donation cannot hold the object.
    Quota(SessionError),
}

struct Object {
    value: Vec<u8>,
    /// Session (badge) charged for it, and how much.
    payer: u64,
    charged: u64,
}

/// Named objects.
#[derive(Default)]
pub struct Store {
    objects: BTreeMap<String, Object>,
}

impl Store {
    pub fn new() -> Store {
        Store {
            objects: BTreeMap::new(),
        }
    }

    /// True if `key` exists.
    pub fn contains(&self, key: &str) -> bool {
        self.objects.contains_key(key)
    }

    /// Writes `value` under `key`, charged to session `badge`. Returns true
    /// if the object is new.
    pub fn put(&mut self, sessions: &mut Sessions, badge: u64, key: &str, value: &[u8]) -> Result<bool, StoreError> {
        let cost = key.len() as u64 + value.len() as u64 + OBJECT_OVERHEAD;
        sessions.charge(badge, cost).map_err(StoreError::Quota)?;
        let new = Object {
            value: value.to_vec(),
            payer: badge,
            charged: cost,
        };
        match self.objects.insert(key.into(), new) {
            Some(old) => {
                // The previous writer's session gets its share back (if it
                // still exists).
                let _ = sessions.release(old.payer, old.charged);
                Ok(false)
            }
            None => Ok(true),
        }
    }

    pub fn get(&self, key: &str) -> Result<&[u8], StoreError> {
        self.objects
            .get(key)
            .map(|o| o.value.as_slice())
            .ok_or(StoreError::NotFound)
    }

    pub fn delete(&mut self, sessions: &mut Sessions, key: &str) -> Result<(), StoreError> {
        let o = self.objects.remove(key).ok_or(StoreError::NotFound)?;
        let _ = sessions.release(o.payer, o.charged);
        Ok(())
    }

    /// Keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.objects.keys().map(String::as_str)
    }

    /// Deletes every object paid for by session `badge` (its client went
    /// away and its donation is revoked). Returns how many.
    pub fn drop_session(&mut self, badge: u64) -> usize {
        let before = self.objects.len();
        self.objects.retain(|_, o| o.payer != badge);
        before - self.objects.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_charged_to_their_writer() {
        let mut s = Sessions::new();
        s.open(1, 10, 200);
        s.open(2, 20, 200);
        let mut st = Store::new();
        assert_eq!(st.put(&mut s, 1, "a", &[0; 100]), Ok(true));
        assert_eq!(s.get(1).unwrap().used, 1 + 100 + OBJECT_OVERHEAD);
        // Overwritten by session 2: session 1 gets its share back.
        assert_eq!(st.put(&mut s, 2, "a", b"x"), Ok(false));
        assert_eq!(s.get(1).unwrap().used, 0);
        assert_eq!(st.get("a"), Ok(&b"x"[..]));
        assert!(matches!(st.put(&mut s, 1, "b", &[0; 300]), Err(StoreError::Quota(_))));
        assert_eq!(st.get("b"), Err(StoreError::NotFound));
        st.delete(&mut s, "a").unwrap();
        assert_eq!(s.get(2).unwrap().used, 0);
        assert_eq!(st.delete(&mut s, "a"), Err(StoreError::NotFound));
    }

    #[test]
    fn dropping_a_session_drops_its_objects() {
        let mut s = Sessions::new();
        s.open(1, 10, 1000);
        s.open(2, 20, 1000);
        let mut st = Store::new();
        st.put(&mut s, 1, "a", b"1").unwrap();
        st.put(&mut s, 2, "b", b"2").unwrap();
        assert_eq!(st.drop_session(1), 1);
        assert_eq!(st.keys().collect::<Vec<_>>(), ["b"]);
    }
}
