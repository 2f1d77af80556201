//! Turning a component's ELF image into a load plan.
//!
//! [`LoadPlan::from_elf`] validates an untrusted image once (ELF64, x86_64,
//! executable, loadable segments inside the user half, inside the file, not
//! overlapping, never writable and executable at once, entry point in an
//! executable segment) and yields the segments; [`Segment::pages`] then says,
//! page by page, which bytes of the file go where and with what rights. The
//! loader in the root task only copies and maps.

use xmas_elf::header::{Class, Machine, Type};
use xmas_elf::program::Type as PType;
use xmas_elf::ElfFile;

/// Page size used for component mappings.
pub const PAGE: u64 = 4096;
/// First address a component image may use (page 0 stays unmapped).
pub const USER_MIN: u64 = 0x1000;
/// Addresses from here up are reserved for the stack and IPC buffer.
pub const USER_IMAGE_MAX: u64 = 0x0f00_0000;
/// Size of an ELF64 program header.
const PH64_SIZE: u64 = 56;
/// Most loadable segments accepted.
pub const MAX_SEGMENTS: usize = 8;

/// Why an image was refused. Every variant blames the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// Not a parsable ELF file.
    Malformed(&'static str),
    /// Not a 64-bit x86_64 executable.
    WrongKind,
    /// More loadable segments than [`MAX_SEGMENTS`].
    TooManySegments,
    /// A segment lies outside the component image area.
    OutOfRange { vaddr: u64 },
    /// A segment's file bytes lie outside the file, or filesz > memsz.
    BadFileRange { vaddr: u64 },
    /// Two segments share a page.
    Overlap { vaddr: u64 },
    /// A segment is both writable and executable.
    WritableAndExecutable { vaddr: u64 },
    /// The entry point is not inside an executable segment.
    BadEntry { entry: u64 },
    /// No loadable segment at all.
    Empty,
}

/// Access a segment's pages get.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Perms {
    pub read: bool,
    pub write: bool,
    pub execute: bool,
}

/// One loadable segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Segment {
    pub vaddr: u64,
    pub mem_size: u64,
    pub file_offset: u64,
    pub file_size: u64,
    pub perms: Perms,
}

/// What to put in one page of a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PagePlan {
    /// Page-aligned virtual address.
    pub vaddr: u64,
    /// Bytes `file_range` of the file go at `offset_in_page`; the rest is
    /// zero. Always within the file; `(0, 0)` when nothing is copied.
    pub file_range: (u64, u64),
    pub offset_in_page: u64,
    pub perms: Perms,
}

impl Segment {
    fn first_page(&self) -> u64 {
        self.vaddr & !(PAGE - 1)
    }
    fn end_page(&self) -> u64 {
        (self.vaddr + self.mem_size).next_multiple_of(PAGE)
    }

    /// The pages of this segment, in address order.
    pub fn pages(&self) -> impl Iterator<Item = PagePlan> + '_ {
        let file_end = self.vaddr + self.file_size;
        (self.first_page()..self.end_page())
            .step_by(PAGE as usize)
            .map(move |page| {
                let start = page.max(self.vaddr);
                let end = (page + PAGE).min(file_end).max(start);
                // Pages past the file bytes (.bss) copy nothing: an empty range at 0.
                let file_range = if end > start {
                    let off = self.file_offset + (start - self.vaddr);
                    (off, off + (end - start))
                } else {
                    (0, 0)
                };
                PagePlan {
                    vaddr: page,
                    file_range,
                    offset_in_page: start - page,
                    perms: self.perms,
                }
            })
    }

    /// Number of pages the segment occupies.
    pub fn page_count(&self) -> u64 {
        (self.end_page() - self.first_page()) / PAGE
    }
}

/// A validated image: its entry point and segments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadPlan {
    pub entry: u64,
    segments: [Segment; MAX_SEGMENTS],
    count: usize,
}

