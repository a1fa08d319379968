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
    pub const READ: usize = 3; // user_ssize_t read(int fd, user_addr_t cbuf, user_size_t nbyte)
    pub const WRITE: usize = 4; // user_ssize_t write(int fd, user_addr_t cbuf, user_size_t nbyte)
    pub const CLOSE: usize = 6; // int sys_close(int fd)
    pub const GETSOCKNAME: usize = 32; // int getsockname(int fdes, caddr_t asa, socklen_t *alen)
    pub const SOCKET: usize = 97; // int socket(int domain, int type, int protocol)
    pub const BIND: usize = 104; // int bind(int s, caddr_t name, socklen_t namelen)
    pub const SETSOCKOPT: usize = 105; // int setsockopt(int s, int level, int name, caddr_t val, socklen_t valsize)
    pub const LISTEN: usize = 106; // int listen(int s, int backlog)
    pub const OPENAT: usize = 463; // int openat(int fd, user_addr_t path, int flags, int mode)
}
// ANCHOR_END: nr

// ANCHOR: constants
/// Socket constants, from xnu bsd/sys/socket.h.
pub const AF_INET: usize = 2;
pub const SOCK_STREAM: usize = 1;
/// Darwin spells "an option of the socket itself" as level 0xffff, not 1.
pub const SOL_SOCKET: usize = 0xffff;
pub const SO_REUSEADDR: usize = 0x0004;

/// "The directory the process runs in", for `openat` (bsd/sys/fcntl.h).
pub const AT_FDCWD: usize = -2isize as usize;
// ANCHOR_END: constants

// ANCHOR: sockaddr_in
/// An IPv4 address and port, as xnu lays it out (bsd/netinet/in.h,
/// `struct sockaddr_in`): a length byte, then a one-byte family. Port and
/// address are in network byte order, most significant byte first.
#[repr(C)]
pub struct SockaddrIn {
    pub sin_len: u8,
    pub sin_family: u8,
    pub sin_port: [u8; 2],
    pub sin_addr: [u8; 4],
    pub sin_zero: [u8; 8],
}

/// The address `addr:port`, ready to hand to `bind`.
pub fn sockaddr_in(addr: [u8; 4], port: u16) -> SockaddrIn {
    SockaddrIn {
        sin_len: size_of::<SockaddrIn>() as u8,
        sin_family: AF_INET as u8,
        sin_port: port.to_be_bytes(),
        sin_addr: addr,
        sin_zero: [0; 8],
    }
}
// ANCHOR_END: sockaddr_in

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
    let failed: usize;
    // SAFETY: the caller passes arguments that are valid for call `n`.
    unsafe {
        asm!(
            "svc #0x80",
            "cset {failed}, cs",
            failed = lateout(reg) failed,
            inlateout("x16") n => _,
            inlateout("x0") a0 => ret,
            inlateout("x1") a1 => _,
            in("x2") a2,
            in("x3") a3,
            in("x4") a4,
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
