//! The component table and the restart policy, without the kernel.
//!
//! A [`Record`] is what the supervisor remembers about a component between
//! instances: its name, image, manifest, generation and recent failures. The
//! kernel objects of the running instance live in the root task.
//!
//! Restart policy ([`Record::on_failure`]): with `Always { max_faults,
//! window_ms }`, a failure is followed by a restart unless this failure
//! makes `max_faults` failures within the last `window_ms` milliseconds;
//! then the component is held (stopped, kept in the table) until a person
//! restarts it, which also forgets its failure history.

use alloc::string::String;
use alloc::vec::Vec;

use pride_supervisor_api::manifest::{Manifest, RestartPolicy};

/// Life-cycle state of a component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Started, has not said `READY` yet.
    Starting,
    Running,
    /// Stopped by its restart policy after repeated failures.
    Held,
    /// Stopped by a person, or failed with restart policy `never`.
    Stopped,
    /// Ended itself with this exit code.
    Exited(u64),
}

impl State {
    /// One word for `ps`.
    pub fn name(&self) -> &'static str {
        match self {
            State::Starting => "starting",
            State::Running => "running",
            State::Held => "held",
            State::Stopped => "stopped",
            State::Exited(_) => "exited",
        }
    }
    /// True while an instance exists.
    pub fn is_live(&self) -> bool {
        matches!(self, State::Starting | State::Running)
    }
}

/// What to do after a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Restart,
    /// Too many failures: `faults` within `window_ms`.
    Hold {
        faults: u32,
        window_ms: u64,
    },
    /// Policy `never`.
    Stop,
}

/// A component the supervisor knows.
#[derive(Clone, Debug)]
pub struct Record {
    pub id: u32,
    pub name: String,
    pub image: String,
    pub manifest: Manifest,
    /// 1 for the first instance; each restart adds one (updates do not).
    pub generation: u64,
    pub state: State,
    /// Times (ms) of recent failures, oldest first.
    failures: Vec<u64>,
}

impl Record {
    pub fn new(id: u32, name: String, image: String, manifest: Manifest) -> Record {
        Record {
            id,
            name,
            image,
            manifest,
            generation: 1,
            state: State::Starting,
            failures: Vec::new(),
        }
    }

    /// Records a failure at `now_ms` and decides what happens next.
    pub fn on_failure(&mut self, now_ms: u64) -> Decision {
        match self.manifest.restart {
            RestartPolicy::Never => Decision::Stop,
            RestartPolicy::Always { max_faults, window_ms } => {
                self.failures.retain(|&t| now_ms.saturating_sub(t) < window_ms);
                self.failures.push(now_ms);
                if self.failures.len() as u32 >= max_faults {
                    Decision::Hold {
                        faults: self.failures.len() as u32,
                        window_ms,
                    }
                } else {
                    Decision::Restart
                }
            }
        }
    }

    /// A person restarted it: its failure history no longer counts.
    pub fn forgive(&mut self) {
        self.failures.clear();
    }

    /// Failures remembered within the policy window.
    pub fn recent_failures(&self) -> usize {
        self.failures.len()
    }
}

/// Why a name cannot be used for a new component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameError {
    Invalid,
    InUse,
}

/// The table of components.
#[derive(Default)]
pub struct Table {
    records: Vec<Record>,
    next_id: u32,
}

/// Most components in the table (ids fit the 12 bits of a client badge).
pub const MAX_COMPONENTS: usize = 64;

impl Table {
    pub fn new() -> Table {
        Table {
            records: Vec::new(),
            next_id: 1,
        }
    }