impl LoadPlan {
    /// Validates `image` and builds its plan.
    pub fn from_elf(image: &[u8]) -> Result<LoadPlan, ElfError> {
        // xmas-elf casts bytes to header structs in place and asserts (panics)
        // on misalignment or a program-header table outside the file, so
        // those are checked here first: untrusted input must not panic.
        if !(image.as_ptr() as usize).is_multiple_of(8) {
            return Err(ElfError::Malformed("image is not 8-byte aligned in memory"));
        }
        let elf = ElfFile::new(image).map_err(ElfError::Malformed)?;
        let (ph_off, ph_size, ph_count) = (
            elf.header.pt2.ph_offset(),
            elf.header.pt2.ph_entry_size() as u64,
            elf.header.pt2.ph_count() as u64,
        );
        if ph_size != PH64_SIZE || ph_off % 8 != 0 || ph_off.saturating_add(ph_size * ph_count) > image.len() as u64 {
            return Err(ElfError::Malformed(
                "program header table outside the file or of the wrong size",
            ));
        }
        let h = &elf.header;
        let kind_ok = h.pt1.class() == Class::SixtyFour
            && h.pt2.machine().as_machine() == Machine::X86_64
            && h.pt2.type_().as_type() == Type::Executable;
        if !kind_ok {
            return Err(ElfError::WrongKind);
        }
        let mut plan = LoadPlan {
            entry: h.pt2.entry_point(),
            segments: [Segment::default(); MAX_SEGMENTS],
            count: 0,
        };
        for ph in elf.program_iter() {
            if ph.get_type() != Ok(PType::Load) || ph.mem_size() == 0 {
                continue;
            }
            if plan.count == MAX_SEGMENTS {
                return Err(ElfError::TooManySegments);
            }
            let flags = ph.flags();
            let seg = Segment {
                vaddr: ph.virtual_addr(),
                mem_size: ph.mem_size(),
                file_offset: ph.offset(),
                file_size: ph.file_size(),
                perms: Perms {
                    read: flags.is_read(),
                    write: flags.is_write(),
                    execute: flags.is_execute(),
                },
            };
            let vaddr = seg.vaddr;
            let end = vaddr.checked_add(seg.mem_size).ok_or(ElfError::OutOfRange { vaddr })?;
            if vaddr < USER_MIN || end > USER_IMAGE_MAX {
                return Err(ElfError::OutOfRange { vaddr });
            }
            let file_end = seg
                .file_offset
                .checked_add(seg.file_size)
                .ok_or(ElfError::BadFileRange { vaddr })?;
            if seg.file_size > seg.mem_size || file_end > image.len() as u64 {
                return Err(ElfError::BadFileRange { vaddr });
            }
            if seg.perms.write && seg.perms.execute {
                return Err(ElfError::WritableAndExecutable { vaddr });
            }
            for other in plan.segments() {
                if seg.first_page() < other.end_page() && other.first_page() < seg.end_page() {
                    return Err(ElfError::Overlap { vaddr });
                }
            }
            plan.segments[plan.count] = seg;
            plan.count += 1;
        }
        if plan.count == 0 {
            return Err(ElfError::Empty);
        }
        let entry_ok = plan
            .segments()
            .iter()
            .any(|s| s.perms.execute && (s.vaddr..s.vaddr + s.mem_size).contains(&plan.entry));
        if !entry_ok {
            return Err(ElfError::BadEntry { entry: plan.entry });
        }
        Ok(plan)
    }

    /// The loadable segments.
    pub fn segments(&self) -> &[Segment] {
        &self.segments[..self.count]
    }

    /// Pages the image needs in all.
    pub fn page_count(&self) -> u64 {
        self.segments().iter().map(Segment::page_count).sum()
    }
}

/// Where a named thing (a symbol or a section) lies in an image's memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place {
    pub vaddr: u64,
    pub size: u64,
}

/// The symbol `name` of `image` (from its symbol table), for the values the
/// Microkit tool patches (`microkit_name`, `setvar_vaddr` variables). `None`
/// if the image has no such symbol, or no symbol table, or is malformed
/// (the `object` crate checks every offset, so bad input cannot panic).
pub fn symbol(image: &[u8], name: &str) -> Option<Place> {
    use object::{Object, ObjectSymbol};
    let file = object::File::parse(image).ok()?;
    let sym = file.symbols().find(|s| s.name() == Ok(name))?;
    Some(Place {
        vaddr: sym.address(),
        size: sym.size(),
    })
}

