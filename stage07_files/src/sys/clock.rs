//! The clock: the time of day, for the `Date` of a response and for the
//! deadlines of a connection, from one system call on each target.

use super::arch;

// ANCHOR: now
/// Microseconds since 1970-01-01 00:00:00 UTC, as the kernel's clock of
/// the time of day says: `clock_gettime(CLOCK_REALTIME)` on Linux,
/// `gettimeofday` on Darwin. It can be set, so it can jump: a deadline
/// measured with it is only as good as the clock (see conn.rs).
pub fn now() -> i64 {
    arch::now()
}
// ANCHOR_END: now
