//! Line editing for the serial console: collects bytes into a line,
//! handles backspace, and survives any byte sequence (binary noise, overlong
//! lines) without panicking.

/// Longest line kept; the rest of an overlong line is dropped and reported.
pub const LINE_MAX: usize = 256;

/// What a byte did to the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Nothing to show (or the byte was ignored).
    None,
    /// Echo this byte.
    Echo(u8),
    /// Erase the last character on the terminal.
    Erase,
    /// A line is complete: read it with [`LineBuffer::line`], then `clear`.
    Line,
    /// A line was complete but too long; it is discarded.
    Overflow,
}

/// A console input line being typed.
pub struct LineBuffer {
    buf: [u8; LINE_MAX],
    len: usize,
    overflowed: bool,
    last_was_cr: bool,
    escape: Escape,
}

/// Where we are in a terminal escape sequence (arrow keys and the like
/// send `ESC [ ... final`), which is swallowed rather than typed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Escape {
    None,
    /// Seen ESC.
    Start,
    /// Inside `ESC [` parameters, until a final byte 0x40..=0x7e.
    Csi,
}

impl Default for LineBuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl LineBuffer {
    pub const fn new() -> Self {
        LineBuffer {
            buf: [0; LINE_MAX],
            len: 0,
            overflowed: false,
            last_was_cr: false,
            escape: Escape::None,
        }
    }

    /// Feeds one input byte.
    pub fn push(&mut self, b: u8) -> Event {
        match (self.escape, b) {
            (_, 0x1b) => {
                self.escape = Escape::Start;
                return Event::None;
            }
            (Escape::Start, b'[') => {
                self.escape = Escape::Csi;
                return Event::None;
            }
            (Escape::Start, _) => {
                // ESC + one byte (e.g. Alt-key): drop both.
                self.escape = Escape::None;
                return Event::None;
            }
            (Escape::Csi, 0x40..=0x7e) => {
                self.escape = Escape::None;
                return Event::None;
            }
            (Escape::Csi, _) => return Event::None,
            (Escape::None, _) => {}
        }
        let after_cr = core::mem::replace(&mut self.last_was_cr, b == b'\r');
        match b {
            // CR LF counts as one line end.
            b'\n' if after_cr => Event::None,
            b'\r' | b'\n' => {
                if core::mem::take(&mut self.overflowed) {
                    self.len = 0;
                    Event::Overflow
                } else {
                    Event::Line
                }
            }
            0x08 | 0x7f => {
                if self.len > 0 && !self.overflowed {
                    self.len -= 1;
                    Event::Erase
                } else {
                    Event::None
                }
            }
            0x20..=0x7e => {
                if self.len == LINE_MAX {
                    self.overflowed = true;
                    Event::None
                } else if self.overflowed {
                    Event::None
                } else {
                    self.buf[self.len] = b;
                    self.len += 1;
                    Event::Echo(b)
                }
            }
            // Other control bytes and non-ASCII are ignored.
            _ => Event::None,
        }
    }

    /// The completed line (printable ASCII only, so always valid UTF-8).
    pub fn line(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }

    /// Starts a new line.
    pub fn clear(&mut self) {
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(lb: &mut LineBuffer, s: &[u8]) -> Event {
        let mut last = Event::None;
        for &b in s {
            last = lb.push(b);
        }
        last
    }

    #[test]
    fn collects_lines_with_either_ending() {
        let mut lb = LineBuffer::new();
        assert_eq!(feed(&mut lb, b"help\r"), Event::Line);
        assert_eq!(lb.line(), "help");
        lb.clear();
        assert_eq!(lb.push(b'\n'), Event::None); // the LF of CR LF
        assert_eq!(feed(&mut lb, b"shutdown\n"), Event::Line);
        assert_eq!(lb.line(), "shutdown");
    }

    #[test]
    fn backspace_and_noise() {
        let mut lb = LineBuffer::new();
        assert_eq!(lb.push(0x7f), Event::None);
        feed(&mut lb, b"hxx\x08\x7felp\x1b\xff\x00");
        assert_eq!(feed(&mut lb, b"\n"), Event::Line);
        assert_eq!(lb.line(), "help");
    }

    #[test]
    fn escape_sequences_are_swallowed() {
        let mut lb = LineBuffer::new();
        feed(&mut lb, b"he\x1b[A\x1b[1;5Dl\x1bxp");
        assert_eq!(feed(&mut lb, b"\n"), Event::Line);
        assert_eq!(lb.line(), "help");
    }

    #[test]
    fn overlong_line_is_dropped_whole() {
        let mut lb = LineBuffer::new();
        for _ in 0..LINE_MAX + 10 {
            lb.push(b'a');
        }
        assert_eq!(lb.push(b'\n'), Event::Overflow);
        assert_eq!(feed(&mut lb, b"ok\n"), Event::Line);
        assert_eq!(lb.line(), "ok");
    }
}
