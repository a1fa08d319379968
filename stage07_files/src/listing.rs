//! A directory listing as an HTML page, sorted by name, with no allocation.
//!
//! The kernel returns a directory's entries in whatever order the file
//! system keeps them. [`Listing`] collects them into a fixed number of
//! slots, kept sorted as they arrive; [`Listing::render`] writes the page.
//!
//! File names are chosen by whoever writes into the directory, so they are
//! hostile input twice over: inside `href="..."` a name is percent-encoded,
//! so that no byte of it can end the attribute or be read as a scheme
//! (`javascript:x`); as text it is HTML-escaped, so that a file named
//! `"><script>x</script>` shows as those characters and runs nothing.

use crate::num;

// ANCHOR: listing
/// How many entries a listing shows. Past that, the page lists the
/// `CAPACITY` names that sort first and says how many more there are.
pub const CAPACITY: usize = 256;

/// The longest name a slot holds: `NAME_MAX` on Linux
/// (include/uapi/linux/limits.h) and on macOS (xnu bsd/sys/syslimits.h),
/// in bytes. APFS can store longer names (255 UTF-16 units may need 765
/// bytes); such a name is counted among the entries not shown.
pub const NAME_MAX: usize = 255;

/// One directory entry.
#[derive(Clone, Copy)]
struct Slot {
    name: [u8; NAME_MAX],
    len: u8,
    dir: bool,
}

/// The entries of one directory, sorted by name (byte order, which for
/// UTF-8 is code-point order).
pub struct Listing {
    slots: [Slot; CAPACITY],
    /// `order[..count]` are slot numbers, sorted by the names in them:
    /// sorting moves these small numbers, not 257-byte slots.
    order: [u16; CAPACITY],
    count: usize,
    /// Entries seen but not kept: past the capacity, or too long a name.
    more: usize,
}

impl Listing {
    pub fn new() -> Listing {
        let empty = Slot {
            name: [0; NAME_MAX],
            len: 0,
            dir: false,
        };
        Listing {
            slots: [empty; CAPACITY],
            order: [0; CAPACITY],
            count: 0,
            more: 0,
        }
    }

    fn name(&self, rank: usize) -> &[u8] {
        let slot = &self.slots[self.order[rank] as usize];
        &slot.name[..slot.len as usize]
    }

    /// Adds an entry. If all slots are taken, the name that sorts last,
    /// this one included, is dropped and counted.
    pub fn add(&mut self, name: &[u8], dir: bool) {
        if name.len() > NAME_MAX {
            self.more += 1;
            return;
        }
        // Where the name goes in the sorted order (binary search).
        let (mut low, mut high) = (0, self.count);
        while low < high {
            let middle = (low + high) / 2;
            if self.name(middle) < name {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        let rank = low;
        let slot = if self.count < CAPACITY {
            self.count += 1;
            self.count - 1
        } else if rank < CAPACITY {
            // Full: the last name makes way, and its slot takes this one.
            self.more += 1;
            self.order[CAPACITY - 1] as usize
        } else {
            self.more += 1;
            return;
        };
        self.order.copy_within(rank..self.count - 1, rank + 1);
        self.order[rank] = slot as u16;
        let slot = &mut self.slots[slot];
        slot.name[..name.len()].copy_from_slice(name);
        slot.len = name.len() as u8;
        slot.dir = dir;
    }
}
// ANCHOR_END: listing

// ANCHOR: render
/// The style of a listing page: small, readable, no external file.
const STYLE: &[u8] = b"body{font:16px/1.5 system-ui,sans-serif;max-width:46em;\
margin:2em auto;padding:0 1em;color:#222}\
a{color:#0b5cad;text-decoration:none}a:hover{text-decoration:underline}\
ul{list-style:none;padding:0}li{padding:.15em 0;border-bottom:1px solid #eee}\
footer{color:#666;font-size:.9em;margin-top:1em}";

impl Listing {
    /// Writes the page for the directory at `url_path`, the decoded path
    /// it was asked for (ending in `/`), handing `out` one piece at a time.
    /// The server calls it twice, as for any body: once to count the
    /// bytes for `Content-Length`, once to send them.
    pub fn render(&self, url_path: &[u8], out: &mut dyn FnMut(&[u8])) {
        out(b"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        out(b"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        out(b"<title>Index of ");
        html_escape(url_path, out);
        out(b"</title>\n<style>");
        out(STYLE);
        out(b"</style>\n</head>\n<body>\n<h1>Index of ");
        html_escape(url_path, out);
        out(b"</h1>\n<ul>\n");
        if url_path != b"/" {
            out(b"<li><a href=\"../\">../</a></li>\n");
        }
        for rank in 0..self.count {
            let slot = &self.slots[self.order[rank] as usize];
            let name = &slot.name[..slot.len as usize];
            let slash: &[u8] = if slot.dir { b"/" } else { b"" };
            // A relative link: the page's own URL ends in `/`, so the
            // browser resolves it inside this directory.
            out(b"<li><a href=\"");
            percent_encode(name, out);
            out(slash);
            out(b"\">");
            html_escape(name, out);
            out(slash);
            out(b"</a></li>\n");
        }
        out(b"</ul>\n");
        if self.more > 0 {
            out(b"<footer>and ");
            out(num::decimal(self.more as u64).as_bytes());
            out(b" more entries not shown</footer>\n");
        }
        out(b"</body>\n</html>\n");
    }
}
// ANCHOR_END: render

// ANCHOR: escape
/// Writes `text` so that HTML shows it as it is: the five characters with
/// a meaning in markup become character references.
pub fn html_escape(text: &[u8], out: &mut dyn FnMut(&[u8])) {
    let mut start = 0;
    for (i, &byte) in text.iter().enumerate() {
        let reference: &[u8] = match byte {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\'' => b"&#39;",
            _ => continue,
        };
        out(&text[start..i]);
        out(reference);
        start = i + 1;
    }
    out(&text[start..]);
}

/// Writes `name` as one path segment of a URL: every byte but the
/// unreserved ones (RFC 3986 §2.3: letters, digits, `-._~`) becomes `%XX`.
/// That covers `/`, `?`, `#`, `:`, quotes, spaces and every non-ASCII byte.
pub fn percent_encode(name: &[u8], out: &mut dyn FnMut(&[u8])) {
    for &byte in name {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out(&[byte]);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out(&[b'%', HEX[byte as usize >> 4], HEX[byte as usize & 0xf]]);
        }
    }
}
// ANCHOR_END: escape
