//! Files and folders: opening beneath a root, telling a file from a
//! folder, reading a folder, sending a file to a socket.

use super::io::{close, openat, write_all};
use super::{Errno, Fd, Socket, arch, errno};
use core::ffi::CStr;

// ANCHOR: open
pub use arch::{PATH_MAX, Stat};

/// The longest name of one path segment, in bytes, without its NUL:
/// `NAME_MAX` on Linux (include/uapi/linux/limits.h) and macOS (xnu
/// bsd/sys/syslimits.h).
pub const NAME_MAX: usize = 255;

/// Opens `name`, relative to the directory `dir`, with `flags`. `name`
/// is copied into a buffer of ours to add the NUL the kernel looks for.
fn open_at(dir: Option<Fd>, name: &[u8], flags: usize) -> Result<Fd, Errno> {
    let mut path = [0u8; PATH_MAX];
    if name.len() >= path.len() {
        return Err(Errno::ENAMETOOLONG);
    }
    path[..name.len()].copy_from_slice(name);
    // The buffer ends in a NUL whatever `name` holds, so this cannot fail.
    let path = CStr::from_bytes_until_nul(&path).map_err(|_| Errno::ENAMETOOLONG)?;
    openat(dir, path, flags)
}

/// Opens the directory at `path`, relative to where the server runs: the
/// document root. A symbolic link is followed here: whoever starts the
/// server chooses this path, not a client.
pub fn open_directory(path: &[u8]) -> Result<Dir, Errno> {
    open_at(None, path, arch::O_DIRECTORY).map(Dir)
}

/// Opens `path`, made of segments separated by `/` (see path.rs), inside
/// the directory `root`, one segment at a time: each `openat` is relative
/// to the directory the previous one opened, and `O_NOFOLLOW` makes any
/// segment that is a symbolic link fail with ELOOP. So no link is ever
/// followed, anywhere in the path, and since path.rs lets no `..` through,
/// nothing outside `root` can be reached. An empty path opens `root` itself
/// again, as a descriptor of its own that the caller closes like any other.
///
/// Both kernels have a one-call way to say "no link anywhere": Darwin's
/// `O_NOFOLLOW_ANY`, Linux's `openat2` with `RESOLVE_NO_SYMLINKS`. They
/// differ, and each needs a recent kernel; this walk is the same on all
/// three targets and costs an `openat` per segment and a `close` per
/// folder on the way: a file in the root, one `openat`.
///
/// `O_NONBLOCK` keeps the open of a named pipe from waiting for a writer;
/// it changes nothing for files and directories.
pub fn open_beneath(root: Dir, path: &[u8]) -> Result<Fd, Errno> {
    let mut segments = path.split(|&b| b == b'/').filter(|s| !s.is_empty());
    let Some(first) = segments.next() else {
        return open_at(Some(root.fd()), b".", arch::O_DIRECTORY);
    };
    let mut fd = open_segment(root.fd(), first)?;
    for segment in segments {
        // The folder just opened is ours to close; `root` never is.
        let next = open_segment(fd, segment);
        let _ = close(fd);
        fd = next?;
    }
    Ok(fd)
}

/// Opens `segment`, one name, in the directory `dir`, without following
/// a symbolic link.
fn open_segment(dir: Fd, segment: &[u8]) -> Result<Fd, Errno> {
    if segment.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    open_at(Some(dir), segment, arch::O_NOFOLLOW | arch::O_NONBLOCK)
}
// ANCHOR_END: open

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
    // SAFETY: `Stat` holds only integers and byte arrays, for which all
    // zeros is a valid value.
    let mut stat: Stat = unsafe { core::mem::zeroed() };
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

// ANCHOR: read_dir
/// Entry types in `d_type`, the same on both kernels (xnu bsd/sys/dirent.h;
/// Linux include/linux/fs_types.h). A file system that does not record
/// types reports `DT_UNKNOWN` (0).
pub const DT_DIR: u8 = 4;
pub const DT_REG: u8 = 8;

/// Calls `each` with the name and type of every entry of the directory
/// `dir`, `.` and `..` included, in the order the file system keeps them.
pub fn read_dir(dir: Dir, each: &mut dyn FnMut(&[u8], u8)) -> Result<(), Errno> {
    /// `d_reclen`, the length of a record, is a u16 at 16 on every target,
    /// after two 8-byte fields (xnu bsd/sys/dirent.h, `struct direntry`:
    /// d_ino, d_seekoff; Linux include/linux/dirent.h, `linux_dirent64`:
    /// d_ino, d_off).
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
/// and `write` through a buffer of ours (`read_exact_at`).
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
        let len = count.min(buf.len() as u64) as usize;
        let piece = &mut buf[..len];
        read_exact_at(file, piece, offset)?;
        write_all(sock.fd(), piece)?;
        offset += piece.len() as u64;
        count -= piece.len() as u64;
    }
    Ok(())
}

/// Fills `buf` with the bytes of `file` from `offset` on, with `pread`,
/// which reads at an offset and leaves the file's own position alone. The
/// file ending first means it is shorter than its size said: EIO.
pub fn read_exact_at(file: File, buf: &mut [u8], mut offset: u64) -> Result<(), Errno> {
    let mut done = 0;
    while done < buf.len() {
        let rest = &mut buf[done..];
        let (ptr, len) = (rest.as_mut_ptr() as usize, rest.len());
        // SAFETY: pread writes at most `len` bytes at `ptr`, into `buf`.
        let pread = || unsafe {
            arch::syscall5(arch::nr::PREAD, file.fd().0, ptr, len, offset as usize, 0)
        };
        match errno::retry(pread)? {
            0 => return Err(Errno::EIO),
            got => {
                done += got;
                offset += got as u64;
            }
        }
    }
    Ok(())
}
// ANCHOR_END: send_file
