//! macOS on Apple silicon: `svc #0x80`, the number in x16.
//!
//! Arguments go in x0-x5 and results come back in x0 and x1; the carry flag
//! says whether the call failed (xnu bsd/dev/arm/systemcalls.c,
//! `arm_prepare_u64_syscall_return`). The kernel reads only x16 to choose the
//! call, never the immediate of `svc` (xnu osfmk/arm64/sleh.c, `handle_svc`).

use super::Errno;
use core::arch::asm;

/// System call numbers and, beside each, the call's prototype there
/// (xnu bsd/kern/syscalls.master).
pub mod nr {
    /// `exit` ends the whole process (xnu bsd/kern/kern_exit.c, `exit1`).
    pub const EXIT: usize = 1; // void exit(int rval)
    /// `fork` returns twice; see [`super::fork`] for how to tell which is which.
    pub const FORK: usize = 2; // int fork(void)
    pub const READ: usize = 3; // user_ssize_t read(int fd, user_addr_t cbuf, user_size_t nbyte)
    pub const WRITE: usize = 4; // user_ssize_t write(int fd, user_addr_t cbuf, user_size_t nbyte)
    pub const CLOSE: usize = 6; // int sys_close(int fd)
    pub const WAIT4: usize = 7; // int wait4(int pid, user_addr_t status, int options, user_addr_t rusage)
    pub const ACCEPT: usize = 30; // int accept(int s, caddr_t name, socklen_t *anamelen)
    pub const GETSOCKNAME: usize = 32; // int getsockname(int fdes, caddr_t asa, socklen_t *alen)
    pub const KILL: usize = 37; // int kill(int pid, int signum, int posix)
    pub const SIGACTION: usize = 46; // int sigaction(int signum, struct __sigaction *nsa, struct sigaction *osa)
    pub const SOCKET: usize = 97; // int socket(int domain, int type, int protocol)
    pub const BIND: usize = 104; // int bind(int s, caddr_t name, socklen_t namelen)
    pub const SETSOCKOPT: usize = 105; // int setsockopt(int s, int level, int name, caddr_t val, socklen_t valsize)
    pub const LISTEN: usize = 106; // int listen(int s, int backlog)
    pub const GETTIMEOFDAY: usize = 116; // int gettimeofday(struct timeval *tp, struct timezone *tzp, uint64_t *mach_absolute_time)
    pub const SHUTDOWN: usize = 134; // int shutdown(int s, int how)
    pub const POLL: usize = 230; // int poll(struct pollfd *fds, u_int nfds, int timeout)
    pub const OPENAT: usize = 463; // int openat(int fd, user_addr_t path, int flags, int mode)
}

/// Socket constants, from xnu bsd/sys/socket.h.
pub const AF_INET: usize = 2;
pub const SOCK_STREAM: usize = 1;
/// Darwin spells "an option of the socket itself" as level 0xffff, not 1.
pub const SOL_SOCKET: usize = 0xffff;
pub const SO_REUSEADDR: usize = 0x0004;
/// Takes the `struct timeval` below.
pub const SO_RCVTIMEO: usize = 0x1006;
/// `shutdown` ends the sending half (`SHUT_RD` 0: receiving, `SHUT_RDWR` 2: both).
pub const SHUT_WR: usize = 1;
pub const SO_SNDTIMEO: usize = 0x1005;
// ANCHOR: send_timeout_inherited
/// Not copied by `accept`: xnu's `sonewconn` (bsd/kern/uipc_socket2.c) leaves `sb_timeo` out.
pub const SEND_TIMEOUT_INHERITED: bool = false;
// ANCHOR_END: send_timeout_inherited
/// TCP's own options, from bsd/netinet/in.h and bsd/netinet/tcp.h.
pub const IPPROTO_TCP: usize = 6;
pub const TCP_NODELAY: usize = 0x01;
// ANCHOR: defer_accept
/// No `TCP_DEFER_ACCEPT` in xnu (bsd/netinet/tcp.h), and BSD's accept filters are left out
/// (bsd/sys/socket.h: `SO_ACCEPTFILTER` under `#ifndef __APPLE__`): `accept` never waits.
pub const TCP_DEFER_ACCEPT: Option<usize> = None;
// ANCHOR_END: defer_accept

/// "The directory the process runs in", for `openat` (bsd/sys/fcntl.h).
pub const AT_FDCWD: usize = -2isize as usize;

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

// ANCHOR: timeval
/// A duration as `SO_RCVTIMEO` takes it from a 64-bit process, xnu's `struct
/// user64_timeval` (bsd/sys/_types/_user64_timeval.h): 64-bit seconds, then
/// microseconds in 32 bits only (`__darwin_suseconds_t` is `__int32_t`, bsd/sys/
/// _types.h), then 4 bytes of padding; read by `sooptcopyin_timeval` (uipc_socket.c).
#[repr(C)]
#[derive(Default)]
pub struct Timeval {
    pub tv_sec: i64,
    pub tv_usec: i32,
}
// ANCHOR_END: timeval

