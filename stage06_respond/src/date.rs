//! HTTP dates, by hand: `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7).
//!
//! The kernel counts time in seconds since 1970-01-01 00:00:00 UTC: the
//! clock, and a file's modification time. Turning that into a calendar
//! date is a few lines of integer arithmetic: split off the time of day,
//! then convert the count of days into a year, month and day with Howard
//! Hinnant's `civil_from_days`
//! (http://howardhinnant.github.io/date_algorithms.html), which treats the
//! year as starting on March 1 so that the leap day falls at its end.

use crate::num::decimal;

const DAYS: [&[u8; 3]; 7] = [b"Sun", b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat"];
const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

// ANCHOR: civil
/// The date `days` days after 1970-01-01: (year, month 1-12, day 1-31).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Count from 0000-03-01, in eras of 400 years (146097 days): the
    // Gregorian calendar repeats exactly every era.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    // Every 4th year is a leap year, except every 100th, except every 400th.
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months from March: 31 30 31 30 31 31 30 31 30 31 31 28/29, which
    // (153 * m + 2) / 5 reproduces.
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

// ANCHOR_END: civil

// ANCHOR: format
/// The length of an IMF-fixdate, the one form a server sends.
pub const HTTP_DATE_LEN: usize = 29;

/// `seconds` since the epoch as an IMF-fixdate. Times before year 0 or
/// after 9999, which a file system can hold but the format cannot, are
/// clamped to its first or last second.
pub fn http_date(seconds: i64) -> [u8; HTTP_DATE_LEN] {
    const FIRST: i64 = -62_167_219_200; // 0000-01-01 00:00:00
    const LAST: i64 = 253_402_300_799; // 9999-12-31 23:59:59
    let seconds = seconds.clamp(FIRST, LAST);
    let days = seconds.div_euclid(86_400);
    let time = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday, day 4 of a week that starts on Sunday.
    let weekday = (days + 4).rem_euclid(7) as usize;
    let mut out = *b"Thu, 01 Jan 1970 00:00:00 GMT";
    out[0..3].copy_from_slice(DAYS[weekday]);
    put_digits(&mut out[5..7], day as i64);
    out[8..11].copy_from_slice(MONTHS[month as usize - 1]);
    put_digits(&mut out[12..16], year);
    put_digits(&mut out[17..19], time / 3600);
    put_digits(&mut out[20..22], time / 60 % 60);
    put_digits(&mut out[23..25], time % 60);
    out
}

/// Writes `value` in decimal into all of `out`, with leading zeros, using
/// the program's one decimal formatter. It always fits: `http_date`
/// clamps the date to years 0 to 9999, so no field is negative or longer
/// than its place.
fn put_digits(out: &mut [u8], value: i64) {
    let digits = decimal(value as u64);
    let digits = digits.as_bytes();
    let zeros = out.len() - digits.len();
    out[..zeros].fill(b'0');
    out[zeros..].copy_from_slice(digits);
}
// ANCHOR_END: format
