//! HTTP dates, by hand: `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7).
//!
//! The kernel gives a file's modification time as seconds since
//! 1970-01-01 00:00:00 UTC. Turning that into a calendar date is a few
//! lines of integer arithmetic: split off the time of day, then convert
//! the count of days into a year, month and day with Howard Hinnant's
//! `civil_from_days` (http://howardhinnant.github.io/date_algorithms.html),
//! which treats the year as starting on March 1 so that the leap day falls
//! at its end.

// ANCHOR: names
const DAYS: [&[u8; 3]; 7] = [b"Sun", b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat"];
const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];
// ANCHOR_END: names

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

/// Writes `value` in decimal into all of `out`, with leading zeros.
fn put_digits(out: &mut [u8], mut value: i64) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}
// ANCHOR_END: format

// ANCHOR: parse
/// Reads an HTTP-date in any of the three forms RFC 9110 §5.6.7 says a
/// recipient must accept, and returns its seconds since the epoch:
///
/// - `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate, what everyone sends)
/// - `Sunday, 06-Nov-94 08:49:37 GMT` (obsolete RFC 850 form)
/// - `Sun Nov  6 08:49:37 1994` (obsolete C `asctime` form)
///
/// The day name is not checked against the date: it carries no information.
/// `None` for anything else, and the caller then ignores the header, as
/// RFC 9110 §13.1.3 says to.
pub fn parse_http_date(text: &[u8]) -> Option<i64> {
    let (day, month, year, time) = if let Some(comma) = text.iter().position(|&b| b == b',') {
        let rest = text.get(comma + 1..)?;
        if comma == 3 {
            // IMF-fixdate: " 06 Nov 1994 08:49:37 GMT"
            let [
                b' ',
                d1,
                d2,
                b' ',
                m1,
                m2,
                m3,
                b' ',
                y1,
                y2,
                y3,
                y4,
                b' ',
                time @ ..,
                b' ',
                b'G',
                b'M',
                b'T',
            ] = rest
            else {
                return None;
            };
            let year = number(&[*y1, *y2, *y3, *y4])?;
            (number(&[*d1, *d2])?, [*m1, *m2, *m3], year, time)
        } else {
            // RFC 850: " 06-Nov-94 08:49:37 GMT". A two-digit year is read
            // as the nearest one RFC 9110 allows: 70-99 are 19xx, 00-69 20xx.
            let [
                b' ',
                d1,
                d2,
                b'-',
                m1,
                m2,
                m3,
                b'-',
                y1,
                y2,
                b' ',
                time @ ..,
                b' ',
                b'G',
                b'M',
                b'T',
            ] = rest
            else {
                return None;
            };
            let short = number(&[*y1, *y2])?;
            let year = if short >= 70 {
                1900 + short
            } else {
                2000 + short
            };
            (number(&[*d1, *d2])?, [*m1, *m2, *m3], year, time)
        }
    } else {
        // asctime: "Sun Nov  6 08:49:37 1994", the day padded with a space.
        let [
            _,
            _,
            _,
            b' ',
            m1,
            m2,
            m3,
            b' ',
            d1,
            d2,
            b' ',
            time @ ..,
            b' ',
            y1,
            y2,
            y3,
            y4,
        ] = text
        else {
            return None;
        };
        let day = match d1 {
            b' ' => number(&[*d2])?,
            _ => number(&[*d1, *d2])?,
        };
        (day, [*m1, *m2, *m3], number(&[*y1, *y2, *y3, *y4])?, time)
    };
    let month = MONTHS.iter().position(|name| **name == month)? as u32 + 1;
    let [h1, h2, b':', n1, n2, b':', s1, s2] = time else {
        return None;
    };
    let (hour, minute, second) = (
        number(&[*h1, *h2])?,
        number(&[*n1, *n2])?,
        number(&[*s1, *s2])?,
    );
    // A leap second (60) is allowed by the grammar; it counts as the next.
    if !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day as u32);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

/// The value of a few ASCII digits; `None` if any is not a digit.
fn number(digits: &[u8]) -> Option<i64> {
    digits.iter().try_fold(0, |value, &byte| {
        let digit = byte.wrapping_sub(b'0');
        (digit <= 9).then_some(value * 10 + digit as i64)
    })
}
// ANCHOR_END: parse
