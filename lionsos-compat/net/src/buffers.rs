//! Packet buffers in a data region: checking an offset names a whole
//! buffer, and reading or writing a frame a word at a time.

use alloc::vec::Vec;

use microkit::SharedRegion;
use sddf::net::BUFFER_SIZE;
use sddf::shared::SharedMemory;

/// True if `offset` is the start of a whole buffer in a region of `size`
/// bytes.
pub fn is_buffer(offset: u64, size: usize) -> bool {
    offset.is_multiple_of(BUFFER_SIZE as u64)
        && offset
            .checked_add(BUFFER_SIZE as u64)
            .is_some_and(|end| end <= size as u64)
}

/// The first `len` (at most [`BUFFER_SIZE`]) bytes of the buffer at
/// `offset` (which must satisfy [`is_buffer`]).
pub fn read_buffer(src: &SharedRegion, offset: usize, len: usize) -> Vec<u8> {
    let len = len.min(BUFFER_SIZE);
    let mut out = Vec::with_capacity(len.next_multiple_of(8));
    for at in (0..len).step_by(8) {
        out.extend_from_slice(&src.load_u64(offset + at).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Writes `data` (at most [`BUFFER_SIZE`] bytes) into the buffer at
/// `offset` (which must satisfy [`is_buffer`]); the last word is padded
/// with zeros.
pub fn write_buffer(dst: &mut SharedRegion, offset: usize, data: &[u8]) {
    let data = &data[..data.len().min(BUFFER_SIZE)];
    for (i, chunk) in data.chunks(8).enumerate() {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        dst.store_u64(offset + i * 8, u64::from_le_bytes(word));
    }
}
