//! macOS on Apple silicon: `svc #0x80`, the number in x16.
//!
//! Arguments go in x0-x5 and results come back in x0 and x1; the carry flag
//! says whether the call failed (xnu bsd/dev/arm/systemcalls.c,
//! `arm_prepare_u64_syscall_return`). The kernel reads only x16 to choose the
//! call, never the immediate of `svc` (xnu osfmk/arm64/sleh.c, `handle_svc`).

use super::{Errno, Fd, Socket};
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
    pub const PREAD: usize = 153; // user_ssize_t pread(int fd, user_addr_t buf, user_size_t nbyte, off_t offset)
    pub const POLL: usize = 230; // int poll(struct pollfd *fds, u_int nfds, int timeout)
    /// File first, socket second: see [`super::sendfile`].
    pub const SENDFILE: usize = 337; // int sendfile(int fd, int s, off_t offset, off_t *nbytes, struct sf_hdtr *hdtr, int flags)
    /// `fstat64`, not `fstat` (189): 189 writes the old `struct stat` with
    /// a 32-bit inode number and other offsets (bsd/sys/stat.h).
    pub const FSTAT: usize = 339; // int fstat64(int fd, user_addr_t ub)
    /// `getdirentries64`; see [`super::getdents`].
    pub const GETDENTS: usize = 344; // user_ssize_t getdirentries64(int fd, void *buf, user_size_t bufsize, off_t *position)
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
/// Not copied by `accept`: xnu's `sonewconn` (bsd/kern/uipc_socket2.c) leaves `sb_timeo` out.
pub const SEND_TIMEOUT_INHERITED: bool = false;
/// TCP's own options, from bsd/netinet/in.h and bsd/netinet/tcp.h.
pub const IPPROTO_TCP: usize = 6;
pub const TCP_NODELAY: usize = 0x01;
/// No `TCP_DEFER_ACCEPT` in xnu (bsd/netinet/tcp.h), and BSD's accept filters are left out
/// (bsd/sys/socket.h: `SO_ACCEPTFILTER` under `#ifndef __APPLE__`): `accept` never waits.
pub const TCP_DEFER_ACCEPT: Option<usize> = None;

/// `open` flags, from xnu bsd/sys/fcntl.h. `O_RDONLY` is 0 everywhere.
pub const O_NONBLOCK: usize = 0x4;
pub const O_NOFOLLOW: usize = 0x100;
pub const O_DIRECTORY: usize = 0x100000;
/// "The directory the process runs in", for `openat` (bsd/sys/fcntl.h).
pub const AT_FDCWD: usize = -2isize as usize;
/// The longest path the kernel takes, its NUL included (bsd/sys/syslimits.h).
pub const PATH_MAX: usize = 1024;

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

// ANCHOR: stat
/// What `fstat64` writes: xnu's `struct user64_stat64` (bsd/sys/stat.h),
/// 144 bytes. Only the three fields the server reads are named; the
/// bytes between them are the other fields, listed in the comments.
#[repr(C)]
pub struct Stat {
    _dev: i32,
    /// `mode_t` is 16 bits on Darwin (bsd/sys/_types.h).
    st_mode: u16,
    /// st_nlink, st_ino, st_uid, st_gid, st_rdev, 4 padding bytes, st_atimespec.
    _before_mtime: [u8; 42],
    /// `st_mtimespec.tv_sec`: the last change of the contents.
    st_mtime: i64,
    /// st_mtimespec.tv_nsec, st_ctimespec, st_birthtimespec.
    _before_size: [u8; 40],
    st_size: i64,
    /// st_blocks, st_blksize, st_flags, st_gen, st_lspare, st_qspare.
    _rest: [u8; 40],
}

const _: () = assert!(size_of::<Stat>() == 144);
const _: () = assert!(core::mem::offset_of!(Stat, st_mode) == 4);
const _: () = assert!(core::mem::offset_of!(Stat, st_mtime) == 48);
const _: () = assert!(core::mem::offset_of!(Stat, st_size) == 96);

impl Stat {
    pub fn mode(&self) -> u32 {
        self.st_mode as u32
    }
    pub fn size(&self) -> u64 {
        self.st_size as u64
    }
    pub fn mtime(&self) -> i64 {
        self.st_mtime
    }
}
// ANCHOR_END: stat

// ANCHOR: dirent
/// Where `getdirentries64` puts the type and the name in each record, xnu's
/// `struct direntry` (bsd/sys/dirent.h): d_ino u64, d_seekoff u64,
/// d_reclen u16 (at 16 on every target), d_namlen u16, d_type u8, then
/// the NUL-terminated name.
pub const D_TYPE: usize = 20;
pub const D_NAME: usize = 21;

