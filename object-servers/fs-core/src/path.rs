//! Paths: the rules, checked in one place, and what the security server
//! is asked about each request.
//!
//! A path is `/` or `/NAME(/NAME)*`:
//!
//! | rule | error |
//! | --- | --- |
//! | UTF-8 (on the wire: bytes) and starts with `/` | `BadPath` |
//! | no empty name (`//`, a trailing `/`) | `BadPath` |
//! | no name `.` or `..` | `BadPath` |
//! | names use `A-Z a-z 0-9 . _ - + = , @ ~` only | `BadPath` |
//! | a name has at most [`NAME_MAX`] bytes | `NameTooLong` |
//! | the path has at most [`PATH_MAX`] bytes | `NameTooLong` |
//!
//! `PATH_MAX` is littlefs2's own limit (a path is a 256-byte C string), so
//! a valid path always reaches littlefs unchanged. The character set keeps
//! paths printable on the console and in the decision log and keeps `*`
//! (the security server's pattern wildcard), `:` and spaces out of object
//! names.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use security_srv::Operation;

use crate::error::FsError;
use crate::OpenFlags;

/// Longest name (one path component), in bytes.
pub const NAME_MAX: usize = 128;

/// Longest path, in bytes (littlefs2's `PathBuf::MAX_SIZE`).
pub const PATH_MAX: usize = 255;

/// The prefix of the security object names of files: `fs:/a/b`.
pub const OBJECT_PREFIX: &str = "fs:";

/// A path that follows the rules. The only way to make one is
/// [`FsPath::parse`] (or [`FsPath::join`], which checks too).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FsPath(String);

fn name_byte_ok(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+' | b'=' | b',' | b'@' | b'~')
}

/// Checks one name (a path component).
fn check_name(name: &str) -> Result<(), FsError> {
    if name.is_empty() || name == "." || name == ".." || !name.bytes().all(name_byte_ok) {
        return Err(FsError::BadPath);
    }
    if name.len() > NAME_MAX {
        return Err(FsError::NameTooLong);
    }
    Ok(())
}

impl FsPath {
    /// The root directory, `/`.
    pub fn root() -> FsPath {
        FsPath(String::from("/"))
    }

    /// Checks `s` against the path rules.
    pub fn parse(s: &str) -> Result<FsPath, FsError> {
        let rest = s.strip_prefix('/').ok_or(FsError::BadPath)?;
        if !rest.is_empty() {
            for name in rest.split('/') {
                check_name(name)?;
            }
        }
        if s.len() > PATH_MAX {
            return Err(FsError::NameTooLong);
        }
        Ok(FsPath(String::from(s)))
    }

