//! Donated memory: where the supervisor puts the memory a client lends an
//! object server for one session.
//!
//! Each object server has a *donation window* in its address space, cut
//! into [`WINDOW_SLOTS`] slots of [`SESSION_BYTES`]. When the supervisor
//! admits a client to an object server it retypes frames from an untyped
//! block of the **client's** resource container, maps them read-write into
//! a free slot of the server's window and names that slot's address in
//! `OPEN_SESSION`. The server keeps the session's objects there and
//! nowhere else, so the client pays for the state it causes. When the
//! session ends (`CLOSE_SESSION` with the same address) the server forgets
//! the slot, and the supervisor revokes the block: the frames disappear
//! from the server and the memory is the client's again.

/// First address of the window (above the heap's largest extent).
pub const WINDOW_BASE: u64 = 0x9000_0000;
/// Bytes in one slot: what a client donates for one session.
pub const SESSION_BYTES: u64 = 64 * 1024;
/// log2 of [`SESSION_BYTES`]: the size of the untyped block a loan is made from.
pub const SESSION_BITS: u32 = 16;
/// Slots in a window: the most sessions an object server holds at once.
pub const WINDOW_SLOTS: u64 = 128;

/// The address of window slot `slot`.
pub fn slot_address(slot: u64) -> Option<u64> {
    (slot < WINDOW_SLOTS).then_some(WINDOW_BASE + slot * SESSION_BYTES)
}

/// The slot whose memory starts at `address` and is `bytes` long, if there
/// is exactly such a slot.
pub fn slot_at(address: u64, bytes: u64) -> Option<u64> {
    let offset = address.checked_sub(WINDOW_BASE)?;
    let slot = offset / SESSION_BYTES;
    (bytes == SESSION_BYTES && offset % SESSION_BYTES == 0 && slot < WINDOW_SLOTS).then_some(slot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_and_addresses_agree() {
        assert_eq!(1u64 << SESSION_BITS, SESSION_BYTES);
        for s in 0..WINDOW_SLOTS {
            let a = slot_address(s).unwrap();
            assert_eq!(slot_at(a, SESSION_BYTES), Some(s));
            assert_eq!(slot_at(a + 8, SESSION_BYTES), None);
            assert_eq!(slot_at(a, SESSION_BYTES * 2), None);
        }
        assert_eq!(slot_address(WINDOW_SLOTS), None);
        assert_eq!(slot_at(WINDOW_BASE + WINDOW_SLOTS * SESSION_BYTES, SESSION_BYTES), None);
        assert_eq!(slot_at(WINDOW_BASE - SESSION_BYTES, SESSION_BYTES), None);
        assert_eq!(slot_at(0, SESSION_BYTES), None);
    }
}
