//! Processes: ending this one, making others and waiting for them to
//! end, and signals.

use super::{Errno, arch};

/// Ends the process with `status`; the parent (your shell) reads it as `$?`.
pub fn exit(status: u8) -> ! {
    // SAFETY: exit takes a plain integer, and the kernel never returns from it.
    unsafe { arch::syscall1_noreturn(arch::nr::EXIT, status as usize) }
}

pub use arch::{SIGPIPE, SIGTERM, fork, ignore_signal, kill, sleep};

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
