//! Linux on aarch64: `svc #0`, the number in x8.
//!
//! Arguments go in x0-x5 and the result comes back in x0
//! (arch/arm64/kernel/syscall.c, `el0_svc_common(regs, regs->regs[8], ...)`).
//! The kernel restores every other register before it returns.

use super::Errno;
use core::arch::{asm, naked_asm};

/// System call numbers, from include/uapi/asm-generic/unistd.h (arm64 uses
/// the generic table); beside each, the prototype of the kernel function it
/// runs (include/linux/syscalls.h).
pub mod nr {
    pub const OPENAT: usize = 56; // long sys_openat(int dfd, const char __user *filename, int flags, umode_t mode)
    pub const CLOSE: usize = 57; // long sys_close(unsigned int fd)
    /// `getdents64`.
    pub const GETDENTS: usize = 61; // long sys_getdents64(unsigned int fd, struct linux_dirent64 __user *dirent, unsigned int count)
    pub const READ: usize = 63; // long sys_read(unsigned int fd, char __user *buf, size_t count)
    pub const WRITE: usize = 64; // long sys_write(unsigned int fd, const char __user *buf, size_t count)
    /// `pread64`.
    pub const PREAD: usize = 67; // long sys_pread64(unsigned int fd, char __user *buf, size_t count, loff_t pos)
    /// `sendfile64`: socket first, file second; see [`super::sendfile`].
    pub const SENDFILE: usize = 71; // long sys_sendfile64(int out_fd, int in_fd, loff_t __user *offset, size_t count)
    pub const PPOLL: usize = 73; // long sys_ppoll(struct pollfd __user *, unsigned int, struct __kernel_timespec __user *, const sigset_t __user *, size_t)
    pub const FSTAT: usize = 80; // long sys_newfstat(unsigned int fd, struct stat __user *statbuf)
    /// `exit_group` ends every thread; plain `exit` (93) would end only this one.
    pub const EXIT: usize = 94; // long sys_exit_group(int error_code)
    pub const CLOCK_GETTIME: usize = 113; // long sys_clock_gettime(clockid_t which_clock, struct __kernel_timespec __user *tp)
    pub const KILL: usize = 129; // long sys_kill(pid_t pid, int sig)
    pub const RT_SIGACTION: usize = 134; // long sys_rt_sigaction(int, const struct sigaction __user *, struct sigaction __user *, size_t)
    pub const SOCKET: usize = 198; // long sys_socket(int, int, int)
    pub const BIND: usize = 200; // long sys_bind(int, struct sockaddr __user *, int)
    pub const LISTEN: usize = 201; // long sys_listen(int, int)
    pub const ACCEPT: usize = 202; // long sys_accept(int, struct sockaddr __user *, int __user *)
    pub const GETSOCKNAME: usize = 204; // long sys_getsockname(int, struct sockaddr __user *, int __user *)
    pub const SETSOCKOPT: usize = 208; // long sys_setsockopt(int fd, int level, int optname, char __user *optval, int optlen)
    pub const SHUTDOWN: usize = 210; // long sys_shutdown(int, int)
    pub const CLONE: usize = 220; // long sys_clone(unsigned long, unsigned long, int __user *, unsigned long, int __user *)
    pub const WAIT4: usize = 260; // long sys_wait4(pid_t pid, int __user *stat_addr, int options, struct rusage __user *ru)
}

// The constants, structures and calls both Linux targets share.
pub use super::linux::*;

/// The `open` flags arm64 defines its own way
/// (arch/arm64/include/uapi/asm/fcntl.h): not the generic values x86_64 uses.
pub const O_NOFOLLOW: usize = 0o100000;
pub const O_DIRECTORY: usize = 0o40000;

/// What `fstat` writes: the generic `struct stat` arm64 uses
/// (include/uapi/asm-generic/stat.h), 128 bytes. Only the three fields the
/// server reads are named; the bytes between them are the other fields,
/// listed in the comments.
#[repr(C)]
pub struct Stat {
    /// st_dev, st_ino.
    _before_mode: [u8; 16],
    st_mode: u32,
    /// st_nlink, st_uid, st_gid, st_rdev, __pad1.
    _before_size: [u8; 28],
    st_size: i64,
    /// st_blksize, __pad2, st_blocks, st_atime, st_atime_nsec.
    _before_mtime: [u8; 32],
    /// The last change of the contents.
    st_mtime: i64,
    /// st_mtime_nsec, st_ctime, st_ctime_nsec, __unused4, __unused5.
    _rest: [u8; 32],
}

