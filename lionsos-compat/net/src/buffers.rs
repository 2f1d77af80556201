//! Packet buffers in a data region: checking an offset names a whole
//! buffer, and copying a frame out of or into one (one bounds check, one
//! bulk copy).

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

/// Copies the first `out.len()` (at most [`BUFFER_SIZE`]) bytes of the
/// buffer at `offset` (which must satisfy [`is_buffer`]) into `out`.
pub fn read_buffer(src: &SharedRegion, offset: usize, out: &mut [u8]) {
    let len = out.len().min(BUFFER_SIZE);
    src.load_bytes(offset, &mut out[..len]);
}

/// Writes `data` (at most [`BUFFER_SIZE`] bytes) into the buffer at
/// `offset` (which must satisfy [`is_buffer`]).
pub fn write_buffer(dst: &mut SharedRegion, offset: usize, data: &[u8]) {
    let data = &data[..data.len().min(BUFFER_SIZE)];
    dst.store_bytes(offset, data);
}
