//! Linux on x86_64: the `syscall` instruction, the number in rax.
//!
//! Arguments go in rdi, rsi, rdx, r10, r8, r9 and the result comes back in
//! rax (arch/x86/entry/entry_64.S, header comment). The instruction itself
//! overwrites rcx (the return address) and r11 (the saved flags).

use core::arch::{asm, naked_asm};

// ANCHOR: nr
/// System call numbers, from arch/x86/entry/syscalls/syscall_64.tbl;
/// beside each, the prototype of the kernel function it runs
/// (include/linux/syscalls.h).
pub mod nr {
    /// `exit_group` ends every thread; plain `exit` (60) would end only this one.
    pub const EXIT: usize = 231; // long sys_exit_group(int error_code)
}
// ANCHOR_END: nr

// ANCHOR: entry
/// Where the kernel starts the program (the ELF entry point).
///
/// There is no caller and no return address: the kernel jumped here with
/// rsp pointing at argc (fs/binfmt_elf.c, create_elf_tables), 16-byte
/// aligned. Naked, so the compiler adds no prologue that would assume
/// otherwise.
#[unsafe(naked)]
#[unsafe(no_mangle)]
unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        "xor ebp, ebp",  // a zero frame pointer marks the outermost frame
        "call {start}",  // pushes 8 bytes: rsp is now as a called function expects
        "ud2",           // start never returns; trap if it somehow did
        start = sym start,
    )
}

extern "C" fn start() -> ! {
    crate::start()
}
// ANCHOR_END: entry

// ANCHOR: syscall
/// Traps into the kernel for a call that never returns, such as exit.
pub unsafe fn syscall1_noreturn(n: usize, a0: usize) -> ! {
    // SAFETY: the caller picks a call that takes one integer and never returns.
    unsafe { asm!("syscall", in("rax") n, in("rdi") a0, options(noreturn, nostack)) }
}
// ANCHOR_END: syscall
