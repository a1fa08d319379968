//! The system-call layer: the only place that talks to the kernel.
//!
//! Each supported target has one file with the same items in it: the entry
//! point, the trap instruction wrapped in `syscallN` functions, and the
//! syscall numbers in `nr`. This file picks that file once, here, and builds the
//! calls the rest of the program uses on top of it.

// ANCHOR: pick
#[cfg(all(target_os = "macos", target_arch = "aarch64"))]
#[path = "darwin_aarch64.rs"]
mod arch;

#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
#[path = "linux_aarch64.rs"]
mod arch;

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[path = "linux_x86_64.rs"]
mod arch;

#[cfg(not(any(
    all(target_os = "macos", target_arch = "aarch64"),
    all(target_os = "linux", target_arch = "aarch64"),
    all(target_os = "linux", target_arch = "x86_64"),
)))]
compile_error!(
    "unsupported target: the workbook runs on aarch64-apple-darwin, \
     aarch64-unknown-linux-gnu and x86_64-unknown-linux-gnu"
);
// ANCHOR_END: pick

pub mod errno;
pub use errno::Errno;
pub mod fd;
pub use fd::Fd;

// ANCHOR: exit
/// Ends the process with `status`; the parent (your shell) reads it as `$?`.
pub fn exit(status: u8) -> ! {
    // SAFETY: exit takes a plain integer, and the kernel never returns from it.
    unsafe { arch::syscall1_noreturn(arch::nr::EXIT, status as usize) }
}
// ANCHOR_END: exit

// ANCHOR: write
/// Writes some of `bytes` to descriptor `fd` and returns how many it took.
pub fn write(fd: Fd, bytes: &[u8]) -> Result<usize, Errno> {
    // SAFETY: write only reads `bytes.len()` bytes from `bytes`.
    unsafe { arch::syscall3(arch::nr::WRITE, fd.0, bytes.as_ptr() as usize, bytes.len()) }
}

/// Writes all of `bytes`. The kernel may take fewer than asked (a full pipe,
/// a slow terminal), so keep going until none are left. A signal cannot cut
/// a write short with EINTR here: this program installs no signal handlers.
pub fn write_all(fd: Fd, mut bytes: &[u8]) -> Result<(), Errno> {
    while !bytes.is_empty() {
        let taken = write(fd, bytes)?;
        bytes = &bytes[taken..];
    }
    Ok(())
}
// ANCHOR_END: write

// ANCHOR: c_str
/// The bytes of a NUL-terminated C string, without the NUL.
///
/// # Safety
/// `ptr` must point at a NUL-terminated string that outlives the program.
pub unsafe fn c_str(ptr: *const u8) -> &'static [u8] {
    // SAFETY: the caller promises a NUL-terminated string; the `len` bytes
    // before its NUL are part of it.
    unsafe { core::slice::from_raw_parts(ptr, crate::mem::strlen(ptr)) }
}
// ANCHOR_END: c_str
