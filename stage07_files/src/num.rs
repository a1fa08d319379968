//! Decimal numbers: the one parser and the one formatter of the program.
//!
//! There is no allocator and no `format!` here. Rust's `core::fmt` would
//! work without one, but it is a lot of machinery for a few numbers;
//! doing the digits by hand shows all there is to it.
#![forbid(unsafe_code)]

// ANCHOR: parse
/// Why some bytes are not a decimal number a `u64` can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotDecimal {
    /// Empty, or a byte that is not an ASCII digit: no sign, no spaces.
    NotDigits,
    /// Digits only, but more than `u64::MAX`.
    TooLarge,
}

/// Reads one or more ASCII digits and nothing else. Each caller decides
/// what a number too large means: refused, or "past any end".
pub fn parse_decimal(digits: &[u8]) -> Result<u64, NotDecimal> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(NotDecimal::NotDigits);
    }
    digits.iter().try_fold(0u64, |value, &digit| {
        value
            .checked_mul(10)
            .and_then(|value| value.checked_add(u64::from(digit - b'0')))
            .ok_or(NotDecimal::TooLarge)
    })
}
// ANCHOR_END: parse

// ANCHOR: decimal
/// The digits of a number, built in place: `decimal(n).as_bytes()`.
pub struct Decimal {
    digits: [u8; 20],
    start: usize,
}

/// `n` in decimal, without leading zeros.
pub fn decimal(mut n: u64) -> Decimal {
    // The digits come out last first: fill the buffer from its end. 20
    // digits hold the largest 64-bit number.
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    Decimal { digits, start }
}

impl Decimal {
    pub fn as_bytes(&self) -> &[u8] {
        &self.digits[self.start..]
    }
}
// ANCHOR_END: decimal
