//! The copier (sDDF's `copy`): between the receive virtualiser and one
//! client, so that the client never sees the device's receive buffers.
//!
//! The copier owns the client's receive buffers (the client's receive data
//! region): at init it puts all of them, by offset, into the client's free
//! queue. For each frame the receive virtualiser passes on (an offset into
//! a region of `rx_data`, picked by the descriptor's `oid`; the device's
//! receive region for a plain `virt_rx`) it takes a free client buffer,
//! copies the frame into it and hands it to the client; the virtualiser's
//! buffer goes straight back. With no client buffer free the frame is
//! dropped (its buffer still goes back), as in sDDF.
//!
//! Also here: word-wise copies in and out of packet buffers, for the
//! copier and the echo server.

use alloc::vec::Vec;

use microkit::{Channel, SharedRegion};
use sddf::config::net::NetCopyConfig;
use sddf::config::MAX_ENTRIES;
use sddf::net::{NetDescriptor, BUFFER_SIZE};
use sddf::shared::SharedMemory;

use crate::{config, link, Link};

/// True if `offset` is the start of a whole buffer in a region of `size`
/// bytes.
pub(crate) fn is_buffer(offset: u64, size: usize) -> bool {
    offset.is_multiple_of(BUFFER_SIZE as u64)
        && offset
            .checked_add(BUFFER_SIZE as u64)
            .is_some_and(|end| end <= size as u64)
}

/// Copies `len` (at most [`BUFFER_SIZE`]) bytes from the buffer at
/// `src_offset` to the buffer at `dst_offset`, a word at a time (the last
/// word whole: it stays inside the buffer). Both offsets must satisfy
/// [`is_buffer`].
pub(crate) fn copy_buffer(
    src: &SharedRegion,
    src_offset: usize,
    dst: &mut SharedRegion,
    dst_offset: usize,
    len: usize,
) {
    for at in (0..len.min(BUFFER_SIZE)).step_by(8) {
        dst.store_u64(dst_offset + at, src.load_u64(src_offset + at));
    }
}

/// The first `len` (at most [`BUFFER_SIZE`]) bytes of the buffer at
/// `offset` (which must satisfy [`is_buffer`]).
pub(crate) fn read_buffer(src: &SharedRegion, offset: usize, len: usize) -> Vec<u8> {
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
pub(crate) fn write_buffer(dst: &mut SharedRegion, offset: usize, data: &[u8]) {
    let data = &data[..data.len().min(BUFFER_SIZE)];
    for (i, chunk) in data.chunks(8).enumerate() {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        dst.store_u64(offset + i * 8, u64::from_le_bytes(word));
    }
}

/// The copier.
pub struct Copy {
    /// The link to the receive virtualiser.
    virt: Link,
    virt_ch: Channel,
    /// The regions the virtualiser's buffers are in, by `oid` (`None` where
    /// the configuration maps nothing).
    rx_data: [Option<SharedRegion>; MAX_ENTRIES],
    /// The link to the client.
    client: Link,
    client_ch: Channel,
    /// The client's receive data region.
    client_data: SharedRegion,
}

impl Copy {
    pub fn new(config_bytes: &[u8]) -> Copy {
        let c: NetCopyConfig = config(config_bytes);
        let (Some(virt), Some(client)) = (link(&c.rx), link(&c.client)) else {
            pride_rt::supervisor::start_failed("net copy: queues not mapped");
        };
        let client_data = SharedRegion::from_resource(&c.client_data);
        if (client_data.len() as u64) < u64::from(client.capacity()) * BUFFER_SIZE as u64 {
            pride_rt::supervisor::start_failed("net copy: client data region smaller than its buffers");
        }
        let rx_data = core::array::from_fn(|oid| c.rx_data_for(oid as u8).map(|r| SharedRegion::from_resource(&r)));
        Copy {
            virt,
            virt_ch: Channel::from(c.rx.id),
            rx_data,
            client,
            client_ch: Channel::from(c.client.id),
            client_data,
        }
    }

    /// The region and offset of a buffer from the virtualiser, if it names
    /// one that is mapped here and its length fits.
    fn source(&self, d: &NetDescriptor) -> Option<(SharedRegion, usize)> {
        let region = self.rx_data[usize::from(d.oid)]?;
        (usize::from(d.len) <= BUFFER_SIZE && is_buffer(d.io_or_offset, region.len()))
            .then_some((region, d.io_or_offset as usize))
    }

    /// Moves everything the virtualiser passed on into client buffers.
    fn rx_return(&mut self) {
        let mut to_client = false;
        let mut to_virt = false;
        loop {
            while let Ok(v) = self.virt.active.dequeue() {
                to_virt = true;
                // Whatever happens, the virtualiser's buffer goes back to it
                // (with its length: sDDF keeps it, for the vswitch).
                let copied = match (self.source(&v), self.client.free.is_empty()) {
                    (None, _) => {
                        pride_rt::println!(
                            "net_copy: frame at {:#x} (length {}, region {}) not in a mapped buffer",
                            v.io_or_offset,
                            v.len,
                            v.oid
                        );
                        false
                    }
                    // No client buffer: the frame is dropped.
                    (Some(_), true) => false,
                    (Some((region, offset)), false) => self.deliver(&region, offset, v.len),
                };
                to_client |= copied;
                if self.virt.free.enqueue(v).is_err() {
                    // Cannot happen: the free queue holds all its buffers.
                    pride_rt::println!("net_copy: virt_rx free queue full, buffer {:#x} lost", v.io_or_offset);
                }
            }
            if self.virt.active.request_signal_and_recheck() {
                break;
            }
        }
        if to_client && self.client.active.claim_signal() {
            microkit::notify(self.client_ch);
        }
        if to_virt && self.virt.free.claim_signal() {
            microkit::notify(self.virt_ch);
        }
    }

    /// Copies a frame into the next free client buffer and hands it over;
    /// false if there was none. A free descriptor that names no client
    /// buffer is dropped (as sDDF does) and the next one tried.
    fn deliver(&mut self, src: &SharedRegion, src_offset: usize, len: u16) -> bool {
        let mut c = loop {
            let Ok(c) = self.client.free.dequeue() else {
                return false;
            };
            if is_buffer(c.io_or_offset, self.client_data.len())
                && c.io_or_offset / (BUFFER_SIZE as u64) < u64::from(self.client.capacity())
            {
                break c;
            }
            pride_rt::println!(
                "net_copy: client gave offset {:#x}, not one of its buffers",
                c.io_or_offset
            );
        };
        copy_buffer(
            src,
            src_offset,
            &mut self.client_data,
            c.io_or_offset as usize,
            usize::from(len),
        );
        c.len = len;
        if self.client.active.enqueue(c).is_err() {
            // Cannot happen: the active queue holds all the client's buffers.
            pride_rt::println!("net_copy: client active queue full, buffer {:#x} lost", c.io_or_offset);
            return false;
        }
        true
    }
}

impl microkit::Handler for Copy {
    fn init(&mut self) {
        // Every client receive buffer to the client's free queue, by offset.
        if self.client.fill_free(0).is_err() {
            pride_rt::supervisor::start_failed("net copy: client free queue not empty at start");
        }
    }

    fn notified(&mut self, _ch: Channel) {
        self.rx_return();
    }
}
