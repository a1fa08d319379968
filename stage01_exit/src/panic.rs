//! What a panic does, since `no_std` leaves that to the program.

// ANCHOR: panic
/// There is nobody to tell, so exit with 101, the status Rust's own
/// runtime uses for a panic.
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    crate::sys::process::exit(101)
}
// ANCHOR_END: panic
