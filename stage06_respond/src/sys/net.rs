//! TCP sockets: the calls that take a socket and no other descriptor.

use super::{Errno, Fd, Socket, arch};

use arch::Timeval;
pub use arch::{SEND_TIMEOUT_INHERITED, SockaddrIn, sockaddr_in};

/// A new TCP socket (a stream socket of the IPv4 family), not yet bound to
/// any address.
pub fn socket() -> Result<Socket, Errno> {
    // SAFETY: socket takes plain integers; 0 picks the family's stream
    // protocol, TCP.
    let fd = unsafe { arch::syscall3(arch::nr::SOCKET, arch::AF_INET, arch::SOCK_STREAM, 0) }?;
    Ok(Socket(Fd(fd)))
}

/// Lets `bind` reuse a port that an earlier run of the program still
/// holds in TIME_WAIT, so a restarted server does not fail with "address
/// in use" for a minute or more.
pub fn set_reuse_addr(sock: Socket) -> Result<(), Errno> {
    setsockopt(sock, arch::SOL_SOCKET, arch::SO_REUSEADDR, &1i32)
}

// ANCHOR: receive_timeout
/// `micros` microseconds as a `Timeval`.
fn timeval(micros: i64) -> Timeval {
    Timeval {
        tv_sec: micros / 1_000_000,
        tv_usec: (micros % 1_000_000) as _,
    }
}

/// Makes every read on socket `sock` give up with EAGAIN once `micros`
/// microseconds pass with no data, instead of waiting for ever. Each read
/// gets the whole time afresh: this bounds a pause, not a request (conn.rs
/// bounds that). 0 would mean no limit at all, so it is never passed.
pub fn set_receive_timeout(sock: Socket, micros: i64) -> Result<(), Errno> {
    setsockopt(sock, arch::SOL_SOCKET, arch::SO_RCVTIMEO, &timeval(micros))
}
// ANCHOR_END: receive_timeout

// ANCHOR: send_timeout
/// Makes every write on socket `sock` give up with EAGAIN once `seconds`
/// pass without the client taking any data: a client that stops reading
/// would otherwise hold its worker for as long as it likes.
pub fn set_send_timeout(sock: Socket, seconds: u32) -> Result<(), Errno> {
    let micros = seconds as i64 * 1_000_000;
    setsockopt(sock, arch::SOL_SOCKET, arch::SO_SNDTIMEO, &timeval(micros))
}
// ANCHOR_END: send_timeout

// ANCHOR: no_delay
/// Turns off Nagle's algorithm on socket `sock`: a small write goes out at
/// once, even while data sent before it is still waiting for its ACK.
/// Without it, the body written after a head would wait for the client's
/// delayed ACK, some 40 ms, on every request of a kept-alive connection.
///
/// Set on the listening socket, it holds for every socket accepted from
/// it: Linux copies the whole listening socket, TCP state included, into
/// each new one (net/core/sock.c, `sk_clone_lock` and `sock_copy`), and
/// xnu copies `TF_NODELAY` from the listener's TCP block
/// (bsd/netinet/tcp_input.c: `tp->t_flags |= tp0->t_flags & (TF_NOPUSH |
/// TF_NOOPT | TF_NODELAY)`). The timeouts are not inherited everywhere:
/// xnu's `sonewconn` (bsd/kern/uipc_socket2.c) copies `so_timeo` but not
/// the buffers' `sb_timeo`, where `SO_RCVTIMEO` and `SO_SNDTIMEO` live.
/// So Darwin needs both set on every accepted socket; Linux copies them,
/// but a listening socket's `SO_RCVTIMEO` would make `accept` itself give
/// up, so only the send timeout is set once on the listener there
/// (`SEND_TIMEOUT_INHERITED`).
pub fn set_no_delay(sock: Socket) -> Result<(), Errno> {
    setsockopt(sock, arch::IPPROTO_TCP, arch::TCP_NODELAY, &1i32)
}
// ANCHOR_END: no_delay

// ANCHOR: defer
/// Has listening socket `sock` hand a new connection to `accept` only
/// once the client's first bytes have arrived, or about `seconds` later
/// (the kernel counts in retransmissions of its handshake answer). A
/// worker woken by `accept` then finds the request ready, instead of
/// sleeping again in `read` until it comes. Where the kernel has no such
/// option (macOS), this does nothing, and `accept` returns as soon as the
/// handshake ends.
pub fn defer_accept(sock: Socket, seconds: u32) -> Result<(), Errno> {
    match arch::TCP_DEFER_ACCEPT {
        Some(option) => setsockopt(sock, arch::IPPROTO_TCP, option, &(seconds as i32)),
        None => Ok(()),
    }
}
// ANCHOR_END: defer

