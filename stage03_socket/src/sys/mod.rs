//! The system-call layer: the only place that talks to the kernel.
//!
//! Each supported target has one file with the same items in it: the entry
//! point, the trap instruction wrapped in `syscallN` functions, the syscall
//! numbers in `nr`, and the constants and struct layouts that differ between kernels
//! (the two Linux files take theirs from `linux.rs`, which they share).
//! This file picks that file once, here, and builds the calls the rest of
//! the program uses on top of it.

// ANCHOR: pick
#[cfg(all(target_os = "macos", target_arch = "aarch64"))]
#[path = "darwin_aarch64.rs"]
mod arch;

#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
#[path = "linux_aarch64.rs"]
mod arch;

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[path = "linux_x86_64.rs"]
mod arch;

// What the two Linux targets share; each Linux `arch` re-exports it.
#[cfg(target_os = "linux")]
mod linux;

#[cfg(not(any(
    all(target_os = "macos", target_arch = "aarch64"),
    all(target_os = "linux", target_arch = "aarch64"),
    all(target_os = "linux", target_arch = "x86_64"),
)))]
compile_error!(
    "unsupported target: the workbook runs on aarch64-apple-darwin, \
     aarch64-unknown-linux-gnu and x86_64-unknown-linux-gnu"
);
// ANCHOR_END: pick

pub mod errno;
pub use errno::Errno;
pub mod fd;
pub use fd::{Fd, Socket};

// ANCHOR: exit
/// Ends the process with `status`; the parent (your shell) reads it as `$?`.
pub fn exit(status: u8) -> ! {
    // SAFETY: exit takes a plain integer, and the kernel never returns from it.
    unsafe { arch::syscall1_noreturn(arch::nr::EXIT, status as usize) }
}
// ANCHOR_END: exit

// ANCHOR: write
/// Writes some of `bytes` to descriptor `fd` and returns how many it took.
pub fn write(fd: Fd, bytes: &[u8]) -> Result<usize, Errno> {
    // SAFETY: write only reads `bytes.len()` bytes from `bytes`.
    unsafe { arch::syscall3(arch::nr::WRITE, fd.0, bytes.as_ptr() as usize, bytes.len()) }
}

/// Writes all of `bytes`. The kernel may take fewer than asked (a full pipe,
/// a slow terminal), so keep going until none are left. A signal cannot cut
/// a write short with EINTR here: this program installs no signal handlers.
pub fn write_all(fd: Fd, mut bytes: &[u8]) -> Result<(), Errno> {
    while !bytes.is_empty() {
        let taken = write(fd, bytes)?;
        bytes = &bytes[taken..];
    }
    Ok(())
}
// ANCHOR_END: write

// ANCHOR: standard_descriptors
/// `O_RDWR`, open for reading and writing: 2 on every target (xnu
/// bsd/sys/fcntl.h; Linux include/uapi/asm-generic/fcntl.h).
const O_RDWR: usize = 2;

/// Makes sure descriptors 0, 1 and 2 are open, so that nothing the program
/// opens later becomes its standard input, output or error. A shell can
/// start a program with one of them closed (`<&-`, `>&-`, `2>&-`), and the
/// kernel gives every new descriptor the lowest number free (xnu
/// bsd/kern/kern_descrip.c, `fdalloc`; Linux fs/file.c, `alloc_fd`).
///
/// So each open of /dev/null fills the lowest gap, and once one comes back
/// above 2 there is none left: that last one is closed again. Opened for
/// reading and writing, a filled standard input reads end of file, as with
/// `</dev/null`, and a filled output takes and drops everything, as with
/// `>/dev/null`. glibc does this for setuid programs (csu/check_fds.c), Go's
/// runtime for every program (src/runtime/fds_unix.go).
pub fn fill_standard_descriptors() -> Result<(), Errno> {
    let path = c"/dev/null".as_ptr() as usize;
    loop {
        // SAFETY: openat reads the NUL-terminated string at `path`; the
        // mode argument only matters when creating a file.
        let fd =
            Fd(unsafe { arch::syscall5(arch::nr::OPENAT, arch::AT_FDCWD, path, O_RDWR, 0, 0) }?);
        if fd.0 > Fd::STDERR.0 {
            return close(fd);
        }
    }
}
// ANCHOR_END: standard_descriptors

// ANCHOR: read
/// Reads at most `buf.len()` bytes from `fd` into `buf` and returns how many
/// arrived; 0 means end of file.
pub fn read(fd: Fd, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: read writes at most `buf.len()` bytes into `buf`.
    unsafe { arch::syscall3(arch::nr::READ, fd.0, buf.as_mut_ptr() as usize, buf.len()) }
}

/// Gives descriptor `fd` back to the kernel. Not retried on EINTR: on
/// Linux the descriptor is gone even then, and a retry could close one
/// that another part of the program has just opened.
pub fn close(fd: Fd) -> Result<(), Errno> {
    // SAFETY: close takes a plain integer.
    unsafe { arch::syscall3(arch::nr::CLOSE, fd.0, 0, 0) }.map(|_| ())
}
// ANCHOR_END: read

// ANCHOR: socket
pub use arch::{SockaddrIn, sockaddr_in};

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
    let on: i32 = 1;
    let (level, option) = (arch::SOL_SOCKET, arch::SO_REUSEADDR);
    let (value, len) = (&on as *const i32 as usize, size_of::<i32>());
    // SAFETY: setsockopt reads `len` bytes at `value`, the int `on`.
    unsafe { arch::syscall5(arch::nr::SETSOCKOPT, sock.fd().0, level, option, value, len) }
        .map(|_| ())
}

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

/// `struct sockaddr_in` is 16 bytes on every target; the kernels check it.
const _: () = assert!(size_of::<SockaddrIn>() == 16);
// ANCHOR_END: socket

// ANCHOR: c_str
/// The bytes of a NUL-terminated C string, without the NUL.
///
/// # Safety
/// `ptr` must point at a NUL-terminated string that outlives the program.
pub unsafe fn c_str(ptr: *const u8) -> &'static [u8] {
    // SAFETY: the caller promises a NUL-terminated string; the `len` bytes
    // before its NUL are part of it.
    unsafe { core::slice::from_raw_parts(ptr, crate::mem::strlen(ptr)) }
}
// ANCHOR_END: c_str
