//! Errors: the number a failed system call reports, and its name.

/// The error number a failed system call reports: positive, in the target's
/// own numbering (see each `arch` file for how it comes back). Only `sys`
/// makes one; the rest of the program names them, `Errno::EINTR`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub(super) usize);

impl Errno {
    /// The number, as the kernel reported it.
    pub fn number(self) -> usize {
        self.0
    }

    /// The error's C name and a short description, for the errors these
    /// programs can meet; `None` for any other number.
    pub fn describe(self) -> Option<(&'static str, &'static str)> {
        let &(_, name, text) = KNOWN.iter().find(|&&(known, _, _)| known == self)?;
        Some((name, text))
    }
}

/// One line per error: its name, its number on xnu (bsd/sys/errno.h), its
/// number on Linux (include/uapi/asm-generic/errno-base.h and errno.h,
/// which x86_64 and arm64 share), and what it means. The names are the
/// same everywhere, the numbers are not: the networking errors differ.
macro_rules! errnos {
    ($($name:ident $xnu:literal $linux:literal $text:literal;)*) => {
        impl Errno {
            $(pub const $name: Errno =
                Errno(if cfg!(target_os = "macos") { $xnu } else { $linux });)*
        }
        const KNOWN: &[(Errno, &str, &str)] = &[$((Errno::$name, stringify!($name), $text),)*];
    };
}

errnos! {
    EPERM            1   1 "operation not permitted";
    ENOENT           2   2 "no such file or directory";
    EINTR            4   4 "interrupted by a signal";
    EBADF            9   9 "bad file descriptor";
    ECHILD          10  10 "no child processes";
    ENOMEM          12  12 "out of memory";
    EACCES          13  13 "permission denied";
    EFAULT          14  14 "bad address";
    EINVAL          22  22 "invalid argument";
    ENFILE          23  23 "too many open files in the system";
    EMFILE          24  24 "too many open files";
    EPIPE           32  32 "broken pipe";
    EAGAIN          35  11 "resource temporarily unavailable";
    ENOTSOCK        38  88 "not a socket";
    EPROTONOSUPPORT 43  93 "protocol not supported";
    EAFNOSUPPORT    47  97 "address family not supported";
    EADDRINUSE      48  98 "address in use";
    EADDRNOTAVAIL   49  99 "address not available";
    ECONNABORTED    53 103 "connection aborted";
    ECONNRESET      54 104 "connection reset by peer";
    ENOBUFS         55 105 "no buffer space available";
    ENOTCONN        57 107 "socket is not connected";
}

// ANCHOR: retry
/// Calls `call` again for as long as it fails with EINTR: a signal arrived
/// while the call waited, before it did anything, so asking again is safe.
pub fn retry<T>(mut call: impl FnMut() -> Result<T, Errno>) -> Result<T, Errno> {
    loop {
        match call() {
            Err(Errno::EINTR) => {}
            done => return done,
        }
    }
}
// ANCHOR_END: retry
