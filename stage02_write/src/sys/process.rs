//! Processes: ending this one.

use super::arch;

// ANCHOR: exit
/// Ends the process with `status`; the parent (your shell) reads it as `$?`.
pub fn exit(status: u8) -> ! {
    // SAFETY: exit takes a plain integer, and the kernel never returns from it.
    unsafe { arch::syscall1_noreturn(arch::nr::EXIT, status as usize) }
}
// ANCHOR_END: exit