    /// Checks `name` is usable for a new component. A stopped, held or
    /// exited component's name is reused (the old record is replaced).
    pub fn check_name(&self, name: &str) -> Result<(), NameError> {
        let ok = !name.is_empty()
            && name.len() <= pride_supervisor_api::manifest::NAME_MAX
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(NameError::Invalid);
        }
        match self.by_name(name) {
            Some(r) if r.state.is_live() => Err(NameError::InUse),
            _ => Ok(()),
        }
    }

    /// Adds a record (replacing a dead one of the same name); returns its id,
    /// or `None` when the table is full.
    pub fn add(&mut self, name: String, image: String, manifest: Manifest) -> Option<u32> {
        self.records.retain(|r| r.name != name);
        if self.records.len() >= MAX_COMPONENTS || self.next_id > 0xfff {
            return None;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.records.push(Record::new(id, name, image, manifest));
        Some(id)
    }

    pub fn by_name(&self, name: &str) -> Option<&Record> {
        self.records.iter().find(|r| r.name == name)
    }
    pub fn by_name_mut(&mut self, name: &str) -> Option<&mut Record> {
        self.records.iter_mut().find(|r| r.name == name)
    }
    pub fn by_id(&self, id: u32) -> Option<&Record> {
        self.records.iter().find(|r| r.id == id)
    }
    pub fn by_id_mut(&mut self, id: u32) -> Option<&mut Record> {
        self.records.iter_mut().find(|r| r.id == id)
    }
    /// Every record, in launch order.
    pub fn iter(&self) -> impl Iterator<Item = &Record> {
        self.records.iter()
    }
    /// Forgets a record.
    pub fn remove(&mut self, id: u32) {
        self.records.retain(|r| r.id != id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    fn manifest(restart: RestartPolicy) -> Manifest {
        Manifest {
            name: "crash".to_string(),
            version: 1,
            priority: 100,
            quota_kib: 1024,
            offers: vec![],
            wants: vec![],
            restart,
            heap_kib: 0,
            cnode_bits: 8,
        }
    }

    #[test]
    fn restarts_until_too_many_failures_in_the_window() {
        let mut r = Record::new(
            1,
            "crash".into(),
            "crash".into(),
            manifest(RestartPolicy::Always {
                max_faults: 3,
                window_ms: 1000,
            }),
        );
        assert_eq!(r.on_failure(0), Decision::Restart);
        assert_eq!(r.on_failure(100), Decision::Restart);
        assert_eq!(
            r.on_failure(200),
            Decision::Hold {
                faults: 3,
                window_ms: 1000
            }
        );
    }

    #[test]
    fn old_failures_fall_out_of_the_window() {
        let mut r = Record::new(
            1,
            "c".into(),
            "c".into(),
            manifest(RestartPolicy::Always {
                max_faults: 3,
                window_ms: 1000,
            }),
        );
        assert_eq!(r.on_failure(0), Decision::Restart);
        assert_eq!(r.on_failure(500), Decision::Restart);
        assert_eq!(r.on_failure(1600), Decision::Restart); // the first two are older than 1 s
        assert_eq!(r.recent_failures(), 1);
        assert_eq!(r.on_failure(1700), Decision::Restart);
        assert_eq!(
            r.on_failure(1800),
            Decision::Hold {
                faults: 3,
                window_ms: 1000
            }
        );
        r.forgive();
        assert_eq!(r.on_failure(1900), Decision::Restart);
    }

    #[test]
    fn never_means_stop() {
        let mut r = Record::new(1, "c".into(), "c".into(), manifest(RestartPolicy::Never));
        assert_eq!(r.on_failure(0), Decision::Stop);
    }

    #[test]
    fn names_are_unique_among_live_components() {
        let mut t = Table::new();
        let m = manifest(RestartPolicy::Never);
        assert_eq!(t.check_name("a"), Ok(()));
        let id = t.add("a".into(), "hello".into(), m.clone()).unwrap();
        assert_eq!(t.check_name("a"), Err(NameError::InUse));
        assert_eq!(t.check_name("has space"), Err(NameError::Invalid));
        assert_eq!(t.check_name(""), Err(NameError::Invalid));
        t.by_id_mut(id).unwrap().state = State::Stopped;
        assert_eq!(t.check_name("a"), Ok(()));
        let id2 = t.add("a".into(), "hello".into(), m).unwrap();
        assert_ne!(id, id2);
        assert_eq!(t.iter().count(), 1);
    }
}
