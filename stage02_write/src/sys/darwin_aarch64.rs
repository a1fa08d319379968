//! macOS on Apple silicon: `svc #0x80`, the number in x16.
//!
//! Arguments go in x0-x5 and results come back in x0 and x1; the carry flag
//! says whether the call failed (xnu bsd/dev/arm/systemcalls.c,
//! `arm_prepare_u64_syscall_return`). The kernel reads only x16 to choose the
//! call, never the immediate of `svc` (xnu osfmk/arm64/sleh.c, `handle_svc`).

use super::Errno;
use core::arch::asm;

// ANCHOR: nr
/// System call numbers and, beside each, the call's prototype there
/// (xnu bsd/kern/syscalls.master).
pub mod nr {
    /// `exit` ends the whole process (xnu bsd/kern/kern_exit.c, `exit1`).
    pub const EXIT: usize = 1; // void exit(int rval)
    pub const WRITE: usize = 4; // user_ssize_t write(int fd, user_addr_t cbuf, user_size_t nbyte)
}
// ANCHOR_END: nr

// ANCHOR: entry
/// Where dyld hands over: the kernel starts dyld, dyld loads libSystem and
/// then calls the `LC_MAIN` entry as an ordinary C function,
/// `main(argc, argv, envp, apple)` (dyld/dyldMain.cpp). macOS on arm64 runs
/// no static executables, so this is the only way in.
#[unsafe(no_mangle)]
extern "C" fn main(
    argc: i32,
    argv: *const *const u8,
    _envp: *const *const u8,
    _apple: *const *const u8,
) -> ! {
    // SAFETY: dyld passes argv with argc entries, as the kernel laid them
    // out (xnu bsd/kern/kern_exec.c, exec_copyout_strings). argc is never
    // negative; `max(0)` keeps the cast honest anyway.
    let args = unsafe { core::slice::from_raw_parts(argv, argc.max(0) as usize) };
    crate::start(args)
}
// ANCHOR_END: entry

// ANCHOR: syscall
/// Traps into the kernel for a call that never returns, such as exit.
pub unsafe fn syscall1_noreturn(n: usize, a0: usize) -> ! {
    // SAFETY: the caller picks a call that takes one integer and never returns.
    unsafe { asm!("svc #0x80", in("x16") n, in("x0") a0, options(noreturn, nostack)) }
}

/// Traps into the kernel with three arguments and returns its answer.
///
/// XNU clears the carry flag before the call and sets it on failure, with
/// the positive error number in x0; on success x0 is the result and x1 a
/// second result (xnu bsd/dev/arm/systemcalls.c). A positive errno looks
/// like a valid result, so the carry flag is the only way to tell.
pub unsafe fn syscall3(n: usize, a0: usize, a1: usize, a2: usize) -> Result<usize, Errno> {
    let ret: usize;
    let failed: usize;
    // SAFETY: the caller passes arguments that are valid for call `n`.
    // Without `preserves_flags`, the compiler knows NZCV changes.
    unsafe {
        asm!(
            "svc #0x80",
            "cset {failed}, cs", // failed = 1 if the kernel set the carry flag
            failed = lateout(reg) failed,
            inlateout("x16") n => _, // Apple's own stubs treat x16 as scratch
            inlateout("x0") a0 => ret,
            inlateout("x1") a1 => _, // overwritten with the second result
            in("x2") a2,
            options(nostack),
        );
    }
    if failed != 0 {
        Err(Errno(ret))
    } else {
        Ok(ret)
    }
}
// ANCHOR_END: syscall
