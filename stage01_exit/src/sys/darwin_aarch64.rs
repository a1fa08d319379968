//! macOS on Apple silicon: `svc #0x80`, the number in x16.
//!
//! Arguments go in x0-x5 and results come back in x0 and x1; the carry flag
//! says whether the call failed (xnu bsd/dev/arm/systemcalls.c,
//! `arm_prepare_u64_syscall_return`). The kernel reads only x16 to choose the
//! call, never the immediate of `svc` (xnu osfmk/arm64/sleh.c, `handle_svc`).

use core::arch::asm;

// ANCHOR: nr
/// System call numbers and, beside each, the call's prototype there
/// (xnu bsd/kern/syscalls.master).
pub mod nr {
    /// `exit` ends the whole process (xnu bsd/kern/kern_exit.c, `exit1`).
    pub const EXIT: usize = 1; // void exit(int rval)
}
// ANCHOR_END: nr

// ANCHOR: entry
/// Where dyld hands over: the kernel starts dyld, dyld loads libSystem and
/// then calls the `LC_MAIN` entry as an ordinary C function,
/// `main(argc, argv, envp, apple)` (dyld/dyldMain.cpp). macOS on arm64 runs
/// no static executables, so this is the only way in.
#[unsafe(no_mangle)]
extern "C" fn main() -> ! {
    crate::start()
}
// ANCHOR_END: entry

// ANCHOR: syscall
/// Traps into the kernel for a call that never returns, such as exit.
pub unsafe fn syscall1_noreturn(n: usize, a0: usize) -> ! {
    // SAFETY: the caller picks a call that takes one integer and never returns.
    unsafe { asm!("svc #0x80", in("x16") n, in("x0") a0, options(noreturn, nostack)) }
}
// ANCHOR_END: syscall
