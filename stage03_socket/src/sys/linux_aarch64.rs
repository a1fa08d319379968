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
    pub const SOCKET: usize = 198;
    pub const BIND: usize = 200;
    pub const LISTEN: usize = 201;
    pub const GETSOCKNAME: usize = 204;
    pub const SETSOCKOPT: usize = 208;
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
    pub const ENOMEM: usize = 12;
    pub const EACCES: usize = 13;
    pub const EFAULT: usize = 14;
    pub const EINVAL: usize = 22;
    pub const ENFILE: usize = 23;
    pub const EMFILE: usize = 24;
    pub const EAGAIN: usize = 11;
    pub const ENOTSOCK: usize = 88;
    pub const EPROTONOSUPPORT: usize = 93;
    pub const EAFNOSUPPORT: usize = 97;
    pub const EADDRINUSE: usize = 98;
    pub const EADDRNOTAVAIL: usize = 99;
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
