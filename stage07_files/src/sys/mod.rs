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
/// a slow terminal, a socket whose send buffer is full when a signal
/// arrives), so keep going until none are left. A write that a signal
/// interrupts before it took anything fails with EINTR: nothing was lost,
/// so try again. This program installs no signal handler, so today no
/// signal does that; one added later would.
pub fn write_all(fd: Fd, mut bytes: &[u8]) -> Result<(), Errno> {
    while !bytes.is_empty() {
        let taken = errno::retry(|| write(fd, bytes))?;
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
    loop {
        let fd = openat(arch::AT_FDCWD, b"/dev/null", O_RDWR)?;
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
use arch::Timeval;
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

// ANCHOR: receive_timeout
/// Makes every read on socket `sock` give up with EAGAIN once `seconds`
/// pass with no data, instead of waiting for ever. Each read gets the
/// whole time afresh: this bounds a pause, not the whole conversation.
pub fn set_receive_timeout(sock: Socket, seconds: u32) -> Result<(), Errno> {
    let limit = arch::timeval(seconds);
    let (level, option) = (arch::SOL_SOCKET, arch::SO_RCVTIMEO);
    let (value, len) = (&limit as *const Timeval as usize, size_of::<Timeval>());
    // SAFETY: setsockopt reads `len` bytes at `value`, the struct `limit`.
    unsafe { arch::syscall5(arch::nr::SETSOCKOPT, sock.fd().0, level, option, value, len) }
        .map(|_| ())
}
// ANCHOR_END: receive_timeout

// ANCHOR: send_timeout
/// Makes every write on socket `sock` give up with EAGAIN once `seconds`
/// pass without the client taking any data: a client that stops reading
/// would otherwise hold its worker for as long as it likes.
pub fn set_send_timeout(sock: Socket, seconds: u32) -> Result<(), Errno> {
    let limit = arch::timeval(seconds);
    let (level, option) = (arch::SOL_SOCKET, arch::SO_SNDTIMEO);
    let (value, len) = (&limit as *const Timeval as usize, size_of::<Timeval>());
    // SAFETY: setsockopt reads `len` bytes at `value`, the struct `limit`.
    unsafe { arch::syscall5(arch::nr::SETSOCKOPT, sock.fd().0, level, option, value, len) }
        .map(|_| ())
}
// ANCHOR_END: send_timeout

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
/// `struct timeval` is 16 bytes on every target too, though Darwin's
/// microseconds take only 4 of them; both kernels refuse a shorter one.
const _: () = assert!(size_of::<Timeval>() == 16);
// ANCHOR_END: socket

// ANCHOR: accept
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
// ANCHOR_END: accept

// ANCHOR: shutdown
/// Ends the sending half of connected socket `sock`: once what was written
/// before has gone out, the kernel sends FIN, and the peer's reads return
/// end of file. The socket can still receive, and stays open until closed.
pub fn shutdown_write(sock: Socket) -> Result<(), Errno> {
    // SAFETY: shutdown takes plain integers; it has two, so the third
    // register is ignored.
    unsafe { arch::syscall3(arch::nr::SHUTDOWN, sock.fd().0, arch::SHUT_WR, 0) }.map(|_| ())
}
// ANCHOR_END: shutdown

// ANCHOR: processes
pub use arch::{SIGPIPE, SIGTERM, fork, ignore_signal, kill};

/// How a child process ended, decoded from the status word `wait4` fills
/// in. The encoding is the same on both kernels (xnu bsd/sys/wait.h;
/// Linux kernel/exit.c, `do_group_exit((code & 0xff) << 8)`, and
/// kernel/signal.c for a signal): the low 7 bits hold the signal that
/// killed the child, or 0 if it exited, and then bits 8-15 its exit status.
pub enum Ended {
    Exited(u8),
    Killed(u8),
}

/// Waits until any child of this process ends, and reaps it: the kernel
/// keeps a dead child's pid and status (a "zombie") until its parent
/// collects them here. Returns the child's pid and how it ended.
pub fn wait_child() -> Result<(usize, Ended), Errno> {
    let mut status: i32 = 0;
    let any_child = -1isize as usize;
    let status_ptr = &mut status as *mut i32 as usize;
    // SAFETY: wait4 writes an int at `status_ptr`. Options 0: block until a
    // child ends; a null rusage pointer: no resource usage wanted. wait4
    // takes four arguments; the fifth register is ignored.
    let pid = unsafe { arch::syscall5(arch::nr::WAIT4, any_child, status_ptr, 0, 0, 0) }?;
    let ended = match status & 0x7f {
        0 => Ended::Exited((status >> 8) as u8),
        signal => Ended::Killed(signal as u8),
    };
    Ok((pid, ended))
}
// ANCHOR_END: processes

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

// ANCHOR: open
pub use arch::{PATH_MAX, Stat};

/// The longest name of one path segment, in bytes, without its NUL:
/// `NAME_MAX` on Linux (include/uapi/linux/limits.h) and macOS (xnu
/// bsd/sys/syslimits.h).
pub const NAME_MAX: usize = 255;

/// Opens `name`, relative to the directory `dir`, for reading unless
/// `flags` hold another access mode. `name` is copied into a buffer of
/// ours to add the NUL the kernel looks for. `dir` is a descriptor's
/// number, or `AT_FDCWD`.
fn openat(dir: usize, name: &[u8], flags: usize) -> Result<Fd, Errno> {
    let mut path = [0u8; PATH_MAX];
    if name.len() >= path.len() {
        return Err(Errno::ENAMETOOLONG);
    }
    path[..name.len()].copy_from_slice(name);
    let ptr = path.as_ptr() as usize;
    // SAFETY: openat reads the NUL-terminated string at `ptr`; the mode
    // argument only matters when creating a file.
    unsafe { arch::syscall5(arch::nr::OPENAT, dir, ptr, flags, 0, 0) }.map(Fd)
}

/// Opens the directory at `path`, relative to where the server runs: the
/// document root. A symbolic link is followed here: whoever starts the
/// server chooses this path, not a client.
pub fn open_directory(path: &[u8]) -> Result<Dir, Errno> {
    openat(arch::AT_FDCWD, path, arch::O_DIRECTORY).map(Dir)
}

/// Opens `path`, made of segments separated by `/` (see path.rs), inside
/// the directory `root`, one segment at a time: each `openat` is relative
/// to the directory the previous one opened, and `O_NOFOLLOW` makes any
/// segment that is a symbolic link fail with ELOOP. So no link is ever
/// followed, anywhere in the path, and since path.rs lets no `..` through,
/// nothing outside `root` can be reached. An empty path opens `root` itself.
///
/// Both kernels have a one-call way to say "no link anywhere": Darwin's
/// `O_NOFOLLOW_ANY`, Linux's `openat2` with `RESOLVE_NO_SYMLINKS`. They
/// differ, and each needs a recent kernel; this walk is the same on all
/// three targets and costs an `openat` and a `close` per directory.
///
/// `O_NONBLOCK` keeps the open of a named pipe from waiting for a writer;
/// it changes nothing for files and directories.
pub fn open_beneath(root: Dir, path: &[u8]) -> Result<Fd, Errno> {
    // A descriptor of our own for `root`, so that the loop may close every
    // directory it leaves, the first one included.
    let mut fd = openat(root.fd().0, b".", arch::O_DIRECTORY)?;
    for segment in path.split(|&b| b == b'/').filter(|s| !s.is_empty()) {
        if segment.len() > NAME_MAX {
            let _ = close(fd);
            return Err(Errno::ENAMETOOLONG);
        }
        let next = openat(fd.0, segment, arch::O_NOFOLLOW | arch::O_NONBLOCK);
        let _ = close(fd);
        fd = next?;
    }
    Ok(fd)
}
// ANCHOR_END: open

// ANCHOR: fstat
/// A descriptor that is a regular file, and one that is a directory: types
/// of their own, so that a file and a socket cannot trade places in
/// `send_file`, nor a file stand where a directory is read. Only `kind`
/// makes them, from what `fstat` says.
#[derive(Clone, Copy)]
pub struct File(Fd);
#[derive(Clone, Copy)]
pub struct Dir(Fd);

impl File {
    pub fn fd(self) -> Fd {
        self.0
    }
}

impl Dir {
    pub fn fd(self) -> Fd {
        self.0
    }
}

/// What an open descriptor turned out to be.
pub enum Kind {
    File(File, Stat),
    Dir(Dir),
    Other,
}

/// The file types `st_mode & S_IFMT` tells apart, the same on every
/// target (xnu bsd/sys/_types/_s_ifmt.h; Linux include/uapi/linux/stat.h).
const S_IFMT: u32 = 0o170000;
const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;

/// What the kernel knows about the open file `fd`. Asked of the
/// descriptor, never of the path: the file opened is the file described,
/// even if the path changes in between.
fn fstat(fd: Fd) -> Result<Stat, Errno> {
    let mut stat = Stat::zeroed();
    let ptr = &mut stat as *mut Stat as usize;
    // SAFETY: fstat writes one `struct stat` of this target at `ptr`.
    unsafe { arch::syscall3(arch::nr::FSTAT, fd.0, ptr, 0) }?;
    Ok(stat)
}

/// Whether `fd` is a regular file, a directory or something else, by
/// `fstat`; a file comes with what `fstat` said about it.
pub fn kind(fd: Fd) -> Result<Kind, Errno> {
    let stat = fstat(fd)?;
    Ok(match stat.mode() & S_IFMT {
        S_IFREG => Kind::File(File(fd), stat),
        S_IFDIR => Kind::Dir(Dir(fd)),
        _ => Kind::Other,
    })
}
// ANCHOR_END: fstat

// ANCHOR: read_dir
/// Entry types in `d_type`, the same on both kernels (xnu bsd/sys/dirent.h;
/// Linux include/linux/fs_types.h). A file system that does not record
/// types reports `DT_UNKNOWN` (0).
pub const DT_DIR: u8 = 4;
pub const DT_REG: u8 = 8;

/// Calls `each` with the name and type of every entry of the directory
/// `dir`, `.` and `..` included, in the order the file system keeps them.
pub fn read_dir(dir: Dir, each: &mut dyn FnMut(&[u8], u8)) -> Result<(), Errno> {
    /// `d_reclen`, the length of a record, is a u16 at 16 on every target.
    const D_RECLEN: usize = 16;
    let mut buf = [0u8; 4096];
    loop {
        let filled = match errno::retry(|| arch::getdents(dir.fd(), &mut buf))? {
            0 => return Ok(()),
            filled => filled,
        };
        let mut at = 0;
        while at < filled {
            let record = &buf[at..filled];
            let len = match record.get(D_RECLEN..D_RECLEN + 2) {
                Some(&[low, high]) => u16::from_ne_bytes([low, high]) as usize,
                _ => return Err(Errno::EIO),
            };
            // A record too short for its name, or longer than what is
            // left, would be a kernel bug; refuse rather than misread.
            let Some(name) = record.get(arch::D_NAME..len) else {
                return Err(Errno::EIO);
            };
            let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
            each(&name[..end], record[arch::D_TYPE]);
            at += len;
        }
    }
}
// ANCHOR_END: read_dir

// ANCHOR: send_file
/// Sends `count` bytes of `file`, from `offset` on, to the socket `sock`:
/// with `sendfile`, which copies from the file to the socket inside the
/// kernel, or, where the kernel refuses it for this file, with `pread`
/// and `write` through a buffer of ours.
pub fn send_file(sock: Socket, file: File, mut offset: u64, mut count: u64) -> Result<(), Errno> {
    while count > 0 {
        // At most 1 GiB per call: Linux sends at most 2 GiB - 4 KiB per call
        // anyway (MAX_RW_COUNT), and the count must fit a usize.
        let chunk = count.min(1 << 30) as usize;
        match errno::retry(|| arch::sendfile(file.fd(), sock, offset, chunk)) {
            // The file is shorter than its size said: it shrank since.
            Ok(0) => return Err(Errno::EIO),
            Ok(sent) => {
                offset += sent as u64;
                count -= sent as u64;
            }
            // "Not for this file or this file system": copy by hand.
            Err(Errno::EINVAL | Errno::ENOSYS | Errno::ENOTSUP) => {
                return copy_file(sock, file, offset, count);
            }
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

/// What `send_file` falls back to: read a piece, write it, and again.
fn copy_file(sock: Socket, file: File, mut offset: u64, mut count: u64) -> Result<(), Errno> {
    let mut buf = [0u8; 16 * 1024];
    while count > 0 {
        let want = count.min(buf.len() as u64) as usize;
        let ptr = buf.as_mut_ptr() as usize;
        // SAFETY: pread writes at most `want` bytes at `ptr`, into `buf`.
        let pread = || unsafe {
            arch::syscall5(arch::nr::PREAD, file.fd().0, ptr, want, offset as usize, 0)
        };
        let got = match errno::retry(pread)? {
            0 => return Err(Errno::EIO),
            got => got,
        };
        write_all(sock.fd(), &buf[..got])?;
        offset += got as u64;
        count -= got as u64;
    }
    Ok(())
}
// ANCHOR_END: send_file
