//! Descriptors: the small numbers by which a process names what it has open.

// ANCHOR: fd
/// An open descriptor: the number the kernel gave this process for a file,
/// a pipe, a terminal or a socket. Only `sys` makes one from a number.
/// `Copy`, with no `Drop`: a descriptor is closed when the program says so.
#[derive(Clone, Copy)]
pub struct Fd(pub(super) usize);

impl Fd {
    /// The three descriptors every Unix program starts with, opened for us
    /// by the shell: 0 is standard input, 1 standard output, 2 standard error.
    pub const STDIN: Fd = Fd(0);
    pub const STDOUT: Fd = Fd(1);
    pub const STDERR: Fd = Fd(2);
}

/// A descriptor that is a socket. A type of its own, so that a call that
/// takes a socket and a file (`sendfile`) cannot get them swapped; `fd()`
/// gives the plain descriptor for the calls that take any kind.
#[derive(Clone, Copy)]
pub struct Socket(pub(super) Fd);

impl Socket {
    pub fn fd(self) -> Fd {
        self.0
    }
}
// ANCHOR_END: fd
