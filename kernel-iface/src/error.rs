//! The kernel's error codes as a Rust enum.

use crate::abi::error_code as code;

/// Why the kernel refused an invocation. The kernel is never wrong here:
/// each variant says what the *caller* got wrong.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Sel4Error {
    /// An argument was out of its domain.
    InvalidArgument,
    /// A capability argument was of the wrong type or lacked rights.
    InvalidCapability,
    /// The invoked object does not support this operation.
    IllegalOperation,
    /// A numeric argument was outside the permitted range.
    RangeError,
    /// An address or size was not aligned as required.
    AlignmentError,
    /// A capability or a paging level could not be found.
    FailedLookup,
    /// The message was shorter than the invocation needs.
    TruncatedMessage,
    /// The destination slot is occupied.
    DeleteFirst,
    /// The object still has derived capabilities.
    RevokeFirst,
    /// The untyped has too little room left.
    NotEnoughMemory,
    /// A code this binding does not know (a kernel/ABI mismatch).
    Unknown(u64),
}

impl Sel4Error {
    /// Maps a reply label to an error; `None` for success (label 0).
    pub const fn from_code(c: u64) -> Option<Self> {
        Some(match c {
            code::NO_ERROR => return None,
            code::INVALID_ARGUMENT => Sel4Error::InvalidArgument,
            code::INVALID_CAPABILITY => Sel4Error::InvalidCapability,
            code::ILLEGAL_OPERATION => Sel4Error::IllegalOperation,
            code::RANGE_ERROR => Sel4Error::RangeError,
            code::ALIGNMENT_ERROR => Sel4Error::AlignmentError,
            code::FAILED_LOOKUP => Sel4Error::FailedLookup,
            code::TRUNCATED_MESSAGE => Sel4Error::TruncatedMessage,
            code::DELETE_FIRST => Sel4Error::DeleteFirst,
            code::REVOKE_FIRST => Sel4Error::RevokeFirst,
            code::NOT_ENOUGH_MEMORY => Sel4Error::NotEnoughMemory,
            other => Sel4Error::Unknown(other),
        })
    }

    /// A short name, for console reports.
    pub const fn name(self) -> &'static str {
        match self {
            Sel4Error::InvalidArgument => "invalid argument",
            Sel4Error::InvalidCapability => "invalid capability",
            Sel4Error::IllegalOperation => "illegal operation",
            Sel4Error::RangeError => "range error",
            Sel4Error::AlignmentError => "alignment error",
            Sel4Error::FailedLookup => "failed lookup",
            Sel4Error::TruncatedMessage => "truncated message",
            Sel4Error::DeleteFirst => "slot occupied (delete first)",
            Sel4Error::RevokeFirst => "object in use (revoke first)",
            Sel4Error::NotEnoughMemory => "not enough memory",
            Sel4Error::Unknown(_) => "unknown kernel error",
        }
    }
}

impl core::fmt::Display for Sel4Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Sel4Error::Unknown(c) => write!(f, "unknown kernel error {c}"),
            e => f.write_str(e.name()),
        }
    }
}

/// Result of an invocation.
pub type Result<T> = core::result::Result<T, Sel4Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_success_and_codes_map() {
        assert_eq!(Sel4Error::from_code(0), None);
        assert_eq!(Sel4Error::from_code(6), Some(Sel4Error::FailedLookup));
        assert_eq!(Sel4Error::from_code(10), Some(Sel4Error::NotEnoughMemory));
        assert_eq!(Sel4Error::from_code(99), Some(Sel4Error::Unknown(99)));
    }
}
