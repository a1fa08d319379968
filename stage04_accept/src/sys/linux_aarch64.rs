//! Linux on aarch64: `svc #0`, the number in x8.
//!
//! Arguments go in x0-x5 and the result comes back in x0
//! (arch/arm64/kernel/syscall.c, `el0_svc_common(regs, regs->regs[8], ...)`).
//! The kernel restores every other register before it returns.

use super::Errno;
use core::arch::{asm, naked_asm};

// ANCHOR: nr
/// System call numbers, from include/uapi/asm-generic/unistd.h (arm64 uses
/// the generic table).
pub mod nr {
    pub const CLOSE: usize = 57;
    pub const READ: usize = 63;
    pub const WRITE: usize = 64;
    /// `exit_group` ends every thread; plain `exit` (93) would end only this one.
    pub const EXIT: usize = 94;
    pub const KILL: usize = 129;
    pub const RT_SIGACTION: usize = 134;
    pub const GETPID: usize = 172;
    pub const SOCKET: usize = 198;
    pub const BIND: usize = 200;
    pub const LISTEN: usize = 201;
    pub const ACCEPT: usize = 202;
    pub const GETSOCKNAME: usize = 204;
    pub const SETSOCKOPT: usize = 208;
    pub const CLONE: usize = 220;
    pub const WAIT4: usize = 260;
}
// ANCHOR_END: nr

// ANCHOR: constants
/// Socket constants, from include/linux/socket.h, include/linux/net.h
/// (`enum sock_type`) and include/uapi/asm-generic/socket.h.
pub const AF_INET: usize = 2;
pub const SOCK_STREAM: usize = 1;
pub const SOL_SOCKET: usize = 1;
pub const SO_REUSEADDR: usize = 2;

/// Error numbers, from include/uapi/asm-generic/errno-base.h and
/// errno.h (arm64 uses the generic table).
pub mod errno {
    pub const EPERM: usize = 1;
    pub const EINTR: usize = 4;
    pub const EBADF: usize = 9;
    pub const ECHILD: usize = 10;
    pub const ENOMEM: usize = 12;
    pub const EACCES: usize = 13;
    pub const EFAULT: usize = 14;
    pub const EINVAL: usize = 22;
    pub const ENFILE: usize = 23;
    pub const EMFILE: usize = 24;
    pub const EPIPE: usize = 32;
    pub const EAGAIN: usize = 11;
    pub const ENOTSOCK: usize = 88;
    pub const EPROTONOSUPPORT: usize = 93;
    pub const EAFNOSUPPORT: usize = 97;
    pub const EADDRINUSE: usize = 98;
    pub const EADDRNOTAVAIL: usize = 99;
    pub const ECONNABORTED: usize = 103;
    pub const ECONNRESET: usize = 104;
    pub const ENOBUFS: usize = 105;
    pub const ENOTCONN: usize = 107;
}
// ANCHOR_END: constants

// ANCHOR: sockaddr_in
/// An IPv4 address and port, as Linux lays it out
/// (include/uapi/linux/in.h, `struct sockaddr_in`): a two-byte family in
/// the machine's byte order. Port and address are in network byte order,
/// most significant byte first.
#[repr(C)]
pub struct SockaddrIn {
    pub sin_family: u16,
    pub sin_port: [u8; 2],
    pub sin_addr: [u8; 4],
    pub sin_zero: [u8; 8],
}

/// The address `addr:port`, ready to hand to `bind`.
pub fn sockaddr_in(addr: [u8; 4], port: u16) -> SockaddrIn {
    SockaddrIn {
        sin_family: AF_INET as u16,
        sin_port: port.to_be_bytes(),
        sin_addr: addr,
        sin_zero: [0; 8],
    }
}
// ANCHOR_END: sockaddr_in

// ANCHOR: signals
/// Signal numbers and dispositions, from include/uapi/asm-generic/signal.h and signal-defs.h.
pub const SIGPIPE: usize = 13;
pub const SIGTERM: usize = 15;
/// Sent to a parent when a child ends; 20 on macOS.
const SIGCHLD: usize = 17;
const SIG_IGN: usize = 1;

/// What `rt_sigaction` reads: the kernel's `struct sigaction`
/// (include/linux/signal_types.h). The restorer is the code a handler
/// returns to; ignoring a signal runs no code, so it stays 0.
#[repr(C)]
struct SigAction {
    sa_handler: usize,
    sa_flags: usize,
    sa_restorer: usize,
    sa_mask: u64,
}

