//! Linux on aarch64: `svc #0`, the number in x8.
//!
//! Arguments go in x0-x5 and the result comes back in x0
//! (arch/arm64/kernel/syscall.c, `el0_svc_common(regs, regs->regs[8], ...)`).
//! The kernel restores every other register before it returns.

use core::arch::{asm, naked_asm};

// ANCHOR: nr
/// System call numbers, from include/uapi/asm-generic/unistd.h (arm64 uses
/// the generic table); beside each, the prototype of the kernel function it
/// runs (include/linux/syscalls.h).
pub mod nr {
    /// `exit_group` ends every thread; plain `exit` (93) would end only this one.
    pub const EXIT: usize = 94; // long sys_exit_group(int error_code)
}
// ANCHOR_END: nr

// ANCHOR: entry
/// Where the kernel starts the program (the ELF entry point).
///
/// There is no caller and no return address: the kernel jumped here with sp
/// pointing at argc (fs/binfmt_elf.c, create_elf_tables), 16-byte aligned,
/// as AAPCS64 wants it. Naked, so the compiler adds no prologue.
#[unsafe(naked)]
#[unsafe(no_mangle)]
unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        "mov x29, #0",  // a zero frame pointer marks the outermost frame
        "bl {start}",   // call start with sp as the kernel left it
        "brk #0",       // start never returns; trap if it somehow did
        start = sym start,
    )
}

extern "C" fn start() -> ! {
    crate::start()
}
// ANCHOR_END: entry

/// Traps into the kernel for a call that never returns, such as exit.
pub unsafe fn syscall1_noreturn(n: usize, a0: usize) -> ! {
    // SAFETY: the caller picks a call that takes one integer and never returns.
    unsafe { asm!("svc #0", in("x8") n, in("x0") a0, options(noreturn, nostack)) }
}
