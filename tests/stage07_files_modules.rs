//! The modules of stage 07 that make no system call, on their own: path
//! mapping, content types, HTTP dates, validators, ranges and listings.

// Compiled straight from the stage: the stage is a `no_std` binary, which
// no test can link to. Each module uses what it needs of the others.
#[path = "../stage07_files/src/date.rs"]
mod date;
#[path = "../stage07_files/src/line.rs"]
#[allow(dead_code)]
mod line;
#[path = "../stage07_files/src/listing.rs"]
mod listing;
#[path = "../stage07_files/src/mime.rs"]
mod mime;
#[path = "../stage07_files/src/num.rs"]
#[allow(dead_code)]
mod num;
#[path = "../stage07_files/src/path.rs"]
mod path;
#[path = "../stage07_files/src/range.rs"]
mod range;
#[path = "../stage07_files/src/status.rs"]
#[allow(dead_code)]
mod status;
#[path = "../stage07_files/src/validators.rs"]
mod validators;

use date::{civil_from_days, days_from_civil, http_date, parse_http_date};
use listing::{Listing, html_escape, percent_encode};
use mime::content_type;
use path::{Mapped, Refusal, map};
use range::{Ranged, parse as range};
use validators::{Conditions, ETag, not_modified, range_allowed};

fn mapped(target: &str) -> Result<(String, bool), u16> {
    let mut room = [0u8; 1024];
    map(target.as_bytes(), &mut room)
        .map(|Mapped { path, slash }| (String::from_utf8_lossy(path).into_owned(), slash))
        .map_err(|refusal| refusal.status().code())
}

#[test]
fn paths_that_map() {
    let ok = |t: &str, p: &str, slash: bool| assert_eq!(mapped(t), Ok((p.into(), slash)), "{t}");
    ok("/", "", true);
    ok("/index.html", "index.html", false);
    ok("/a/b/c.txt", "a/b/c.txt", false);
    ok("/docs/", "docs", true);
    ok("/docs", "docs", false);
    ok("//a///b//", "a/b", true);
    ok("/a%20b.txt", "a b.txt", false);
    ok("/%61bc", "abc", false);
    ok("/%C3%A9t%c3%a9.txt", "été.txt", false);
    ok("/a..b.txt", "a..b.txt", false);
    ok("/file...txt", "file...txt", false);
    ok("/x..", "x..", false);
}

#[test]
fn dotted_names_that_start_with_a_dot_are_hidden() {
    // `..x` is not `..`, but it starts with a dot: hidden, 403 all the same.
    assert_eq!(mapped("/..x"), Err(403));
    assert_eq!(mapped("/.git/config"), Err(403));
    assert_eq!(mapped("/a/.env"), Err(403));
    assert_eq!(mapped("/./a"), Err(403));
    assert_eq!(mapped("/%2egit"), Err(403));
}

#[test]
fn query_is_ignored() {
    assert_eq!(mapped("/a.txt?x=1"), Ok(("a.txt".into(), false)));
    assert_eq!(mapped("/dir/?../../etc/passwd"), Ok(("dir".into(), true)));
    assert_eq!(mapped("/?%zz"), Ok(("".into(), true)));
}

#[test]
fn bad_escapes_and_controls_are_400() {
    for t in [
        "/%",
        "/%4",
        "/%zz",
        "/%G0",
        "/a%2",
        "/%%41",
        "/%00",
        "/a%00.txt",
        "/%0a",
        "/%0d%0a",
        "/%1f",
        "/%7f",
        "/%7F",
        "/a\x01b",
    ] {
        assert_eq!(mapped(t), Err(400), "{t:?}");
    }
}

