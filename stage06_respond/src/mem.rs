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
//! For the same reason no routine calls another: LLVM may rewrite such a
//! call into a call to the caller itself (see `bzero`); they share only
//! `fill`, which has no C name to be rewritten into.
//!
//! Since stage 06, `memcpy`, `memset` and `bzero` move a word (8 bytes) at
//! a time where they can: a server under load zeroes and moves buffers of
//! kilobytes for every request, and byte by byte that took a quarter of
//! its time (chapter 6.3 shows the profile). The others stay byte loops:
//! what they see is a few bytes long, or rare.

/// The bytes in a word: what one aligned load or store moves at once.
const WORD: usize = size_of::<usize>();

// ANCHOR: memcpy
#[unsafe(no_mangle)]
unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    let mut i = 0;
    // Words only when both pointers reach a word boundary together: a
    // volatile access must be aligned, at the source and the destination.
    if (dest as usize) % WORD == (src as usize) % WORD {
        while i < n && !(dest as usize + i).is_multiple_of(WORD) {
            // SAFETY: the caller promises n readable bytes at src and n
            // writable ones at dest, not overlapping; i < n.
            unsafe { dest.add(i).write_volatile(src.add(i).read_volatile()) };
            i += 1;
        }
        while n - i >= WORD {
            // SAFETY: as above, and both addresses are now word-aligned.
            unsafe {
                let word = src.add(i).cast::<usize>().read_volatile();
                dest.add(i).cast::<usize>().write_volatile(word);
            }
            i += WORD;
        }
    }
    while i < n {
        // SAFETY: as above.
        unsafe { dest.add(i).write_volatile(src.add(i).read_volatile()) };
        i += 1;
    }
    dest
}
// ANCHOR_END: memcpy

#[unsafe(no_mangle)]
unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // Copy in the direction that never overwrites a source byte not yet read.
    if (dest as usize) <= (src as usize) {
        for i in 0..n {
            // SAFETY: the caller promises n readable bytes at src and n
            // writable ones at dest, which may overlap.
            unsafe { dest.add(i).write_volatile(src.add(i).read_volatile()) };
        }
    } else {
        for i in (0..n).rev() {
            // SAFETY: as above.
            unsafe { dest.add(i).write_volatile(src.add(i).read_volatile()) };
        }
    }
    dest
}

// ANCHOR: memset
#[unsafe(no_mangle)]
unsafe extern "C" fn memset(dest: *mut u8, byte: i32, n: usize) -> *mut u8 {
    // SAFETY: the caller promises n writable bytes at dest. C passes the
    // byte as an int; only its low 8 bits count.
    unsafe { fill(dest, byte as u8, n) };
    dest
}

/// Writes `byte` into the `n` bytes at `dest`: byte by byte up to a word
/// boundary, then a word of copies of it at a time, then the last bytes.
///
/// # Safety
/// `n` bytes at `dest` must be writable.
unsafe fn fill(dest: *mut u8, byte: u8, n: usize) {
    // `byte` in every byte of a word: times 0x0101..01, which is what
    // `usize::MAX / 0xff` is. Not `[byte; WORD]`: a debug build fills
    // that array by calling `memset`, which would call this again.
    let word = byte as usize * (usize::MAX / 0xff);
    let mut i = 0;
    while i < n && !(dest as usize + i).is_multiple_of(WORD) {
        // SAFETY: i < n, and the caller promises n writable bytes.
        unsafe { dest.add(i).write_volatile(byte) };
        i += 1;
    }
    while n - i >= WORD {
        // SAFETY: as above, and dest + i is word-aligned.
        unsafe { dest.add(i).cast::<usize>().write_volatile(word) };
        i += WORD;
    }
    while i < n {
        // SAFETY: as above.
        unsafe { dest.add(i).write_volatile(byte) };
        i += 1;
    }
}
// ANCHOR_END: memset

/// macOS's own name for `memset(dest, 0, n)`: on Apple targets LLVM turns
/// `memset(p, 0, n)` into `bzero(p, n)`. So this must not call `memset`:
/// in a release build that call became a call to `bzero` itself, an
/// endless loop (`b .`) that hung every server at its first request.
#[cfg(target_os = "macos")]
#[unsafe(no_mangle)]
unsafe extern "C" fn bzero(dest: *mut u8, n: usize) {
    // SAFETY: the caller promises n writable bytes at dest.
    unsafe { fill(dest, 0, n) };
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

/// `memcmp` when only "equal or not" matters: LLVM calls it for `==`, and
/// rewrites `memcmp(..) == 0` into it, so it must not call `memcmp` either.
#[unsafe(no_mangle)]
unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        // SAFETY: the caller promises n readable bytes at a and at b.
        let (x, y) = unsafe { (a.add(i).read_volatile(), b.add(i).read_volatile()) };
        if x != y {
            return 1;
        }
    }
    0
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
    let mut len = 0;
    // SAFETY: the caller promises a NUL-terminated string at s.
    while unsafe { s.add(len).read_volatile() } != 0 {
        len += 1;
    }
    len
}
