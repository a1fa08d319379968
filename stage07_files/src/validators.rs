//! Validators and conditional requests (RFC 9110 §8.8 and §13).
//!
//! A browser that already holds a copy of a file asks again with the
//! validators it was given: `If-None-Match: "<etag>"` and
//! `If-Modified-Since: <date>`. If the file has not changed, the answer is
//! `304 Not Modified` with no body, and the copy is used.

use crate::date;

// ANCHOR: etag
/// An entity tag: `"SIZE-MTIME"`, the file's size in bytes and its
/// modification time in seconds since the epoch, both in lower-case hex
/// without leading zeros (a time before 1970 as its 64-bit two's
/// complement). 612 bytes modified at 2019-04-23 10:18:21 UTC give
/// `"264-5cbee66d"`. nginx uses the same two numbers in the other order,
/// `"MTIME-SIZE"`, here `"5cbee66d-264"` (the format `"\"%xT-%xO\""` in
/// `ngx_http_set_etag`, nginx's src/http/ngx_http_core_module.c).
///
/// The tag changes whenever the file's size or modification time does,
/// which is what "the file changed" means to a static server. Two versions
/// written within the same second with the same size would share a tag;
/// that is the price of not reading the file to hash it.
pub struct ETag {
    buf: [u8; ETAG_ROOM],
    len: usize,
}

/// Two quotes, a dash and two 64-bit numbers of at most 16 hex digits.
const ETAG_ROOM: usize = 3 + 16 + 16;

impl ETag {
    pub fn new(size: u64, mtime: i64) -> ETag {
        let mut tag = ETag {
            buf: [0; ETAG_ROOM],
            len: 0,
        };
        tag.push(b'"');
        tag.push_hex(size);
        tag.push(b'-');
        // A time before 1970 is negative; its bits still tell versions apart.
        tag.push_hex(mtime as u64);
        tag.push(b'"');
        tag
    }

    fn push(&mut self, byte: u8) {
        self.buf[self.len] = byte;
        self.len += 1;
    }

    fn push_hex(&mut self, value: u64) {
        // Skip the leading zeros, but keep at least one digit.
        let digits = (16 - value.leading_zeros() as usize / 4).max(1);
        for i in (0..digits).rev() {
            self.push(b"0123456789abcdef"[(value >> (4 * i)) as usize & 0xf]);
        }
    }

    /// The tag with its quotes, as the `ETag` header carries it.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}
// ANCHOR_END: etag

// ANCHOR: conditional
/// The two request headers that can make a GET or HEAD conditional.
#[derive(Default, Clone, Copy)]
pub struct Conditions<'a> {
    pub if_none_match: Option<&'a [u8]>,
    pub if_modified_since: Option<&'a [u8]>,
}

/// Whether a GET or HEAD with `conditions` gets `304 Not Modified` for a
/// file with tag `etag` modified at `mtime` (RFC 9110 §13.2.2):
/// `If-None-Match` decides when it is present, and `If-Modified-Since` is
/// then ignored, since a tag is the more precise of the two.
pub fn not_modified(conditions: Conditions, etag: &ETag, mtime: i64) -> bool {
    if let Some(list) = conditions.if_none_match {
        return matches_any(list, etag.as_bytes());
    }
    match conditions.if_modified_since.and_then(date::parse_http_date) {
        // The date has whole seconds; so is the comparison.
        Some(since) => mtime <= since,
        // A date we cannot read is ignored (RFC 9110 §13.1.3).
        None => false,
    }
}

/// Whether `list`, an `If-None-Match` value, names `etag`: `*` names any;
/// otherwise a comma-separated list of tags, compared the weak way (RFC
/// 9110 §8.8.3.2: a `W/` prefix is ignored).
fn matches_any(list: &[u8], etag: &[u8]) -> bool {
    list.split(|&b| b == b',').any(|item| {
        let item = item.trim_ascii();
        let item = item.strip_prefix(b"W/").unwrap_or(item);
        item == b"*" || item == etag
    })
}
// ANCHOR_END: conditional

// ANCHOR: if_range
/// Whether a `Range` request may be honoured given its `If-Range` value
/// (RFC 9110 §13.1.5): with no `If-Range`, yes; with one, only if it is the
/// current tag (compared the strong way, so `W/` never matches) or exactly
/// the current `Last-Modified` date. Otherwise the client's partial copy
/// is stale, and it gets the whole file.
pub fn range_allowed(if_range: Option<&[u8]>, etag: &ETag, mtime: i64) -> bool {
    match if_range.map(<[u8]>::trim_ascii) {
        None => true,
        Some(value) if value.starts_with(b"\"") => value == etag.as_bytes(),
        Some(value) => date::parse_http_date(value) == Some(mtime),
    }
}
// ANCHOR_END: if_range
