//! The Linux ABI that x86_64 and aarch64 share: constants and structures
//! from the generic uapi headers, and the calls built on them. What differs
//! between the two stays in `linux_x86_64.rs` and `linux_aarch64.rs`, which
//! re-export everything here.

// ANCHOR: constants
/// Socket constants, from include/linux/socket.h, include/linux/net.h
/// (`enum sock_type`) and include/uapi/asm-generic/socket.h.
pub const AF_INET: usize = 2;
pub const SOCK_STREAM: usize = 1;
pub const SOL_SOCKET: usize = 1;
pub const SO_REUSEADDR: usize = 2;

/// "The directory the process runs in", for `openat`
/// (include/uapi/linux/fcntl.h).
pub const AT_FDCWD: usize = -100isize as usize;
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
