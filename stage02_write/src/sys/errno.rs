//! Errors: the number a failed system call reports.

// ANCHOR: errno
/// The error number a failed system call reports: positive, in the target's
/// own numbering (see each `arch` file for how it comes back).
/// This stage only needs to know that a call failed; stage 03 reads the
/// number to name the error, hence the `allow`.
#[derive(Clone, Copy)]
pub struct Errno(#[allow(dead_code)] pub(super) usize);
// ANCHOR_END: errno
