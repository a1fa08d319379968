//! The Linux ABI that x86_64 and aarch64 share: constants and structures
//! from the generic uapi headers, and the calls built on them. What differs
//! between the two stays in `linux_x86_64.rs` and `linux_aarch64.rs`, which
//! re-export everything here.

use super::arch::{nr, syscall3, syscall5};
use super::{Errno, Fd, Socket};

/// Socket constants, from include/linux/socket.h, include/linux/net.h
/// (`enum sock_type`) and include/uapi/asm-generic/socket.h.
pub const AF_INET: usize = 2;
pub const SOCK_STREAM: usize = 1;
pub const SOL_SOCKET: usize = 1;
pub const SO_REUSEADDR: usize = 2;
/// `SO_RCVTIMEO_OLD`, which `SO_RCVTIMEO` means where `long` is 64 bits:
/// it takes the `struct timeval` below.
pub const SO_RCVTIMEO: usize = 20;
/// What `shutdown` ends: the sending half (`enum sock_shutdown_cmd`,
/// include/linux/net.h: `SHUT_RD` 0, `SHUT_WR` 1, `SHUT_RDWR` 2).
pub const SHUT_WR: usize = 1;
/// `SO_SNDTIMEO_OLD`, the same way.
pub const SO_SNDTIMEO: usize = 21;
/// A socket `accept` returns starts with the listening socket's send
/// timeout: Linux copies the whole listening socket into each new one
/// (net/core/sock.c, `sk_clone_lock` and `sock_copy`), `sk_sndtimeo` too.
pub const SEND_TIMEOUT_INHERITED: bool = true;
/// TCP's own options, from include/uapi/linux/in.h and
/// include/uapi/linux/tcp.h.
pub const IPPROTO_TCP: usize = 6;
pub const TCP_NODELAY: usize = 1;
/// Linux can hold a connection back from `accept` until it has bytes to
/// read: `TCP_DEFER_ACCEPT` (include/uapi/linux/tcp.h; net/ipv4/tcp_minisocks.c,
/// `tcp_check_req`, drops the handshake's bare ACK while it is set).
pub const TCP_DEFER_ACCEPT: Option<usize> = Some(9);

/// `open` flags both targets share, from include/uapi/asm-generic/fcntl.h.
/// `O_RDONLY` is 0 everywhere.
pub const O_NONBLOCK: usize = 0o4000;
/// "The directory the process runs in", for `openat`
/// (include/uapi/linux/fcntl.h).
pub const AT_FDCWD: usize = -100isize as usize;
/// The longest path the kernel takes, its NUL included
/// (include/uapi/linux/limits.h).
pub const PATH_MAX: usize = 4096;

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

/// A duration as `SO_RCVTIMEO` takes it, Linux's `struct
/// __kernel_old_timeval` (include/uapi/linux/time_types.h): two longs,
/// seconds then microseconds.
#[repr(C)]
pub struct Timeval {
    pub tv_sec: i64,
    pub tv_usec: i64,
}

/// The clock `clock_gettime` reads: the time of day, which can be set
/// (include/uapi/linux/time.h).
const CLOCK_REALTIME: usize = 0;

/// A time as `clock_gettime` writes it, and a duration as `ppoll` takes
/// it: `struct __kernel_timespec` (include/uapi/linux/time_types.h),
/// seconds, then nanoseconds.
#[repr(C)]
#[derive(Default)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

/// Microseconds since 1970-01-01 00:00:00 UTC, from `clock_gettime`
/// (kernel/time/posix-timers.c), which writes a `Timespec`. It fails only
/// for an unknown clock (EINVAL) or a pointer it cannot write (EFAULT):
/// `CLOCK_REALTIME` always exists, and the pointer is ours.
pub fn now() -> i64 {
    let mut time = Timespec::default();
    // SAFETY: clock_gettime writes one `Timespec` at the pointer, ours.
    let _ = unsafe {
        syscall3(
            nr::CLOCK_GETTIME,
            CLOCK_REALTIME,
            &mut time as *mut _ as usize,
            0,
        )
    };
    time.tv_sec * 1_000_000 + time.tv_nsec / 1000
}

/// Signal numbers and dispositions, from include/uapi/asm-generic/signal.h
/// (arm64), arch/x86/include/uapi/asm/signal.h (x86_64), which agree on
/// these, and include/uapi/asm-generic/signal-defs.h.
pub const SIGPIPE: usize = 13;
pub const SIGTERM: usize = 15;
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

const _: () = assert!(size_of::<SigAction>() == 32);

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

/// Waits `millis` milliseconds: `ppoll` on no descriptors at all, which
/// returns 0 when its timeout ends (fs/select.c, `do_sys_poll`). The same
/// call as on macOS, where `poll` is the one way to sleep: aarch64 Linux
/// has no plain `poll`, only `ppoll`, whose timeout is a `timespec`. It
/// needs no descriptor, so it works when the process has none left.
pub fn sleep(millis: u32) -> Result<(), Errno> {
    let timeout = Timespec {
        tv_sec: (millis / 1000) as i64,
        tv_nsec: (millis % 1000) as i64 * 1_000_000,
    };
    let timeout_ptr = &timeout as *const Timespec as usize;
    // SAFETY: ppoll reads the 16-byte `timeout`, ours; with no descriptors
    // it reads nothing at the null `fds`, and a null signal mask leaves
    // the process's mask as it is (the size is then ignored).
    unsafe { syscall5(nr::PPOLL, 0, 0, timeout_ptr, 0, 0) }.map(|_| ())
}

// ANCHOR: dirent
/// Where `getdents64` puts the type and the name in each record,
/// `struct linux_dirent64` (include/linux/dirent.h): d_ino u64, d_off
/// i64, d_reclen u16 (at 16 on every target), d_type u8, then the
/// NUL-terminated name.
pub const D_TYPE: usize = 18;
pub const D_NAME: usize = 19;

/// Reads the next directory entries of `dir` into `buf`; returns how many
/// bytes of records it wrote, 0 at the end.
pub fn getdents(dir: Fd, buf: &mut [u8]) -> Result<usize, Errno> {
    let (ptr, len) = (buf.as_mut_ptr() as usize, buf.len());
    // SAFETY: getdents64 writes at most `len` bytes at `ptr`, ours.
    unsafe { syscall3(nr::GETDENTS, dir.0, ptr, len) }
}
// ANCHOR_END: dirent

// ANCHOR: sendfile
/// Sends up to `count` bytes of `file`, from `offset` on, to the socket
/// `sock`, and returns how many went.
///
/// Linux's `sendfile64(out_fd, in_fd, offset, count)` (fs/read_write.c)
/// takes the destination first, and the offset through a pointer, which
/// it advances (the file's own position is left alone). It returns the
/// count.
pub fn sendfile(file: Fd, sock: Socket, offset: u64, count: usize) -> Result<usize, Errno> {
    let mut position = offset as i64;
    let position_ptr = &mut position as *mut i64 as usize;
    // SAFETY: the kernel reads and writes the i64 `position`, which is ours.
    unsafe { syscall5(nr::SENDFILE, sock.fd().0, file.0, position_ptr, count, 0) }
}
// ANCHOR_END: sendfile