// ANCHOR: clock
/// Microseconds since 1970-01-01 00:00:00 UTC, from `gettimeofday` (bsd/kern/
/// kern_time.c; Darwin has no `clock_gettime`), which copies a `Timeval` to `tp`
/// (seconds through a u32: until 2106). Null `tzp` and `mach_absolute_time` ask
/// for nothing else; only a bad pointer fails.
pub fn now() -> i64 {
    let mut time = Timeval::default();
    // SAFETY: gettimeofday writes one `Timeval` at the pointer, ours.
    let _ = unsafe { syscall3(nr::GETTIMEOFDAY, &mut time as *mut _ as usize, 0, 0) };
    time.tv_sec * 1_000_000 + time.tv_usec as i64
}
// ANCHOR_END: clock

/// Signal numbers and dispositions, from xnu bsd/sys/signal.h.
pub const SIGPIPE: usize = 13;
pub const SIGTERM: usize = 15;
const SIG_IGN: usize = 1;

/// What `sigaction` (syscall 46) reads: xnu's `struct __sigaction`
/// (bsd/sys/signal.h; the kernel copies it in as `__user64_sigaction`).
/// `sa_tramp` is the code the kernel jumps to to run a handler; ignoring
/// a signal runs no code, so it stays 0.
#[repr(C)]
struct SigAction {
    sa_handler: usize,
    sa_tramp: usize,
    sa_mask: u32,
    sa_flags: i32,
}

const _: () = assert!(size_of::<SigAction>() == 24);

/// `SA_VALIDATE_SIGRETURN_FROM_SIGTRAMP` (bsd/sys/signal.h): the first
/// `sigaction` of a process decides whether xnu checks the token a signal
/// handler returns with (bsd/kern/kern_sig.c). libSystem always sets it,
/// so we do too, and keep that check on for the process.
const SA_VALIDATE_SIGRETURN_FROM_SIGTRAMP: i32 = 0x400;

/// Tells the kernel to discard signal `sig` instead of delivering it.
pub fn ignore_signal(sig: usize) -> Result<(), Errno> {
    let action = SigAction {
        sa_handler: SIG_IGN,
        sa_tramp: 0,
        sa_mask: 0,
        sa_flags: SA_VALIDATE_SIGRETURN_FROM_SIGTRAMP,
    };
    let new = &action as *const SigAction as usize;
    // SAFETY: sigaction reads the 24-byte struct at `new`; a null third
    // argument means "don't tell me the old action".
    unsafe { syscall3(nr::SIGACTION, sig, new, 0) }.map(|_| ())
}

/// Sends signal `sig` to process `pid`.
pub fn kill(pid: usize, sig: usize) -> Result<(), Errno> {
    // SAFETY: kill takes plain integers. xnu's kill has a third argument,
    // `posix`, which only changes how process groups are treated;
    // libSystem passes 1 (xnu libsyscall/wrappers/kill.c, bsd/kern/kern_sig.c).
    unsafe { syscall3(nr::KILL, pid, sig, 1) }.map(|_| ())
}

// ANCHOR: sleep
/// Waits `millis` milliseconds (at most `i32::MAX`). xnu has no `nanosleep`
/// call (libSystem builds one on `__semwait_signal`), but `poll` on no
/// descriptors waits out its timeout (bsd/kern/sys_generic.c, `poll_nocancel`)
/// and needs no descriptor, so it works when the process has none left.
pub fn sleep(millis: u32) -> Result<(), Errno> {
    // SAFETY: with no descriptors to watch, poll reads nothing at the null
    // pointer; it returns 0 when the timeout ends.
    unsafe { syscall3(nr::POLL, 0, 0, millis as usize) }.map(|_| ())
}
// ANCHOR_END: sleep

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

/// Makes a copy of this process. Returns 0 in the copy (the child) and the
/// child's process id in the original (the parent).
///
/// xnu's fork answers differently from Linux: x0 holds a pid in *both*
/// processes (the child gets its own), and x1 says which one this is, 1
/// in the child and 0 in the parent (bsd/kern/kern_fork.c, `fork`;
/// osfmk/arm64/status.c, `thread_set_child`). Apple's own stub tests x1
/// (libsyscall/custom/__fork.s); so does this one, then answers the
/// Linux way so that the rest of the program sees one convention.
pub fn fork() -> Result<usize, Errno> {
    let ret: usize;
    let is_child: usize;
    let failed: usize;
    // SAFETY: fork takes no arguments. The child resumes here with a copy
    // of our memory and registers, as if it had made the call itself.
    unsafe {
        asm!(
            "svc #0x80",
            "cset {failed}, cs",
            failed = lateout(reg) failed,
            inlateout("x16") nr::FORK => _,
            lateout("x0") ret,
            lateout("x1") is_child,
            options(nostack),
        );
    }
    match (failed, is_child) {
        (0, 1) => Ok(0),
        (0, _) => Ok(ret),
        _ => Err(Errno(ret)),
    }
}