const _: () = assert!(size_of::<Stat>() == 128);
const _: () = assert!(core::mem::offset_of!(Stat, st_mode) == 16);
const _: () = assert!(core::mem::offset_of!(Stat, st_size) == 48);
const _: () = assert!(core::mem::offset_of!(Stat, st_mtime) == 88);

impl Stat {
    pub fn mode(&self) -> u32 {
        self.st_mode
    }
    pub fn size(&self) -> u64 {
        self.st_size as u64
    }
    pub fn mtime(&self) -> i64 {
        self.st_mtime
    }
}

/// Where the kernel starts the program (the ELF entry point).
///
/// There is no caller and no return address: the kernel jumped here with sp
/// pointing at argc, then the argv pointers, a null, the environment
/// (fs/binfmt_elf.c, create_elf_tables), 16-byte aligned, as AAPCS64 wants
/// it. Naked, so the compiler adds no prologue.
#[unsafe(naked)]
#[unsafe(no_mangle)]
unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        "mov x29, #0",  // a zero frame pointer marks the outermost frame
        "mov x0, sp",   // first argument of start: where argc is
        "bl {start}",   // call start with sp as the kernel left it
        "brk #0",       // start never returns; trap if it somehow did
        start = sym start,
    )
}

/// Reads argc and argv off the initial stack and runs the program.
extern "C" fn start(stack: *const usize) -> ! {
    // SAFETY: `stack` is where the kernel put argc, followed by argc
    // pointers: the layout create_elf_tables writes.
    let args = unsafe {
        let argc = *stack;
        let argv = stack.add(1) as *const *const u8;
        core::slice::from_raw_parts(argv, argc)
    };
    crate::start(args)
}

/// Traps into the kernel for a call that never returns, such as exit.
pub unsafe fn syscall1_noreturn(n: usize, a0: usize) -> ! {
    // SAFETY: the caller picks a call that takes one integer and never returns.
    unsafe { asm!("svc #0", in("x8") n, in("x0") a0, options(noreturn, nostack)) }
}

/// Linux reports an error as a return value in -4095..=-1, the negated error
/// number (include/linux/err.h, MAX_ERRNO); anything else is a result.
fn result(ret: usize) -> Result<usize, Errno> {
    if ret > -4096isize as usize {
        Err(Errno(ret.wrapping_neg()))
    } else {
        Ok(ret)
    }
}

/// Traps into the kernel with three arguments and returns its answer,
/// read by [`result`].
pub unsafe fn syscall3(n: usize, a0: usize, a1: usize, a2: usize) -> Result<usize, Errno> {
    let ret: usize;
    // SAFETY: the caller passes arguments that are valid for call `n`.
    unsafe {
        asm!(
            "svc #0",
            in("x8") n,
            inlateout("x0") a0 => ret,
            in("x1") a1,
            in("x2") a2,
            options(nostack, preserves_flags),
        );
    }
    result(ret)
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
    // SAFETY: the caller passes arguments that are valid for call `n`.
    unsafe {
        asm!(
            "svc #0",
            in("x8") n,
            inlateout("x0") a0 => ret,
            in("x1") a1,
            in("x2") a2,
            in("x3") a3,
            in("x4") a4,
            options(nostack, preserves_flags),
        );
    }
    result(ret)
}

/// Sent to a parent when a child ends (include/uapi/asm-generic/signal.h);
/// 20 on macOS.
const SIGCHLD: usize = 17;

/// Makes a copy of this process. Returns 0 in the copy (the child) and the
/// child's process id in the original (the parent).
///
/// arm64 Linux has no `fork` system call, only its general form `clone`
/// (include/uapi/asm-generic/unistd.h keeps `__NR_fork` for old
/// architectures only). With no flags but the signal to send the parent
/// when the child ends, SIGCHLD, and every other argument 0, clone is
/// exactly fork: a new process with a copy of everything.
pub fn fork() -> Result<usize, Errno> {
    // SAFETY: the child resumes here with a copy of our memory and
    // registers, as if it had made the call itself.
    unsafe { syscall5(nr::CLONE, SIGCHLD, 0, 0, 0, 0) }
}
