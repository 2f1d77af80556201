//! The message-info word that travels with every IPC (`seL4_MessageInfo`).
//!
//! 5.0.0 layout on 64-bit (from `shared_types_64.bf`), least significant first:
//!
//! | bits | field |
//! | --- | --- |
//! | 0..7 | length (message words) |
//! | 7..9 | extra caps |
//! | 9..12 | caps unwrapped |
//! | 12..32 | label (20 bits) |

/// A decoded message-info word.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct MessageInfo(pub u64);

/// Largest label that fits in the message-info word.
pub const LABEL_MAX: u64 = (1 << 20) - 1;

impl MessageInfo {
    /// Builds a message-info word. Fields are masked to their widths.
    pub const fn new(label: u64, caps_unwrapped: u64, extra_caps: u64, length: u64) -> Self {
        MessageInfo(
            ((label & LABEL_MAX) << 12) | ((caps_unwrapped & 0x7) << 9) | ((extra_caps & 0x3) << 7) | (length & 0x7f),
        )
    }
    /// The label: a protocol operation, an invocation label or a fault type.
    pub const fn label(self) -> u64 {
        (self.0 >> 12) & LABEL_MAX
    }
    /// Bit mask of the extra caps the kernel unwrapped into badges.
    pub const fn caps_unwrapped(self) -> u64 {
        (self.0 >> 9) & 0x7
    }
    /// Number of capabilities transferred with the message.
    pub const fn extra_caps(self) -> u64 {
        (self.0 >> 7) & 0x3
    }
    /// Number of message words.
    pub const fn length(self) -> u64 {
        self.0 & 0x7f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip() {
        let m = MessageInfo::new(0xabcde, 5, 2, 120);
        assert_eq!(m.label(), 0xabcde);
        assert_eq!(m.caps_unwrapped(), 5);
        assert_eq!(m.extra_caps(), 2);
        assert_eq!(m.length(), 120);
    }

    #[test]
    fn oversized_fields_are_masked_not_spilled() {
        let m = MessageInfo::new(LABEL_MAX + 1, 0, 0, 0x80);
        assert_eq!(m.label(), 0);
        assert_eq!(m.length(), 0);
        assert_eq!(m.0 >> 32, 0);
    }

    #[test]
    fn known_word() {
        // label 1, 1 extra cap, 7 words: 0x1000 | 0x80 | 7
        assert_eq!(MessageInfo::new(1, 0, 1, 7).0, 0x1087);
    }
}
