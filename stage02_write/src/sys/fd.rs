//! Descriptors: the small numbers by which a process names what it has open.

// ANCHOR: fd
/// An open descriptor: the number the kernel gave this process for a file,
/// a pipe, a terminal or a socket. Only `sys` makes one from a number.
/// `Copy`, with no `Drop`: a descriptor is closed when the program says so.
#[derive(Clone, Copy)]
pub struct Fd(pub(super) usize);

impl Fd {
    /// Standard output: descriptor 1 on every Unix, opened for us by the shell.
    pub const STDOUT: Fd = Fd(1);
}
// ANCHOR_END: fd
