//! Little-endian word access to a message copied out of a slot. Offsets
//! are this crate's constants, always in range; an out-of-range offset
//! reads as zero and writes nothing rather than panicking.

use crate::layout::MSG_SIZE;

/// One queue slot's bytes: a command or a completion.
pub type Message = [u8; MSG_SIZE];

pub(crate) fn get(msg: &Message, offset: usize) -> u64 {
    let mut word = [0u8; 8];
    if let Some(bytes) = msg.get(offset..offset.saturating_add(8)) {
        word.copy_from_slice(bytes);
    }
    u64::from_le_bytes(word)
}

pub(crate) fn put(msg: &mut Message, offset: usize, value: u64) {
    if let Some(bytes) = msg.get_mut(offset..offset.saturating_add(8)) {
        bytes.copy_from_slice(&value.to_le_bytes());
    }
}

/// The first [`MSG_SIZE`] bytes of `raw` as a message, if it is exactly
/// that long.
pub(crate) fn exact(raw: &[u8]) -> Option<&Message> {
    raw.try_into().ok()
}

/// The `u64` at `offset` of `raw`, if `raw` is long enough.
pub(crate) fn word_at(raw: &[u8], offset: usize) -> Option<u64> {
    let bytes: [u8; 8] = raw.get(offset..offset.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}
