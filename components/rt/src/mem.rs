//! The C memory primitives the compiler emits calls to.
//!
//! Word-at-a-time loops (unaligned 8-byte accesses are fine on x86_64), then
//! bytes. The crate is `#![no_builtins]`, which keeps LLVM from recognising
//! these loops as `memcpy` and recursing.

/// # Safety
/// The C contract: `dest` and `src` valid for `n` bytes, not overlapping.
#[no_mangle]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    let mut i = 0;
    // Eight bytes at a time (loading component images copies whole pages).
    while i + 8 <= n {
        // SAFETY: i + 8 <= n, so both 8-byte ranges lie inside the caller's
        // ranges; unaligned accesses are allowed on x86_64.
        unsafe { (dest.add(i) as *mut u64).write_unaligned((src.add(i) as *const u64).read_unaligned()) };
        i += 8;
    }
    while i < n {
        // SAFETY: the caller guarantees both ranges are valid for n bytes.
        unsafe { *dest.add(i) = *src.add(i) };
        i += 1;
    }
    dest
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