/// Every spelling of `..` as a segment: raw, any case of `%2e`, with `%2f`
/// or `/` around it, trailing or not.
pub const TRAVERSALS: &[&str] = &[
    "/..",
    "/../",
    "/../etc/passwd",
    "/a/../../etc/passwd",
    "/a/..",
    "/a/../b",
    "/%2e%2e",
    "/%2e%2e/",
    "/%2E%2E/etc/passwd",
    "/%2e%2E/",
    "/%2E%2e/",
    "/.%2e/",
    "/%2e./",
    "/.%2E/etc/passwd",
    "/%2E./etc/passwd",
    "/%2e%2e%2fetc%2fpasswd",
    "/%2e%2e%2Fetc%2Fpasswd",
    "/..%2fetc%2fpasswd",
    "/..%2Fetc/passwd",
    "/a%2f..%2f..%2fetc/passwd",
    "/a%2F%2E%2E%2F%2E%2E%2Fetc",
    "//../etc/passwd",
    "/a//..//..//etc/passwd",
    "/./../etc/passwd",
    "/a/b/../../../etc/passwd",
    "/..?x",
    "/..#frag",
    "/..%3fx",
    "/%2e%2e?query",
    "/a/%2e%2e",
    "/a/.%2e",
    "/a/%2e.",
    "/a/..%2f",
    "/%2f..%2f",
    "/%2F%2E%2E",
    "/..//..//..//etc/passwd",
    "/a/./../..",
    "/.../../etc",
    "/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/..;/etc/passwd",
    "/..\\..\\etc\\passwd",
    "/%2e%2e%5c%2e%2e%5cetc",
    "/..%00/etc",
    "/..%c0%af/etc",
];

#[test]
fn traversals_never_map_to_a_path() {
    for t in TRAVERSALS {
        let answer = mapped(t);
        // Some are refused as `..`, some as hidden or as control bytes:
        // the point is that none maps to a path.
        assert!(matches!(answer, Err(403) | Err(400)), "{t:?} -> {answer:?}");
    }
    assert!(TRAVERSALS.len() >= 40);
}

#[test]
fn dotdot_segments_are_403_specifically() {
    for t in [
        "/..",
        "/%2e%2e",
        "/%2E.",
        "/.%2e",
        "/a/%2e%2e%2fb",
        "/a%2f%2e%2e",
    ] {
        let mut room = [0u8; 64];
        assert_eq!(map(t.as_bytes(), &mut room), Err(Refusal::DotDot), "{t}");
    }
}

#[test]
fn too_long_is_414() {
    let mut room = [0u8; 16];
    assert!(map(b"/0123456789abcd", &mut room).is_ok()); // 14 bytes + NUL fit
    assert_eq!(map(b"/0123456789abcde", &mut room), Err(Refusal::TooLong));
    assert_eq!(
        map(b"/0123456789abcdef0123", &mut room),
        Err(Refusal::TooLong)
    );
    let long = format!("/{}", "a/".repeat(600));
    assert_eq!(mapped(&long), Err(414));
}

#[test]
fn content_types() {
    assert_eq!(content_type(b"index.html"), "text/html; charset=utf-8");
    assert_eq!(content_type(b"INDEX.HTM"), "text/html; charset=utf-8");
    assert_eq!(content_type(b"a/b/style.CsS"), "text/css; charset=utf-8");
    assert_eq!(content_type(b"app.mjs"), "text/javascript; charset=utf-8");
    assert_eq!(content_type(b"x.txt"), "text/plain; charset=utf-8");
    assert_eq!(content_type(b"pic.JPEG"), "image/jpeg");
    assert_eq!(content_type(b"logo.svg"), "image/svg+xml");
    assert_eq!(content_type(b"f.woff2"), "font/woff2");
    assert_eq!(content_type(b"a.tar.gz"), "application/gzip");
    assert_eq!(content_type(b"a.7z"), "application/x-7z-compressed");
    assert_eq!(content_type(b"Makefile"), "application/octet-stream");
    assert_eq!(content_type(b"file."), "application/octet-stream");
    assert_eq!(content_type(b"x.unknown"), "application/octet-stream");
    assert_eq!(content_type(b"dir.html/file"), "application/octet-stream");
    for ext in [
        "html", "htm", "css", "js", "mjs", "json", "map", "wasm", "xml", "csv", "txt", "png",
        "jpg", "jpeg", "gif", "svg", "ico", "webp", "avif", "bmp", "tiff", "apng", "woff", "woff2",
        "ttf", "otf", "pdf", "doc", "docx", "epub", "rtf", "mp4", "webm", "mkv", "avi", "mov",
        "mp3", "ogg", "wav", "flac", "aac", "m4a", "opus", "zip", "gz", "tar", "7z", "bz2", "rar",
    ] {
        let t = content_type(format!("f.{}", ext.to_uppercase()).as_bytes());
        assert_ne!(t, "application/octet-stream", "{ext}");
        assert_eq!(
            t.starts_with("text/"),
            t.ends_with("; charset=utf-8"),
            "{ext}"
        );
    }
}

