//! Input and output on descriptors of any kind.

use super::{Errno, Fd, arch};

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
