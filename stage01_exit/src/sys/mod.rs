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

// ANCHOR: exit
/// Ends the process with `status`; the parent (your shell) reads it as `$?`.
pub fn exit(status: u8) -> ! {
    // SAFETY: exit takes a plain integer, and the kernel never returns from it.
    unsafe { arch::syscall1_noreturn(arch::nr::EXIT, status as usize) }
}
// ANCHOR_END: exit