/// Gives socket `sock` the local address `addr`.
pub fn bind(sock: Socket, addr: &SockaddrIn) -> Result<(), Errno> {
    let (ptr, len) = (addr as *const SockaddrIn as usize, size_of::<SockaddrIn>());
    // SAFETY: bind reads `len` bytes at `ptr`, the struct `addr`.
    unsafe { arch::syscall3(arch::nr::BIND, sock.fd().0, ptr, len) }.map(|_| ())
}

/// Makes a bound socket passive: from now on the kernel completes TCP
/// handshakes on its address by itself and queues up to `backlog` of
/// these connections until the program accepts them.
pub fn listen(sock: Socket, backlog: usize) -> Result<(), Errno> {
    // SAFETY: listen takes plain integers.
    unsafe { arch::syscall3(arch::nr::LISTEN, sock.fd().0, backlog, 0) }.map(|_| ())
}

/// The local address the kernel gave socket `sock`: with port 0, `bind`
/// lets the kernel choose a free port, and this is how to learn which.
pub fn getsockname(sock: Socket) -> Result<SockaddrIn, Errno> {
    let mut addr = sockaddr_in([0; 4], 0);
    // In: the room we offer; out: the size of the address the kernel wrote.
    let mut len = size_of::<SockaddrIn>() as u32;
    let (ptr, len_ptr) = (
        &mut addr as *mut SockaddrIn as usize,
        &mut len as *mut u32 as usize,
    );
    // SAFETY: getsockname writes at most `len` bytes at `ptr` and a u32 at
    // `len_ptr`, both ours and writable.
    unsafe { arch::syscall3(arch::nr::GETSOCKNAME, sock.fd().0, ptr, len_ptr) }?;
    Ok(addr)
}

/// Sets the option `option` at `level` of socket `sock` to `value`, which
/// the kernel reads as `size_of::<T>()` bytes.
fn setsockopt<T>(sock: Socket, level: usize, option: usize, value: &T) -> Result<(), Errno> {
    let (ptr, len) = (value as *const T as usize, size_of::<T>());
    // SAFETY: setsockopt reads `len` bytes at `ptr`, the value `value`.
    unsafe { arch::syscall5(arch::nr::SETSOCKOPT, sock.fd().0, level, option, ptr, len) }
        .map(|_| ())
}

/// `struct sockaddr_in` is 16 bytes on every target; the kernels check it.
const _: () = assert!(size_of::<SockaddrIn>() == 16);
/// `struct timeval` is 16 bytes on every target too, though Darwin's
/// microseconds take only 4 of them; both kernels refuse a shorter one.
const _: () = assert!(size_of::<Timeval>() == 16);

/// Takes the next connection from the queue of listening socket `sock`,
/// waiting for one if it is empty. Returns a new descriptor for talking
/// to that one client, and the client's address.
pub fn accept(sock: Socket) -> Result<(Socket, SockaddrIn), Errno> {
    let mut peer = sockaddr_in([0; 4], 0);
    // In: the room we offer; out: the size of the address the kernel wrote.
    let mut len = size_of::<SockaddrIn>() as u32;
    let (ptr, len_ptr) = (
        &mut peer as *mut SockaddrIn as usize,
        &mut len as *mut u32 as usize,
    );
    // SAFETY: accept writes at most `len` bytes at `ptr` and a u32 at
    // `len_ptr`, both ours and writable.
    let conn = unsafe { arch::syscall3(arch::nr::ACCEPT, sock.fd().0, ptr, len_ptr) }?;
    Ok((Socket(Fd(conn)), peer))
}

/// Ends the sending half of connected socket `sock`: once what was written
/// before has gone out, the kernel sends FIN, and the peer's reads return
/// end of file. The socket can still receive, and stays open until closed.
pub fn shutdown_write(sock: Socket) -> Result<(), Errno> {
    // SAFETY: shutdown takes plain integers; it has two, so the third
    // register is ignored.
    unsafe { arch::syscall3(arch::nr::SHUTDOWN, sock.fd().0, arch::SHUT_WR, 0) }.map(|_| ())
}
