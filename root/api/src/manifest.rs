//! Component manifests: what a component is and what it may do.
//!
//! Written as TOML beside each component (`components/<name>/manifest.toml`
//! or one per image), checked and encoded with postcard by the build tool,
//! and packed into the image archive as `<image>.manifest`. The root task
//! decodes them with [`Manifest::decode`], which validates every field, so a
//! corrupt archive entry is an error, not a crash.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// What the supervisor does when the component faults or panics.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RestartPolicy {
    /// Leave it stopped.
    Never,
    /// Restart it, unless it has failed `max_faults` times within
    /// `window_ms` milliseconds: then hold it (stopped) until a person
    /// restarts it.
    Always { max_faults: u32, window_ms: u64 },
}

/// A component manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Default component name.
    pub name: String,
    /// Version of the image (shown by `ps`, checked by state hand-over).
    pub version: u32,
    /// Scheduling priority (the root task runs at 255).
    pub priority: u8,
    /// Memory quota in KiB (rounded up to whole chunks).
    pub quota_kib: u32,
    /// Services this component serves (at most one for now).
    #[serde(default)]
    pub offers: Vec<String>,
    /// Services it may connect to, in the order of its `SLOT_WANTED_BASE + i` slots.
    #[serde(default)]
    pub wants: Vec<String>,
    pub restart: RestartPolicy,
    /// Heap mapped before the component starts, in KiB (charged to the
    /// quota). A server that the supervisor calls must never have to ask
    /// the supervisor for heap pages while serving (that would deadlock),
    /// so servers size this for their working set.
    #[serde(default)]
    pub heap_kib: u32,
    /// log2 of the slots in the component's CNode (8 unless it keeps many
    /// capabilities, like the resource manager's chunks).
    #[serde(default = "default_cnode_bits")]
    pub cnode_bits: u8,
}

/// The usual CNode: 256 slots.
pub const DEFAULT_CNODE_BITS: u8 = 8;
/// The largest CNode a manifest may ask for: 4096 slots (128 KiB).
pub const MAX_CNODE_BITS: u8 = 12;

fn default_cnode_bits() -> u8 {
    DEFAULT_CNODE_BITS
}

/// Why a manifest was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManifestError {
    /// The bytes are not a postcard-encoded manifest.
    Undecodable,
    /// A field is out of range (named).
    Invalid(&'static str),
}

/// Highest priority a component may have: the root task's own, 255, so a
/// server the root task calls can take seL4's IPC fastpath (which needs the
/// server at least at the caller's priority). Components get no
/// controlled priority (MCP 0), so they cannot raise anyone.
pub const MAX_PRIORITY: u8 = 255;
/// Most wanted services.
pub const MAX_WANTS: usize = 8;
/// Longest component or service name.
pub const NAME_MAX: usize = 24;

fn valid_name(n: &str) -> bool {
    !n.is_empty() && n.len() <= NAME_MAX && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Manifest {
    /// Checks the fields a supervisor relies on.
    pub fn validate(&self) -> Result<(), ManifestError> {
        if !valid_name(&self.name) {
            return Err(ManifestError::Invalid("name"));
        }
        if self.quota_kib == 0 || self.quota_kib > 64 * 1024 {
            return Err(ManifestError::Invalid("quota_kib"));
        }
        if self.offers.len() > 1 || !self.offers.iter().all(|s| valid_name(s)) {
            return Err(ManifestError::Invalid("offers"));
        }
        if self.heap_kib as u64 * 1024 > self.quota_kib as u64 * 1024 / 2 {
            return Err(ManifestError::Invalid("heap_kib"));
        }
        if !(DEFAULT_CNODE_BITS..=MAX_CNODE_BITS).contains(&self.cnode_bits) {
            return Err(ManifestError::Invalid("cnode_bits"));
        }
        if self.wants.len() > MAX_WANTS || !self.wants.iter().all(|s| valid_name(s)) {
            return Err(ManifestError::Invalid("wants"));
        }
        if let RestartPolicy::Always { max_faults, window_ms } = self.restart {
            if max_faults == 0 || window_ms == 0 {
                return Err(ManifestError::Invalid("restart"));
            }
        }
        Ok(())
    }

    /// Encodes (build tool side).
    pub fn encode(&self) -> Result<Vec<u8>, ManifestError> {
        self.validate()?;
        postcard::to_allocvec(self).map_err(|_| ManifestError::Undecodable)
    }

    /// Decodes and validates (supervisor side).
    pub fn decode(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let m: Manifest = postcard::from_bytes(bytes).map_err(|_| ManifestError::Undecodable)?;
        m.validate()?;
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    fn counter() -> Manifest {
        Manifest {
            name: "counter".to_string(),
            version: 1,
            priority: 200,
            quota_kib: 1024,
            offers: vec!["counter".to_string()],
            wants: vec![],
            restart: RestartPolicy::Always {
                max_faults: 3,
                window_ms: 10_000,
            },
            heap_kib: 64,
            cnode_bits: 8,
        }
    }

    #[test]
    fn round_trip() {
        let m = counter();
        assert_eq!(Manifest::decode(&m.encode().unwrap()), Ok(m));
    }

    #[test]
    fn invalid_fields_are_named() {
        let mut m = counter();
        m.quota_kib = 0;
        assert_eq!(m.encode(), Err(ManifestError::Invalid("quota_kib")));
        let mut m = counter();
        m.name = "bad name".to_string();
        assert_eq!(m.validate(), Err(ManifestError::Invalid("name")));
        let mut m = counter();
        m.restart = RestartPolicy::Always {
            max_faults: 0,
            window_ms: 1,
        };
        assert_eq!(m.validate(), Err(ManifestError::Invalid("restart")));
    }

    #[test]
    fn corrupt_bytes_never_panic() {
        let good = counter().encode().unwrap();
        for n in 0..good.len() {
            assert!(Manifest::decode(&good[..n]).is_err());
        }
        for i in 0..good.len() {
            for v in [0u8, 0xff, 0x7f, 0x80] {
                let mut b = good.clone();
                b[i] = v;
                if let Ok(m) = Manifest::decode(&b) {
                    assert!(m.validate().is_ok());
                }
            }
        }
    }
}
