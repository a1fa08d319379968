//! Linux on x86_64: the `syscall` instruction, the number in rax.
//!
//! Arguments go in rdi, rsi, rdx, r10, r8, r9 and the result comes back in
//! rax (arch/x86/entry/entry_64.S, header comment). The instruction itself
//! overwrites rcx (the return address) and r11 (the saved flags).

use super::Errno;
use core::arch::{asm, naked_asm};

/// System call numbers, from arch/x86/entry/syscalls/syscall_64.tbl;
/// beside each, the prototype of the kernel function it runs
/// (include/linux/syscalls.h).
pub mod nr {
    pub const READ: usize = 0; // long sys_read(unsigned int fd, char __user *buf, size_t count)
    pub const WRITE: usize = 1; // long sys_write(unsigned int fd, const char __user *buf, size_t count)
    pub const CLOSE: usize = 3; // long sys_close(unsigned int fd)
    pub const RT_SIGACTION: usize = 13; // long sys_rt_sigaction(int, const struct sigaction __user *, struct sigaction __user *, size_t)
    pub const SOCKET: usize = 41; // long sys_socket(int, int, int)
    pub const ACCEPT: usize = 43; // long sys_accept(int, struct sockaddr __user *, int __user *)
    pub const SHUTDOWN: usize = 48; // long sys_shutdown(int, int)
    pub const BIND: usize = 49; // long sys_bind(int, struct sockaddr __user *, int)
    pub const LISTEN: usize = 50; // long sys_listen(int, int)
    pub const GETSOCKNAME: usize = 51; // long sys_getsockname(int, struct sockaddr __user *, int __user *)
    pub const SETSOCKOPT: usize = 54; // long sys_setsockopt(int fd, int level, int optname, char __user *optval, int optlen)
    pub const FORK: usize = 57; // long sys_fork(void)
    pub const WAIT4: usize = 61; // long sys_wait4(pid_t pid, int __user *stat_addr, int options, struct rusage __user *ru)
    pub const KILL: usize = 62; // long sys_kill(pid_t pid, int sig)
    pub const CLOCK_GETTIME: usize = 228; // long sys_clock_gettime(clockid_t which_clock, struct __kernel_timespec __user *tp)
    /// `exit_group` ends every thread; plain `exit` (60) would end only this one.
    pub const EXIT: usize = 231; // long sys_exit_group(int error_code)
    pub const OPENAT: usize = 257; // long sys_openat(int dfd, const char __user *filename, int flags, umode_t mode)
    pub const PPOLL: usize = 271; // long sys_ppoll(struct pollfd __user *, unsigned int, struct __kernel_timespec __user *, const sigset_t __user *, size_t)
}

// The constants, structures and calls both Linux targets share.
pub use super::linux::*;

/// Where the kernel starts the program (the ELF entry point).
///
/// There is no caller and no return address: the kernel jumped here with
/// rsp pointing at argc, then the argv pointers, a null, the environment
/// (fs/binfmt_elf.c, create_elf_tables), 16-byte aligned. Naked, so the
/// compiler adds no prologue that would assume otherwise.
#[unsafe(naked)]
#[unsafe(no_mangle)]
unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        "xor ebp, ebp",  // a zero frame pointer marks the outermost frame
        "mov rdi, rsp",  // first argument of start: where argc is
        "call {start}",  // pushes 8 bytes: rsp is now as a called function expects
        "ud2",           // start never returns; trap if it somehow did
        start = sym start,
    )
}

/// Reads argc and argv off the initial stack and runs the program.
extern "C" fn start(stack: *const usize) -> ! {
    // SAFETY: `stack` is where the kernel put argc, followed by argc
    // pointers: the layout create_elf_tables writes.
    let args = unsafe {
        let argc = *stack;
        let argv = stack.add(1) as *const *const u8;
        core::slice::from_raw_parts(argv, argc)
    };
    crate::start(args)
}

/// Traps into the kernel for a call that never returns, such as exit.
pub unsafe fn syscall1_noreturn(n: usize, a0: usize) -> ! {
    // SAFETY: the caller picks a call that takes one integer and never returns.
    unsafe { asm!("syscall", in("rax") n, in("rdi") a0, options(noreturn, nostack)) }
}

/// Linux reports an error as a return value in -4095..=-1, the negated error
/// number (include/linux/err.h, MAX_ERRNO); anything else is a result.
fn result(ret: usize) -> Result<usize, Errno> {
    if ret > -4096isize as usize {
        Err(Errno(ret.wrapping_neg()))
    } else {
        Ok(ret)
    }
}

/// Traps into the kernel with three arguments and returns its answer,
/// read by [`result`].
pub unsafe fn syscall3(n: usize, a0: usize, a1: usize, a2: usize) -> Result<usize, Errno> {
    let ret: usize;
    // SAFETY: the caller passes arguments that are valid for call `n`.
    unsafe {
        asm!(
            "syscall",
            inlateout("rax") n => ret,
            in("rdi") a0,
            in("rsi") a1,
            in("rdx") a2,
            lateout("rcx") _, // the CPU stores the return address here
            lateout("r11") _, // and the flags here, restoring them on return
            options(nostack, preserves_flags),
        );
    }
    result(ret)
}

/// Like [`syscall3`], with five arguments.
pub unsafe fn syscall5(
    n: usize,
    a0: usize,
    a1: usize,
    a2: usize,
    a3: usize,
    a4: usize,
) -> Result<usize, Errno> {
    let ret: usize;
    // SAFETY: the caller passes arguments that are valid for call `n`.
    unsafe {
        asm!(
            "syscall",
            inlateout("rax") n => ret,
            in("rdi") a0,
            in("rsi") a1,
            in("rdx") a2,
            in("r10") a3, // not rcx: the syscall instruction overwrites rcx
            in("r8") a4,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack, preserves_flags),
        );
    }
    result(ret)
}

/// Makes a copy of this process. Returns 0 in the copy (the child) and the
/// child's process id in the original (the parent).
///
/// x86_64 Linux still has the classic `fork` call: 0 in the child.
pub fn fork() -> Result<usize, Errno> {
    // SAFETY: the child resumes here with a copy of our memory and
    // registers, as if it had made the call itself.
    unsafe { syscall3(nr::FORK, 0, 0, 0) }
}