    /// Checks bytes from the wire against the path rules.
    pub fn parse_bytes(bytes: &[u8]) -> Result<FsPath, FsError> {
        FsPath::parse(core::str::from_utf8(bytes).map_err(|_| FsError::BadPath)?)
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is `/`.
    pub fn is_root(&self) -> bool {
        self.0 == "/"
    }

    /// The last name, or `None` for `/`.
    pub fn name(&self) -> Option<&str> {
        if self.is_root() {
            return None;
        }
        self.0.rsplit('/').next()
    }

    /// The directory that holds this entry, or `None` for `/`.
    pub fn parent(&self) -> Option<FsPath> {
        if self.is_root() {
            return None;
        }
        match self.0.rfind('/') {
            Some(0) => Some(FsPath::root()),
            Some(i) => Some(FsPath(String::from(&self.0[..i]))),
            None => None,
        }
    }

    /// The entry `name` inside this directory.
    pub fn join(&self, name: &str) -> Result<FsPath, FsError> {
        check_name(name)?;
        let mut s = self.0.clone();
        if !self.is_root() {
            s.push('/');
        }
        s.push_str(name);
        if s.len() > PATH_MAX {
            return Err(FsError::NameTooLong);
        }
        Ok(FsPath(s))
    }

    /// Whether `self` is `other` or lies inside it.
    pub fn is_within(&self, other: &FsPath) -> bool {
        if other.is_root() || self == other {
            return true;
        }
        self.0
            .strip_prefix(other.as_str())
            .is_some_and(|rest| rest.starts_with('/'))
    }

    /// Its security object name: `fs:` followed by the path.
    pub fn object_name(&self) -> String {
        let mut s = String::with_capacity(OBJECT_PREFIX.len() + self.0.len());
        s.push_str(OBJECT_PREFIX);
        s.push_str(&self.0);
        s
    }

    /// The path for littlefs. Cannot fail for a valid path; mapped to
    /// `BadPath` rather than trusted.
    pub(crate) fn lfs(&self) -> Result<littlefs2::path::PathBuf, FsError> {
        littlefs2::path::PathBuf::try_from(self.0.as_str()).map_err(|_| FsError::BadPath)
    }
}

impl fmt::Display for FsPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A request, as far as the security server is concerned.
#[derive(Clone, Copy, Debug)]
pub enum Access<'a> {
    /// Opening a file with these flags.
    Open(&'a FsPath, OpenFlags),
    /// Reading through a handle open on this path.
    Read(&'a FsPath),
    /// Writing (or truncating) through a handle open on this path.
    Write(&'a FsPath),
    /// Asking the kind and size of an entry.
    Stat(&'a FsPath),
    /// Listing a directory.
    List(&'a FsPath),
    /// Making a directory.
    Mkdir(&'a FsPath),
    /// Removing a file or an empty directory.
    Remove(&'a FsPath),
    /// Renaming `from` to `to` (replacing what is at `to`).
    Rename(&'a FsPath, &'a FsPath),
    /// Total and free space.
    Usage,
    /// Flushing the device.
    Sync,
}

/// One decision to ask for: `operation` on the object named `object`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// `fs:/...`
    pub object: String,
    /// What is done to it.
    pub operation: Operation,
}

/// The decisions a request needs; all must allow it.
///
/// | request | object | operations |
/// | --- | --- | --- |
/// | open | the file | `read` if READ; `write` if WRITE (which TRUNCATE and APPEND need); `create` if CREATE |
/// | read through a handle | the handle's path | `read` |
/// | write, truncate through a handle | the handle's path | `write` |
/// | stat | the entry | `read` |
/// | readdir | the directory | `list` |
/// | mkdir | the new directory | `create` |
/// | unlink, rmdir | the entry | `delete` |
/// | rename | `from`; `to` | `delete` on `from`; `create` and `write` on `to` (it may replace a file there) |
/// | df | `fs:/` | `read` |
/// | sync | `fs:/` | `write` |
///
/// A component should check handle reads and writes on every request, not
/// only at open: decisions are cached, so this is cheap, and a policy
/// change then also applies to handles already open. A handle names a
/// path, so the path is the object.
pub fn checks(access: &Access<'_>) -> Vec<Check> {
    let check = |path: &FsPath, operation| Check {
        object: path.object_name(),
        operation,
    };
    let mut out = Vec::new();
    match *access {
        Access::Open(path, flags) => {
            if flags.contains(OpenFlags::READ) {
                out.push(check(path, Operation::Read));
            }
            if flags.contains(OpenFlags::WRITE) {
                out.push(check(path, Operation::Write));
            }
            if flags.contains(OpenFlags::CREATE) {
                out.push(check(path, Operation::Create));
            }
        }
        Access::Read(path) | Access::Stat(path) => out.push(check(path, Operation::Read)),
        Access::Write(path) => out.push(check(path, Operation::Write)),
        Access::List(path) => out.push(check(path, Operation::List)),
        Access::Mkdir(path) => out.push(check(path, Operation::Create)),
        Access::Remove(path) => out.push(check(path, Operation::Delete)),
        Access::Rename(from, to) => {
            out.push(check(from, Operation::Delete));
            out.push(check(to, Operation::Create));
            out.push(check(to, Operation::Write));
        }
        Access::Usage => out.push(check(&FsPath::root(), Operation::Read)),
        Access::Sync => out.push(check(&FsPath::root(), Operation::Write)),
    }
    out
}