/// Reads `dir`'s next entries into `buf`; returns the bytes of records written, 0 at the end.
///
/// xnu's `getdirentries64` also takes a pointer where it stores the position reached, which
/// must be valid. Given a buffer of 1024 bytes or more, it keeps the last 4 bytes for a
/// flags word (bit 0: end of directory) and writes records only before it
/// (bsd/vfs/vfs_syscalls.c, `getdirentries64`). The count it returns covers the records
/// alone, so reading up to the count never reads the flags as a record.
pub fn getdents(dir: Fd, buf: &mut [u8]) -> Result<usize, Errno> {
    let mut position: i64 = 0;
    let (ptr, len) = (buf.as_mut_ptr() as usize, buf.len());
    let position_ptr = &mut position as *mut i64 as usize;
    // SAFETY: the kernel writes at most `len` bytes at `ptr` and an i64 at
    // `position_ptr`, both ours.
    unsafe { syscall5(nr::GETDENTS, dir.0, ptr, len, position_ptr, 0) }
}
// ANCHOR_END: dirent

// ANCHOR: sendfile
/// Sends up to `count` bytes of `file`, from `offset` on, to the socket `sock`, and returns
/// how many went. `count` must not be 0 ("to the end" to xnu).
///
/// xnu's `sendfile(fd, s, offset, len, hdtr, flags)` (bsd/kern/uipc_syscalls.c) takes the
/// file first and the socket second, the offset by value and the length through a pointer:
/// in, how much to send; out, how much went. It returns 0, not a count, and it writes the
/// count back whenever it fails too, 0 if nothing went: every error path ends at its
/// `done:` label. So bytes that went before a timeout or a signal are reported as sent, and
/// the error comes back on the next call. Six arguments, so it has a trap of its own:
/// `hdtr` (headers to send first) is null, `flags` 0.
///
/// That written-back count is also why no signal handler may be installed with `SA_RESTART`
/// while this call can run. With that flag, a signal that interrupts its wait for room in
/// the socket (`sbwait`) makes it return ERESTART, and xnu restarts a call by moving the
/// program counter back onto its `svc`, registers unchanged (bsd/dev/arm/systemcalls.c,
/// `arm_prepare_u64_syscall_return`). The restarted call finds in `len` the count already
/// sent, not the count asked for, and the same `offset`: it sends those bytes again, or, if
/// none had gone, the whole file, since 0 means "to the end". Without the flag it fails
/// with EINTR, and the bytes that went are reported as sent.
pub fn sendfile(file: Fd, sock: Socket, offset: u64, count: usize) -> Result<usize, Errno> {
    let mut len = count as i64;
    let ret: usize;
    let failed: usize;
    // SAFETY: the kernel reads and writes the i64 `len`, which is ours.
    unsafe {
        asm!(
            "svc #0x80",
            "cset {failed}, cs",
            failed = lateout(reg) failed,
            inlateout("x16") nr::SENDFILE => _,
            inlateout("x0") file.0 => ret,
            inlateout("x1") sock.fd().0 => _,
            in("x2") offset,
            in("x3") &mut len as *mut i64 as usize,
            in("x4") 0usize,
            in("x5") 0usize,
            options(nostack),
        );
    }
    match (failed, len) {
        (0, sent) => Ok(sent as usize),
        (_, sent) if sent > 0 => Ok(sent as usize),
        _ => Err(Errno(ret)),
    }
}
// ANCHOR_END: sendfile

/// Signal numbers and dispositions, from xnu bsd/sys/signal.h.
pub const SIGPIPE: usize = 13;
pub const SIGTERM: usize = 15;
const SIG_IGN: usize = 1;

/// What `sigaction` (syscall 46) reads: xnu's `struct __sigaction`
/// (bsd/sys/signal.h; the kernel copies it in as `__user64_sigaction`).
/// `sa_tramp` is the code the kernel jumps to to run a handler; ignoring
/// a signal runs no code, so it stays 0. A real handler must also leave
/// `SA_RESTART` (0x2) out of `sa_flags`: see [`sendfile`].
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

/// Waits `millis` milliseconds (at most `i32::MAX`). xnu has no `nanosleep`
/// call (libSystem builds one on `__semwait_signal`), but `poll` on no
/// descriptors waits out its timeout (bsd/kern/sys_generic.c, `poll_nocancel`)
/// and needs no descriptor, so it works when the process has none left.
pub fn sleep(millis: u32) -> Result<(), Errno> {
    // SAFETY: with no descriptors to watch, poll reads nothing at the null
    // pointer; it returns 0 when the timeout ends.
    unsafe { syscall3(nr::POLL, 0, 0, millis as usize) }.map(|_| ())
}

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
