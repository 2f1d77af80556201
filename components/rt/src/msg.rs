//! Messages longer than the four words carried in registers: building them
//! (words 4 and up go to the IPC buffer) and reading them back with every
//! length checked against the message, so a malformed message is an error
//! value, never an out-of-bounds read.
//!
//! Words beyond the fourth live in the IPC buffer only until the next
//! system call: read them (and write them) right before or after the call.

use kernel_iface::cap::kind::Endpoint;
use kernel_iface::syscall::Received;
use kernel_iface::{ipc_buffer, Cap, MessageInfo};

/// Most message words.
pub const MAX_WORDS: usize = kernel_iface::abi::MSG_MAX_LENGTH;

/// An outgoing message being built.
pub struct Outgoing {
    mrs: [u64; 4],
    len: usize,
    overflow: bool,
}

impl Default for Outgoing {
    fn default() -> Self {
        Self::new()
    }
}

impl Outgoing {
    pub const fn new() -> Outgoing {
        Outgoing {
            mrs: [0; 4],
            len: 0,
            overflow: false,
        }
    }

    /// Appends one word.
    pub fn word(&mut self, w: u64) -> &mut Self {
        if self.len >= MAX_WORDS {
            self.overflow = true;
            return self;
        }
        if self.len < 4 {
            self.mrs[self.len] = w;
        } else {
            ipc_buffer::set_mr(self.len, w);
        }
        self.len += 1;
        self
    }

    /// Appends bytes, 8 per word (little-endian; the last word zero-padded).
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        let mut words = b.chunks_exact(8);
        for chunk in &mut words {
            // A whole word: one load, no copy loop (this is on every request).
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            self.word(u64::from_le_bytes(w));
        }
        let tail = words.remainder();
        if !tail.is_empty() {
            let mut w = 0u64;
            for (i, &byte) in tail.iter().enumerate() {
                w |= (byte as u64) << (8 * i);
            }
            self.word(w);
        }
        self
    }

    /// True if something did not fit (the message is then cut).
    pub fn overflowed(&self) -> bool {
        self.overflow
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if no word was added.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The message info and register words for sending with `label`.
    pub fn finish(&self, label: u64) -> (MessageInfo, [u64; 4]) {
        (MessageInfo::new(label, 0, 0, self.len as u64), self.mrs)
    }

    /// `seL4_Call`s `ep` with this message.
    pub fn call(&self, ep: Cap<Endpoint>, label: u64) -> Received {
        let (info, mrs) = self.finish(label);
        ep.call(info, mrs)
    }

    /// `seL4_Call`s `ep` with this message and the capability `cap` (a
    /// CPtr of the caller's CSpace).
    pub fn call_with_cap(&self, ep: Cap<Endpoint>, label: u64, cap: u64) -> Received {
        let (info, mrs) = self.finish(label);
        ep.call_with_caps(info, mrs, &[cap])
    }
}

/// Word `i` of a received message, if the message has it.
pub fn word(msg: &Received, i: usize) -> Option<u64> {
    if i >= msg.info.length() as usize {
        return None;
    }
    Some(if i < 4 { msg.mrs[i] } else { ipc_buffer::get_mr(i) })
}

/// All the words of a received message, copied into `out`.
pub fn words<'a>(msg: &Received, out: &'a mut [u64; MAX_WORDS]) -> &'a [u64] {
    let n = (msg.info.length() as usize).min(MAX_WORDS);
    for (i, w) in out.iter_mut().enumerate().take(n) {
        *w = if i < 4 { msg.mrs[i] } else { ipc_buffer::get_mr(i) };
    }
    &out[..n]
}

/// `len` bytes packed from word `start` on, into `out`. `None` if the
/// message is too short for them or `out` too small.
pub fn bytes<'a>(msg: &Received, start: usize, len: usize, out: &'a mut [u8]) -> Option<&'a [u8]> {
    if len > out.len() {
        return None;
    }
    let words = len.div_ceil(8);
    if start.checked_add(words)? > msg.info.length() as usize {
        return None;
    }
    for i in 0..words {
        let w = word(msg, start + i)?.to_le_bytes();
        let n = (len - i * 8).min(8);
        if n == 8 {
            // A whole word: a fixed-size copy, no copy loop.
            let dst: &mut [u8; 8] = (&mut out[i * 8..i * 8 + 8]).try_into().ok()?;
            *dst = w;
        } else {
            for (d, s) in out[i * 8..i * 8 + n].iter_mut().zip(w) {
                *d = s;
            }
        }
    }
    Some(&out[..len])
}
