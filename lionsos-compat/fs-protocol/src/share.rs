//! The client's data region: copying paths out of it and names into it.
//!
//! Buffers name ranges of a region the client shares with the server
//! (LionsOS's `fs_share`); the client may write it at any time, so the
//! server copies a path into its own memory before looking at it, and
//! validates the copy, never the shared bytes.

use sddf::shared::SharedMemory;

use crate::command::{Buffer, BufferFault};
use crate::{MAX_NAME_LENGTH, MAX_PATH_LENGTH};

/// Room for the longest path.
pub type PathBuf = [u8; MAX_PATH_LENGTH as usize];

/// Server side: copies the path in `path` out of the client's region into
/// `out` and returns it, `path.size` bytes. Refuses a buffer that fails
/// [`Buffer::check_path`] against the region's size and a path holding a
/// NUL byte (LionsOS's C servers would silently cut it there).
pub fn copy_path<'a, M: SharedMemory + ?Sized>(
    share: &M,
    path: Buffer,
    out: &'a mut PathBuf,
) -> Result<&'a [u8], BufferFault> {
    path.check_path(share.size() as u64)?;
    let outside = BufferFault::OutsideRegion {
        offset: path.offset,
        size: path.size,
        share_size: share.size() as u64,
    };
    let range = path.range().ok_or(outside)?;
    let copy = out.get_mut(..range.len()).ok_or(outside)?;
    share.load_bytes(range.start, copy);
    if let Some(at) = copy.iter().position(|b| *b == 0) {
        return Err(BufferFault::ContainsNul { at });
    }
    Ok(copy)
}

/// Server side: writes a directory entry's name into the client's `buf`
/// (no NUL, as LionsOS does) and returns its length for the completion's
/// `path_len`. The name must be 1 to [`MAX_NAME_LENGTH`] bytes and fit.
pub fn write_name<M: SharedMemory + ?Sized>(share: &mut M, buf: Buffer, name: &[u8]) -> Result<u64, BufferFault> {
    let len = name.len() as u64;
    if name.is_empty() || len > MAX_NAME_LENGTH {
        // The server's own bug: a back end gave a name the protocol
        // cannot carry.
        return Err(BufferFault::TooSmall {
            size: MAX_NAME_LENGTH,
            needed: len,
        });
    }
    buf.check_at_least(share.size() as u64, len)?;
    let range = buf.range().ok_or(BufferFault::OutsideRegion {
        offset: buf.offset,
        size: buf.size,
        share_size: share.size() as u64,
    })?;
    share.store_bytes(range.start, name);
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_copied_and_checked() {
        let mut share = alloc::vec![0u8; 8192];
        share[100..110].copy_from_slice(b"/etc/hosts");
        let mut out = [0u8; MAX_PATH_LENGTH as usize];
        assert_eq!(
            copy_path(&share, Buffer::new(100, 10), &mut out),
            Ok(&b"/etc/hosts"[..])
        );
        assert_eq!(
            copy_path(&share, Buffer::new(100, 11), &mut out),
            Err(BufferFault::ContainsNul { at: 10 })
        );
        assert_eq!(
            copy_path(&share, Buffer::new(100, 0), &mut out),
            Err(BufferFault::Empty)
        );
        assert!(copy_path(&share, Buffer::new(8190, 4), &mut out).is_err());
        assert_eq!(
            copy_path(&share, Buffer::new(0, MAX_PATH_LENGTH + 1), &mut out),
            Err(BufferFault::PathTooLong {
                size: MAX_PATH_LENGTH + 1
            })
        );
    }

    #[test]
    fn names_go_in_without_a_terminator() {
        let mut share = alloc::vec![0xffu8; 1024];
        assert_eq!(write_name(&mut share, Buffer::new(10, 255), b"README"), Ok(6));
        assert_eq!(&share[10..17], b"README\xff");
        assert!(write_name(&mut share, Buffer::new(10, 3), b"README").is_err());
        assert!(write_name(&mut share, Buffer::new(10, 255), b"").is_err());
        assert_eq!(write_name(&mut share, Buffer::new(1000, 24), b"x"), Ok(1));
        assert!(write_name(&mut share, Buffer::new(1020, 5), b"x").is_err());
    }
}
