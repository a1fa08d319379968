//! The listening socket on 127.0.0.1: its port, opening it, saying where
//! it listens, and what a failed call on it does.

use crate::console;
use crate::line::Line;
use crate::num;
use crate::sys;

/// The port when none is given: a common choice for a development server.
pub const DEFAULT_PORT: u16 = 8080;
/// 127.0.0.1, the loopback address: reachable from this machine only.
const LOOPBACK: [u8; 4] = [127, 0, 0, 1];
/// How many finished handshakes the kernel may queue before the program
/// accepts them; the kernels cap it at their own limit (`somaxconn`).
const BACKLOG: usize = 128;

/// Reads a port number: one or more ASCII digits and nothing else, at most
/// 65535. No sign, no spaces, no empty string.
pub fn parse_port(text: &[u8]) -> Option<u16> {
    let port = num::parse_decimal(text).ok()?;
    u16::try_from(port).ok()
}

// ANCHOR: open
/// Opens a TCP socket listening on 127.0.0.1:`port` and returns it with
/// the port it really got, which differs when `port` is 0. Ends the
/// program with an error line if any step fails.
pub fn open(port: u16) -> (sys::Socket, u16) {
    let addr = sys::net::sockaddr_in(LOOPBACK, port);
    let fd = sys::net::socket().unwrap_or_else(|err| failed(b"socket", port, err));
    if let Err(err) = sys::net::set_reuse_addr(fd) {
        failed(b"setsockopt SO_REUSEADDR", port, err);
    }
    // Once here, for every connection accepted from it (see sys/net.rs).
    if let Err(err) = sys::net::set_no_delay(fd) {
        failed(b"setsockopt TCP_NODELAY", port, err);
    }
    if let Err(err) = sys::net::bind(fd, &addr) {
        failed(b"bind", port, err);
    }
    if let Err(err) = sys::net::listen(fd, BACKLOG) {
        failed(b"listen", port, err);
    }
    match sys::net::getsockname(fd) {
        Ok(bound) => (fd, u16::from_be_bytes(bound.sin_port)),
        Err(err) => failed(b"getsockname", port, err),
    }
}
// ANCHOR_END: open

/// Says where the server listens, on standard output. If it cannot, the
/// person who started it would never learn the port: exit 1.
pub fn announce(port: u16) {
    let mut line = Line::new();
    line.push(b"listening on http://")
        .push_addr(LOOPBACK, port)
        .push(b"\n");
    if sys::io::write_all(sys::Fd::STDOUT, line.as_bytes()).is_err() {
        sys::process::exit(1);
    }
}

/// A failed call on the listening socket: names the call and the address.
pub fn failed(call: &[u8], port: u16, err: sys::Errno) -> ! {
    console::fail(
        Line::new().push(call).push(b" ").push_addr(LOOPBACK, port),
        err,
    )
}
