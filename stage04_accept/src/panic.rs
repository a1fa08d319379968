//! What a panic does, since `no_std` leaves that to the program.

// ANCHOR: panic
/// There is nobody to tell, so exit with 101, the status Rust's own
/// runtime uses for a panic.
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    crate::sys::process::exit(101)
}

/// The `core` library that rustup ships was compiled to unwind, so its
/// panic functions name this symbol in their unwinding tables. We abort
/// instead of unwinding, so nothing ever calls it, but the linker insists
/// it exists: without it, a debug build fails with
/// "undefined symbol: rust_eh_personality".
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}
// ANCHOR_END: panic
