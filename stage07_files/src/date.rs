//! HTTP dates, by hand: `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7).
//!
//! The kernel counts time in seconds since 1970-01-01 00:00:00 UTC: the
//! clock, and a file's modification time. Turning that into a calendar
//! date is a few lines of integer arithmetic: split off the time of day,
//! then convert the count of days into a year, month and day with Howard
//! Hinnant's `civil_from_days`
//! (http://howardhinnant.github.io/date_algorithms.html), which treats the
//! year as starting on March 1 so that the leap day falls at its end.

use crate::num::{decimal, parse_decimal};

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

/// The inverse: how many days after 1970-01-01 the date is.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = (month as i64 + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day as i64 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
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

// ANCHOR: parse
/// The three forms of an HTTP-date that RFC 9110 §5.6.7 says a recipient
/// must accept, as templates: a lower-case letter stands for one byte of a
/// field (`dd` day, `ee` day padded with a space, `bbb` month, `yy` or
/// `yyyy` year, `hh:ii:ss` time, `www` day name); any other byte stands for
/// itself. The two with a comma start after it.
const IMF_FIXDATE: &[u8] = b" dd bbb yyyy hh:ii:ss GMT"; // Sun, 06 Nov 1994 08:49:37 GMT
const RFC_850: &[u8] = b" dd-bbb-yy hh:ii:ss GMT"; // Sunday, 06-Nov-94 08:49:37 GMT
const ASCTIME: &[u8] = b"www bbb ee hh:ii:ss yyyy"; // Sun Nov  6 08:49:37 1994

/// Reads an HTTP-date in any of those forms, and returns its seconds since
/// the epoch. IMF-fixdate is what everyone sends; the other two are
/// obsolete. The day name is not checked against the date: it carries no
/// information. `None` for anything else, and the caller then ignores the
/// header, as RFC 9110 §13.1.3 says to.
pub fn parse_http_date(text: &[u8]) -> Option<i64> {
    // The comma picks the form: after a three-letter day name, IMF-fixdate;
    // after any other, RFC 850; none at all, asctime.
    let (form, text) = match text.iter().position(|&b| b == b',') {
        Some(3) => (IMF_FIXDATE, &text[4..]),
        Some(comma) => (RFC_850, &text[comma + 1..]),
        None => (ASCTIME, text),
    };
    let literal = |(&want, &got): (&u8, &u8)| want.is_ascii_lowercase() || want == got;
    if text.len() != form.len() || !form.iter().zip(text).all(literal) {
        return None;
    }
    // The bytes under `letter`, which are next to each other in a template.
    let field = |letter: u8| {
        let start = form.iter().position(|&b| b == letter)?;
        let end = form.iter().rposition(|&b| b == letter)? + 1;
        Some(&text[start..end])
    };
    let number_at = |letter| field(letter).and_then(number);
    let day = match field(b'e') {
        Some(padded) => number(padded.strip_prefix(b" ").unwrap_or(padded))?,
        None => number_at(b'd')?,
    };
    let month = field(b'b')?;
    let month = MONTHS.iter().position(|name| name[..] == *month)? as u32 + 1;
    // A two-digit year (RFC 850) is read in a fixed window: 70-99 are
    // 19xx, 00-69 20xx.
    let year = field(b'y')?;
    let year = match (year.len(), number(year)?) {
        (2, short @ 70..) => 1900 + short,
        (2, short) => 2000 + short,
        (_, year) => year,
    };
    let (hour, minute, second) = (number_at(b'h')?, number_at(b'i')?, number_at(b's')?);
    // A leap second (60) is allowed by the grammar; it counts as the next.
    if !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day as u32);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

/// The value of a field's digits, with the program's one number parser.
/// A template's fields are never empty and at most four digits long, so
/// the value always fits.
fn number(digits: &[u8]) -> Option<i64> {
    parse_decimal(digits).ok().map(|n| n as i64)
}
// ANCHOR_END: parse