/// Tells the kernel to discard signal `sig` instead of delivering it.
pub fn ignore_signal(sig: usize) -> Result<(), Errno> {
    let action = SigAction {
        sa_handler: SIG_IGN,
        sa_flags: 0,
        sa_restorer: 0,
        sa_mask: 0,
    };
    let new = &action as *const SigAction as usize;
    // The last argument is the size of `sa_mask`, which the kernel checks
    // (kernel/signal.c, `rt_sigaction`: anything but 8 is EINVAL).
    let mask_size = size_of::<u64>();
    // SAFETY: rt_sigaction reads the 32-byte struct at `new`; a null third
    // argument means "don't tell me the old action".
    unsafe { syscall5(nr::RT_SIGACTION, sig, new, 0, mask_size, 0) }.map(|_| ())
}

/// Sends signal `sig` to process `pid`.
pub fn kill(pid: usize, sig: usize) -> Result<(), Errno> {
    // SAFETY: kill takes plain integers; kill has two, so the third register is ignored.
    unsafe { syscall3(nr::KILL, pid, sig, 0) }.map(|_| ())
}
// ANCHOR_END: signals

// ANCHOR: entry
/// Where the kernel starts the program (the ELF entry point).
///
/// There is no caller and no return address: the kernel jumped here with sp
/// pointing at argc, then the argv pointers, a null, the environment
/// (fs/binfmt_elf.c, create_elf_tables), 16-byte aligned, as AAPCS64 wants
/// it. Naked, so the compiler adds no prologue.
#[unsafe(naked)]
#[unsafe(no_mangle)]
unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        "mov x29, #0",  // a zero frame pointer marks the outermost frame
        "mov x30, #0",  // and a zero link register: there is nowhere to return
        "mov x0, sp",   // first argument of start: where argc is
        "bl {start}",   // call start with sp as the kernel left it
        "brk #0",       // start never returns; trap if it somehow did
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
// ANCHOR_END: entry

// ANCHOR: syscall
/// Traps into the kernel for a call that never returns, such as exit.
pub unsafe fn syscall1_noreturn(n: usize, a0: usize) -> ! {
    // SAFETY: the caller picks a call that takes one integer and never returns.
    unsafe { asm!("svc #0", in("x8") n, in("x0") a0, options(noreturn, nostack)) }
}

/// Traps into the kernel with three arguments and returns its answer.
///
/// Linux reports an error as a return value in -4095..=-1, the negated error
/// number (include/linux/err.h, MAX_ERRNO); anything else is a result.
pub unsafe fn syscall3(n: usize, a0: usize, a1: usize, a2: usize) -> Result<usize, Errno> {
    let ret: usize;
    // SAFETY: the caller passes arguments that are valid for call `n`.
    unsafe {
        asm!(
            "svc #0",
            in("x8") n,
            inlateout("x0") a0 => ret,
            in("x1") a1,
            in("x2") a2,
            options(nostack, preserves_flags),
        );
    }
    if ret > -4096isize as usize {
        Err(Errno(ret.wrapping_neg()))
    } else {
        Ok(ret)
    }
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
            "svc #0",
            in("x8") n,
            inlateout("x0") a0 => ret,
            in("x1") a1,
            in("x2") a2,
            in("x3") a3,
            in("x4") a4,
            options(nostack, preserves_flags),
        );
    }
    if ret > -4096isize as usize {
        Err(Errno(ret.wrapping_neg()))
    } else {
        Ok(ret)
    }
}
// ANCHOR_END: syscall

// ANCHOR: fork
/// Makes a copy of this process. Returns 0 in the copy (the child) and the
/// child's process id in the original (the parent).
///
/// arm64 Linux has no `fork` system call, only its general form `clone`
/// (include/uapi/asm-generic/unistd.h keeps `__NR_fork` for old
/// architectures only). With no flags but the signal to send the parent
/// when the child ends, SIGCHLD, and every other argument 0, clone is
/// exactly fork: a new process with a copy of everything.
pub fn fork() -> Result<usize, Errno> {
    // SAFETY: the child resumes here with a copy of our memory and
    // registers, as if it had made the call itself.
    unsafe { syscall5(nr::CLONE, SIGCHLD, 0, 0, 0, 0) }
}
// ANCHOR_END: fork
