//! The memory routines the compiler calls behind our back.
//!
//! Rust's `core` assumes that `memcpy`, `memmove`, `memset`, `memcmp`,
//! `bcmp` and `strlen` exist (see the `core` crate's documentation), and
//! LLVM turns copies and comparisons into calls to them. A C library would
//! provide them; we link none, so we define them here. On macOS they would
//! otherwise be imported from libSystem, which we promise never to call.
//!
//! Every access is volatile: it keeps LLVM from recognising a loop as "a
//! memcpy" and compiling it into a call to the very function it is in.
//! Speed does not matter for the few small copies these programs make.

// ANCHOR: memcpy
#[unsafe(no_mangle)]
unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    for i in 0..n {
        // SAFETY: the caller promises n readable bytes at src and n writable
        // ones at dest, not overlapping.
        unsafe { dest.add(i).write_volatile(src.add(i).read_volatile()) };
    }
    dest
}
// ANCHOR_END: memcpy

#[unsafe(no_mangle)]
unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dest as usize) <= (src as usize) {
        // SAFETY: copying forwards never overwrites a source byte not yet read.
        unsafe { memcpy(dest, src, n) }
    } else {
        for i in (0..n).rev() {
            // SAFETY: as for memcpy, and copying backwards is safe when dest
            // starts after src.
            unsafe { dest.add(i).write_volatile(src.add(i).read_volatile()) };
        }
        dest
    }
}

#[unsafe(no_mangle)]
unsafe extern "C" fn memset(dest: *mut u8, byte: i32, n: usize) -> *mut u8 {
    for i in 0..n {
        // SAFETY: the caller promises n writable bytes at dest. C passes the
        // byte as an int; only its low 8 bits count.
        unsafe { dest.add(i).write_volatile(byte as u8) };
    }
    dest
}

/// macOS's own name for `memset(dest, 0, n)`, which LLVM uses on Apple
/// targets.
#[cfg(target_os = "macos")]
#[unsafe(no_mangle)]
unsafe extern "C" fn bzero(dest: *mut u8, n: usize) {
    // SAFETY: the same contract as memset.
    unsafe { memset(dest, 0, n) };
}

#[unsafe(no_mangle)]
unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        // SAFETY: the caller promises n readable bytes at a and at b.
        let (x, y) = unsafe { (a.add(i).read_volatile(), b.add(i).read_volatile()) };
        if x != y {
            return x as i32 - y as i32;
        }
    }
    0
}

/// `memcmp` when only "equal or not" matters: LLVM calls it for `==`.
#[unsafe(no_mangle)]
unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: the same contract as memcmp.
    unsafe { memcmp(a, b, n) }
}

// ANCHOR: strlen
#[unsafe(no_mangle)]
pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
    let mut len = 0;
    // SAFETY: the caller promises a NUL-terminated string at s.
    while unsafe { s.add(len).read_volatile() } != 0 {
        len += 1;
    }
    len
}
// ANCHOR_END: strlen