/// The section `name` of `image` (an sDDF component's configuration
/// section, which the supervisor fills with its `.data` blob).
pub fn section(image: &[u8], name: &str) -> Option<Place> {
    use object::{Object, ObjectSection};
    let file = object::File::parse(image).ok()?;
    let sec = file.section_by_name(name)?;
    Some(Place {
        vaddr: sec.address(),
        size: sec.size(),
    })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// A minimal ELF64 executable with the given (vaddr, memsz, filesz, flags) segments.
    pub(crate) fn make_elf(entry: u64, segs: &[(u64, u64, u64, u32)]) -> Vec<u8> {
        let phoff = 64u64;
        let data_start = phoff + 56 * segs.len() as u64;
        let mut out = Vec::new();
        out.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        out.extend_from_slice(&62u16.to_le_bytes()); // EM_X86_64
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&entry.to_le_bytes());
        out.extend_from_slice(&phoff.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes()); // shoff
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&64u16.to_le_bytes());
        out.extend_from_slice(&56u16.to_le_bytes());
        out.extend_from_slice(&(segs.len() as u16).to_le_bytes());
        out.extend_from_slice(&64u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        let mut off = data_start;
        for &(vaddr, memsz, filesz, flags) in segs {
            out.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
            out.extend_from_slice(&flags.to_le_bytes());
            out.extend_from_slice(&off.to_le_bytes());
            out.extend_from_slice(&vaddr.to_le_bytes());
            out.extend_from_slice(&vaddr.to_le_bytes());
            out.extend_from_slice(&filesz.to_le_bytes());
            out.extend_from_slice(&memsz.to_le_bytes());
            out.extend_from_slice(&PAGE.to_le_bytes());
            off += filesz;
        }
        for (i, &(_, _, filesz, _)) in segs.iter().enumerate() {
            out.extend((0..filesz).map(|b| (b as u8) ^ (i as u8 + 1)));
        }
        out
    }
    #[test]
    fn symbols_and_sections_of_a_real_image_and_none_of_garbage() {
        // This test binary is an ELF file with a symbol table.
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let main = symbol(&me, "main").expect("the test binary has main");
        assert!(main.vaddr != 0);
        let text = section(&me, ".text").expect("and a .text section");
        assert!(text.size > 0);
        assert_eq!(symbol(&me, "no_such_symbol_in_pride"), None);
        assert_eq!(section(&me, ".no_such_section"), None);
        assert_eq!(symbol(&[0x7f, b'E', b'L', b'F', 2, 1, 1], "main"), None);
        assert_eq!(section(&make_elf(0x1000, &[(0x1000, 0x10, 0x10, 5)]), ".text"), None);
    }

    /// Checks `bytes` placed at an 8-byte aligned address, as the archive places images.
    fn plan(bytes: &[u8]) -> Result<LoadPlan, ElfError> {
        let mut buf = std::vec![0u8; bytes.len() + 8];
        let off = buf.as_ptr().align_offset(8);
        buf[off..off + bytes.len()].copy_from_slice(bytes);
        LoadPlan::from_elf(&buf[off..off + bytes.len()])
    }
    const R: u32 = 4;
    const W: u32 = 2;
    const X: u32 = 1;

    #[test]
    fn plans_text_and_data_with_bss() {
        let img = make_elf(
            0x40_0010,
            &[(0x40_0000, 0x1800, 0x1800, R | X), (0x40_2100, 0x2000, 0x100, R | W)],
        );
        let plan = plan(&img).unwrap();
        assert_eq!(plan.entry, 0x40_0010);
        assert_eq!(plan.segments().len(), 2);
        assert_eq!(plan.page_count(), 2 + 3);
        let text: Vec<_> = plan.segments()[0].pages().collect();
        assert_eq!(text[0].vaddr, 0x40_0000);
        assert_eq!(text[0].file_range.1 - text[0].file_range.0, 0x1000);
        assert_eq!(text[1].file_range.1 - text[1].file_range.0, 0x800);
        assert!(text[1].perms.execute && !text[1].perms.write);
        let data: Vec<_> = plan.segments()[1].pages().collect();
        assert_eq!(data.len(), 3);
        assert_eq!(data[0].offset_in_page, 0x100);
        assert_eq!(data[0].file_range.1 - data[0].file_range.0, 0x100);
        // Pure .bss pages copy nothing.
        assert_eq!(data[1].file_range.0, data[1].file_range.1);
        assert_eq!(data[2].vaddr, 0x40_4000);
    }

    #[test]
    fn refuses_dangerous_images() {
        let wx = make_elf(0x40_0000, &[(0x40_0000, 0x1000, 0x10, R | W | X)]);
        assert_eq!(plan(&wx), Err(ElfError::WritableAndExecutable { vaddr: 0x40_0000 }));
        let low = make_elf(0x10, &[(0x0, 0x1000, 0x10, R | X)]);
        assert_eq!(plan(&low), Err(ElfError::OutOfRange { vaddr: 0 }));
        let high = make_elf(0x0f00_0000, &[(0x0f00_0000, 0x1000, 0x10, R | X)]);
        assert!(matches!(plan(&high), Err(ElfError::OutOfRange { .. })));
        let wrap = make_elf(0x40_0000, &[(0x40_0000, u64::MAX, 0x10, R | X)]);
        assert!(matches!(plan(&wrap), Err(ElfError::OutOfRange { .. })));
        let overlap = make_elf(
            0x40_0000,
            &[(0x40_0000, 0x1000, 0x10, R | X), (0x40_0800, 0x10, 0x10, R)],
        );
        assert_eq!(plan(&overlap), Err(ElfError::Overlap { vaddr: 0x40_0800 }));
        let entry = make_elf(0x50_0000, &[(0x40_0000, 0x1000, 0x10, R | X)]);
        assert_eq!(plan(&entry), Err(ElfError::BadEntry { entry: 0x50_0000 }));
        let noexec_entry = make_elf(0x40_0000, &[(0x40_0000, 0x1000, 0x10, R)]);
        assert!(matches!(plan(&noexec_entry), Err(ElfError::BadEntry { .. })));
        let mut trunc = make_elf(0x40_0000, &[(0x40_0000, 0x1000, 0x100, R | X)]);
        trunc.truncate(trunc.len() - 1);
        assert!(matches!(plan(&trunc), Err(ElfError::BadFileRange { .. })));
        assert!(matches!(plan(b"\x7fELF garbage"), Err(ElfError::Malformed(_))));
        assert!(plan(&[]).is_err());
        // Misaligned memory is refused, not a panic inside the ELF parser.
        let img = make_elf(0x40_0000, &[(0x40_0000, 0x1000, 0x10, R | X)]);
        let mut buf = std::vec![0u8; img.len() + 9];
        let off = buf.as_ptr().align_offset(8) + 1;
        buf[off..off + img.len()].copy_from_slice(&img);
        assert!(matches!(
            LoadPlan::from_elf(&buf[off..off + img.len()]),
            Err(ElfError::Malformed(_))
        ));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap fuzz: every truncation and a sweep of single-byte corruptions.
        let img = make_elf(
            0x40_0010,
            &[(0x40_0000, 0x1800, 0x1800, R | X), (0x40_2100, 0x2000, 0x100, R | W)],
        );
        for n in 0..img.len() {
            let _ = plan(&img[..n]);
        }
        for i in 0..200.min(img.len()) {
            for v in [0u8, 0xff, 0x80, 1] {
                let mut m = img.clone();
                m[i] = v;
                if let Ok(p) = plan(&m) {
                    for s in p.segments() {
                        for p in s.pages() {
                            assert!(p.file_range.1 <= m.len() as u64, "{s:?} {p:?} len {}", m.len());
                        }
                    }
                }
            }
        }
    }
}
