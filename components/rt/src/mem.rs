//! The C memory primitives the compiler emits calls to.
//!
//! Word-at-a-time loops (unaligned 8-byte accesses are fine on x86_64), then
//! bytes (`memcpy`: 32 bytes a round, then words, then one overlapping word). The crate is `#![no_builtins]`, which keeps LLVM from recognising
//! these loops as `memcpy` and recursing.

/// # Safety
/// The C contract: `dest` and `src` valid for `n` bytes, not overlapping.
#[no_mangle]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if n < 8 {
        for i in 0..n {
            // SAFETY: the caller guarantees both ranges are valid for n bytes.
            unsafe { *dest.add(i) = *src.add(i) };
        }
        return dest;
    }
    let mut i = 0;
    if n >= LONG_COPY {
        // A plain word loop, which the compiler vectorises (SSE moves, 16
        // bytes each): fewer instructions for long copies, worth the FPU
        // switch they may cost.
        while i + 8 <= n {
            // SAFETY: i + 8 <= n, so both 8-byte ranges lie inside the
            // caller's ranges; unaligned accesses are allowed on x86_64.
            unsafe { (dest.add(i) as *mut u64).write_unaligned((src.add(i) as *const u64).read_unaligned()) };
            i += 8;
        }
    }
    // 32 bytes a round (network frames are copied several times each).
    while i + 32 <= n {
        // SAFETY: i + 32 <= n, so both 32-byte ranges lie inside the
        // caller's ranges.
        unsafe { copy_32(dest.add(i), src.add(i)) };
        i += 32;
    }
    while i + 8 <= n {
        // SAFETY: i + 8 <= n, as above.
        unsafe { copy_8(dest.add(i), src.add(i)) };
        i += 8;
    }
    if i < n {
        // The last eight bytes, overlapping some already copied (n >= 8):
        // the same bytes again, instead of a byte loop.
        // SAFETY: n >= 8, so [n - 8, n) lies inside both ranges.
        unsafe { copy_8(dest.add(n - 8), src.add(n - 8)) };
    }
    dest
}

/// Copies of at least this many bytes use the vectorised loop.
const LONG_COPY: usize = 512;

// Shorter copies are written as assembly so that the compiler cannot turn
// them into SSE moves: every program links this memcpy, and a program that
// otherwise never touches the FPU registers then needs no lazy FPU switch
// (an #NM trap) when it copies a small frame.

/// Copies 8 bytes (unaligned accesses are fine on x86_64).
///
/// # Safety
/// `dest` and `src` valid for 8 bytes each.
#[inline(always)]
unsafe fn copy_8(dest: *mut u8, src: *const u8) {
    // SAFETY: the caller guarantees both 8-byte ranges; the asm reads and
    // writes only them and touches neither the stack nor the flags.
    unsafe {
        core::arch::asm!(
            "mov {t}, qword ptr [{s}]",
            "mov qword ptr [{d}], {t}",
            s = in(reg) src,
            d = in(reg) dest,
            t = out(reg) _,
            options(nostack, preserves_flags),
        );
    }
}

/// Copies 32 bytes.
///
/// # Safety
/// `dest` and `src` valid for 32 bytes each.
#[inline(always)]
unsafe fn copy_32(dest: *mut u8, src: *const u8) {
    // SAFETY: as in `copy_8`, for 32 bytes.
    unsafe {
        core::arch::asm!(
            "mov {a}, qword ptr [{s}]",
            "mov {b}, qword ptr [{s} + 8]",
            "mov qword ptr [{d}], {a}",
            "mov qword ptr [{d} + 8], {b}",
            "mov {a}, qword ptr [{s} + 16]",
            "mov {b}, qword ptr [{s} + 24]",
            "mov qword ptr [{d} + 16], {a}",
            "mov qword ptr [{d} + 24], {b}",
            s = in(reg) src,
            d = in(reg) dest,
            a = out(reg) _,
            b = out(reg) _,
            options(nostack, preserves_flags),
        );
    }
}

/// # Safety
/// The C contract: `dest` and `src` valid for `n` bytes; they may overlap.
#[no_mangle]
pub unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dest as usize) <= (src as usize) {
        let mut i = 0;
        while i < n {
            // SAFETY: as above; copying forwards is safe when dest <= src.
            unsafe { *dest.add(i) = *src.add(i) };
            i += 1;
        }
    } else {
        let mut i = n;
        while i > 0 {
            i -= 1;
            // SAFETY: as above; copying backwards is safe when dest > src.
            unsafe { *dest.add(i) = *src.add(i) };
        }
    }
    dest
}

/// # Safety
/// The C contract: `dest` valid for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memset(dest: *mut u8, c: i32, n: usize) -> *mut u8 {
    let mut i = 0;
    let word = u64::from_ne_bytes([c as u8; 8]);
    while i + 8 <= n {
        // SAFETY: i + 8 <= n keeps the write inside the caller's range.
        unsafe { (dest.add(i) as *mut u64).write_unaligned(word) };
        i += 8;
    }
    while i < n {
        // SAFETY: the caller guarantees `dest` is valid for n bytes.
        unsafe { *dest.add(i) = c as u8 };
        i += 1;
    }
    dest
}

/// # Safety
/// The C contract: both pointers valid for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        // SAFETY: the caller guarantees both ranges are valid for n bytes.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return x as i32 - y as i32;
        }
        i += 1;
    }
    0
}

/// # Safety
/// As `memcmp`.
#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: same contract as memcmp.
    unsafe { memcmp(a, b, n) }
}

/// Never called under `panic = "abort"`; the prebuilt `liballoc` names it.
#[cfg(not(test))]
#[no_mangle]
pub extern "C" fn _Unwind_Resume() -> ! {
    loop {
        core::hint::spin_loop();
    }
}

/// Never called under `panic = "abort"`; the prebuilt `liballoc` names it.
#[cfg(not(test))]
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}
