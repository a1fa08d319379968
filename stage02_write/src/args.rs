//! The arguments the kernel hands the program, as byte strings.

// ANCHOR: args
/// argv: the program's name, then its arguments, each a NUL-terminated
/// string the kernel copied onto the stack before the program started.
#[derive(Clone, Copy)]
pub struct Args(&'static [*const u8]);

impl Args {
    /// # Safety
    /// Every entry must point at a NUL-terminated string that lives as
    /// long as the program, as the kernel's argv does.
    pub unsafe fn new(argv: &'static [*const u8]) -> Args {
        Args(argv)
    }

    /// The arguments after the program's name (none if argv is empty).
    pub fn words(self) -> impl ExactSizeIterator<Item = &'static [u8]> {
        // `get`, not `[1..]`: a program can be started with no arguments at
        // all, not even its name, and indexing would panic.
        let words = self.0.get(1..).unwrap_or(&[]);
        // SAFETY: `new`'s caller promised NUL-terminated, lasting entries.
        words.iter().map(|&word| unsafe { c_str(word) })
    }
}

/// The bytes of a NUL-terminated C string, without the NUL.
///
/// # Safety
/// `ptr` must point at a NUL-terminated string that outlives the program.
unsafe fn c_str(ptr: *const u8) -> &'static [u8] {
    // SAFETY: the caller promises a NUL-terminated string; the `len` bytes
    // before its NUL are part of it.
    unsafe { core::slice::from_raw_parts(ptr, crate::mem::strlen(ptr)) }
}
// ANCHOR_END: args