#[test]
fn civil_round_trip() {
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    assert_eq!(civil_from_days(-1), (1969, 12, 31));
    assert_eq!(civil_from_days(11017), (2000, 3, 1));
    assert_eq!(civil_from_days(11016), (2000, 2, 29));
    for days in -800_000..800_000 {
        let (y, m, d) = civil_from_days(days);
        assert_eq!(days_from_civil(y, m, d), days);
    }
}

fn date(secs: i64) -> String {
    String::from_utf8(http_date(secs).to_vec()).unwrap()
}

#[test]
fn http_dates() {
    assert_eq!(date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    assert_eq!(date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(date(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
    assert_eq!(date(1_700_000_000), "Tue, 14 Nov 2023 22:13:20 GMT");
    assert_eq!(date(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
    assert_eq!(date(4_102_444_800), "Fri, 01 Jan 2100 00:00:00 GMT");
    assert_eq!(date(i64::MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
    assert_eq!(date(i64::MIN), "Sat, 01 Jan 0000 00:00:00 GMT");
}

/// Against the C library's gmtime, through GNU `date` (`-d @SECONDS` is a
/// GNU option), for a spread of times over 127 years.
#[cfg(target_os = "linux")]
#[test]
fn http_dates_agree_with_gnu_date() {
    for secs in (0..4_000_000_000i64).step_by(99_999_989) {
        let out = std::process::Command::new("date")
            .args([
                "-u",
                "-d",
                &format!("@{secs}"),
                "+%a, %d %b %Y %H:%M:%S GMT",
            ])
            .env("LC_ALL", "C")
            .output()
            .unwrap();
        assert_eq!(
            date(secs),
            String::from_utf8(out.stdout).unwrap().trim(),
            "{secs}"
        );
    }
}

#[test]
fn http_dates_parse() {
    let t = Some(784111777);
    assert_eq!(parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT"), t);
    assert_eq!(parse_http_date(b"Sunday, 06-Nov-94 08:49:37 GMT"), t);
    assert_eq!(parse_http_date(b"Sun Nov  6 08:49:37 1994"), t);
    assert_eq!(parse_http_date(b"Sun Nov 06 08:49:37 1994"), t);
    assert_eq!(
        parse_http_date(b"Thursday, 01-Jan-70 00:00:00 GMT"),
        Some(0)
    );
    assert_eq!(
        parse_http_date(b"Friday, 01-Jan-21 00:00:00 GMT"),
        Some(1_609_459_200)
    );
    for bad in [
        "",
        "garbage",
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT ",
        "Sun, 0x Nov 1994 08:49:37 GMT",
        "Sun, 06 nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 gmt",
        // The comma picks the form; the others are not tried.
        "Sun, 06-Nov-94 08:49:37 GMT",
        "Sunday, 06 Nov 1994 08:49:37 GMT",
        "Su, Nov  6 08:49:37 1994",
        // asctime pads the day with one space, not a tab, not after it.
        "Sun Nov 6 08:49:37 1994",
        "Sun Nov \t6 08:49:37 1994",
        "Sun Nov 6  08:49:37 1994",
        "Sun Nov    08:49:37 1994",
        "Sun Nov  6 08:49:37 94",
    ] {
        assert_eq!(parse_http_date(bad.as_bytes()), None, "{bad}");
    }
    // The day name is not checked, nor is its length in the RFC 850 form.
    assert_eq!(parse_http_date(b"Xyz, 06 Nov 1994 08:49:37 GMT"), t);
    assert_eq!(parse_http_date(b"Mon Nov  6 08:49:37 1994"), t);
    assert_eq!(parse_http_date(b", 06-Nov-94 08:49:37 GMT"), t);
    // Two-digit years: 70-99 are 19xx, 00-69 20xx.
    for (short, year) in [("00", 2000), ("69", 2069), ("70", 1970), ("99", 1999)] {
        let text = format!("Thursday, 01-Jan-{short} 00:00:00 GMT");
        let days = days_from_civil(year, 1, 1);
        assert_eq!(
            parse_http_date(text.as_bytes()),
            Some(days * 86_400),
            "{text}"
        );
    }
    // A leap second counts as the next second; a day past the month's end
    // rolls over into the next month; the years 0000 and 9999 are read.
    assert_eq!(parse_http_date(b"Wed, 31 Dec 1969 23:59:60 GMT"), Some(0));
    assert_eq!(
        parse_http_date(b"Sat, 31 Feb 1970 00:00:00 GMT"),
        Some(61 * 86_400)
    );
    assert_eq!(
        parse_http_date(b"Sat, 01 Jan 0000 00:00:00 GMT"),
        Some(-62_167_219_200)
    );
    assert_eq!(
        parse_http_date(b"Fri, 31 Dec 9999 23:59:59 GMT"),
        Some(253_402_300_799)
    );
    for secs in (0..4_000_000_000i64).step_by(7_777_777) {
        assert_eq!(parse_http_date(&http_date(secs)), Some(secs));
    }
}

#[test]
fn etags() {
    assert_eq!(ETag::new(0, 0).as_bytes(), b"\"0-0\"");
    // The example in the doc comment; nginx would send "5cbee66d-264".
    assert_eq!(
        ETag::new(612, 1_556_014_701).as_bytes(),
        b"\"264-5cbee66d\""
    );
    assert_eq!(
        ETag::new(0x1a2b, 1_700_000_000).as_bytes(),
        b"\"1a2b-6553f100\""
    );
    assert_eq!(
        ETag::new(u64::MAX, -1).as_bytes(),
        b"\"ffffffffffffffff-ffffffffffffffff\""
    );
}

#[test]
fn conditionals() {
    let mtime = 784111777;
    let tag = ETag::new(10, mtime);
    let inm = |v: &'static str| Conditions {
        if_none_match: Some(v.as_bytes()),
        if_modified_since: None,
    };
    let ims = |v: &'static str| Conditions {
        if_none_match: None,
        if_modified_since: Some(v.as_bytes()),
    };
    assert!(!not_modified(Conditions::default(), &tag, mtime));
    assert!(not_modified(inm("\"a-2ebc98a1\""), &tag, mtime));
    assert!(not_modified(inm("W/\"a-2ebc98a1\""), &tag, mtime));
    assert!(not_modified(inm("\"x\", \"a-2ebc98a1\""), &tag, mtime));
    assert!(not_modified(inm("*"), &tag, mtime));
    assert!(!not_modified(inm("\"a-2ebc98a2\""), &tag, mtime));
    assert!(!not_modified(inm("a-2ebc98a1"), &tag, mtime));
    assert!(not_modified(
        ims("Sun, 06 Nov 1994 08:49:37 GMT"),
        &tag,
        mtime
    ));
    assert!(not_modified(
        ims("Mon, 07 Nov 1994 08:49:37 GMT"),
        &tag,
        mtime
    ));
    assert!(!not_modified(
        ims("Sun, 06 Nov 1994 08:49:36 GMT"),
        &tag,
        mtime
    ));
    assert!(!not_modified(ims("yesterday"), &tag, mtime));
    // If-None-Match wins, even against a date that would say 304.
    let both = Conditions {
        if_none_match: Some(b"\"other\""),
        if_modified_since: Some(b"Mon, 07 Nov 1994 08:49:37 GMT"),
    };
    assert!(!not_modified(both, &tag, mtime));
    assert!(range_allowed(None, &tag, mtime));
    assert!(range_allowed(Some(b"\"a-2ebc98a1\""), &tag, mtime));
    assert!(!range_allowed(Some(b"W/\"a-2ebc98a1\""), &tag, mtime));
    assert!(range_allowed(
        Some(b"Sun, 06 Nov 1994 08:49:37 GMT"),
        &tag,
        mtime
    ));
    assert!(!range_allowed(
        Some(b"Mon, 07 Nov 1994 08:49:37 GMT"),
        &tag,
        mtime
    ));
}

#[test]
fn ranges() {
    let part = |first, last| Ranged::Part { first, last };
    assert_eq!(range(b"bytes=0-9", 100), part(0, 9));
    assert_eq!(range(b"bytes=10-", 100), part(10, 99));
    assert_eq!(range(b"bytes=-10", 100), part(90, 99));
    assert_eq!(range(b"bytes=-1000", 100), part(0, 99));
    assert_eq!(range(b"bytes=90-1000", 100), part(90, 99));
    assert_eq!(range(b"bytes=99-99", 100), part(99, 99));
    assert_eq!(range(b"BYTES=0-0", 100), part(0, 0));
    assert_eq!(range(b"bytes= 5-6 ", 100), part(5, 6));
    assert_eq!(range(b"bytes=0-99999999999999999999999", 100), part(0, 99));
    assert_eq!(range(b"bytes=100-", 100), Ranged::Unsatisfiable);
    assert_eq!(range(b"bytes=100-200", 100), Ranged::Unsatisfiable);
    assert_eq!(range(b"bytes=-0", 100), Ranged::Unsatisfiable);
    assert_eq!(range(b"bytes=0-", 0), Ranged::Unsatisfiable);
    assert_eq!(range(b"bytes=-5", 0), Ranged::Unsatisfiable);
    assert_eq!(
        range(b"bytes=99999999999999999999999-", 100),
        Ranged::Unsatisfiable
    );
    for ignored in [
        "",
        "bytes",
        "bytes=",
        "bytes=-",
        "bytes=a-b",
        "bytes=5-4",
        "bytes=0-1,3-4",
        "bytes=0-1, 5-",
        "items=0-1",
        "bytes=+1-2",
        "bytes=1-2-3",
        "bytes=0x1-2",
        "bytes 0-1",
    ] {
        assert_eq!(range(ignored.as_bytes(), 100), Ranged::Full, "{ignored:?}");
    }
}

fn page(listing: &Listing, path: &str) -> String {
    let mut text = Vec::new();
    listing.render(path.as_bytes(), &mut |piece| text.extend_from_slice(piece));
    let mut count = 0;
    listing.render(path.as_bytes(), &mut |piece| count += piece.len());
    assert_eq!(count, text.len());
    String::from_utf8(text).unwrap()
}

#[test]
fn listing_escapes_hostile_names() {
    let mut listing = Listing::new();
    listing.add(b"\"><script>x</script>", false);
    listing.add(b"&.-~><foo", false);
    listing.add(b"sub", true);
    listing.add(b"a b \xc3\xa9.txt", false);
    listing.add(b"javascript:alert(1)", false);
    let html = page(&listing, "/d/<i>/");
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains(
        "<a href=\"%22%3E%3Cscript%3Ex%3C%2Fscript%3E\">&quot;&gt;&lt;script&gt;x&lt;/script&gt;</a>"
    ));
    assert!(
        html.contains("<a href=\"%26.-~%3E%3Cfoo\">&amp;.-~&gt;&lt;foo</a>"),
        "{html}"
    );
    assert!(html.contains("<a href=\"sub/\">sub/</a>"));
    assert!(html.contains("<a href=\"a%20b%20%C3%A9.txt\">a b é.txt</a>"));
    assert!(html.contains("<a href=\"javascript%3Aalert%281%29\">"));
    assert!(html.contains("<title>Index of /d/&lt;i&gt;/</title>"));
    assert!(html.contains("<a href=\"../\">../</a>"));
    assert!(!page(&Listing::new(), "/").contains("../"));
}

#[test]
fn listing_sorts_and_caps() {
    let mut listing = Listing::new();
    for name in ["b", "a", "c", "B", "aa"] {
        listing.add(name.as_bytes(), false);
    }
    let html = page(&listing, "/");
    let order: Vec<usize> = ["\"B\"", "\"a\"", "\"aa\"", "\"b\"", "\"c\""]
        .iter()
        .map(|n| html.find(n).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{html}");

    // 1000 names in a scrambled order: the first 256 in sorted order show.
    let mut listing = Listing::new();
    for i in 0..1000u32 {
        let n = (i * 7919) % 1000;
        listing.add(format!("f{n:04}").as_bytes(), false);
    }
    listing.add(&[b'x'; 256], false);
    let html = page(&listing, "/");
    assert!(html.contains("f0000") && html.contains("f0255") && !html.contains("f0256"));
    assert!(html.contains("and 745 more entries not shown"));
    let positions: Vec<usize> = (0..256)
        .map(|n| html.find(&format!("f{n:04}")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn escaping_helpers() {
    let mut t = Vec::new();
    html_escape(b"a&b<c>d\"e'f", &mut |p| t.extend_from_slice(p));
    assert_eq!(t, b"a&amp;b&lt;c&gt;d&quot;e&#39;f");
    let mut t = Vec::new();
    percent_encode(b"&.-~><foo", &mut |p| t.extend_from_slice(p));
    assert_eq!(t, b"%26.-~%3E%3Cfoo");
}
