//! Input and output on descriptors of any kind.

use super::{Errno, Fd, arch, errno};
use core::ffi::CStr;

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

/// `O_RDWR`, open for reading and writing: 2 on every target (xnu
/// bsd/sys/fcntl.h; Linux include/uapi/asm-generic/fcntl.h).
const O_RDWR: usize = 2;

/// Opens `path`, relative to the directory `dir` (`None`: the directory
/// the process runs in), with `flags`; for reading unless they hold
/// another access mode.
pub fn openat(dir: Option<Fd>, path: &CStr, flags: usize) -> Result<Fd, Errno> {
    let dir = dir.map_or(arch::AT_FDCWD, |fd| fd.0);
    let path = path.as_ptr() as usize;
    // SAFETY: openat reads the NUL-terminated string at `path`; the mode
    // argument only matters when creating a file.
    unsafe { arch::syscall5(arch::nr::OPENAT, dir, path, flags, 0, 0) }.map(Fd)
}

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
        let fd = openat(None, c"/dev/null", O_RDWR)?;
        if fd.0 > Fd::STDERR.0 {
            return close(fd);
        }
    }
}

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
