//! The system-call layer: the only place that talks to the kernel.
//!
//! One file per target holds what differs between the kernels: the entry
//! point, the trap instruction wrapped in `syscallN` functions, the system
//! call numbers in `nr`, and the constants and struct layouts that differ.
//! This file picks that file once, here; the files beside it build the
//! calls the program uses on top of it, one subsystem each.

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

pub mod clock;
pub mod errno;
pub mod fd;
pub mod fs;
pub mod io;
pub mod net;
pub mod process;

pub use errno::Errno;
pub use fd::{Fd, Socket};
