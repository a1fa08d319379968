//! `Content-Type` from a file name's extension.
//!
//! A browser decides what to do with a body from this header alone: render
//! it, run it, show it as text or offer to save it. Guessing from the
//! extension is what every static server does; the table is the common
//! part of the IANA media-type registry and the WHATWG's list of types
//! browsers expect.

// ANCHOR: table
/// Extensions, lower case, and their media types. Text types say their
/// character set: without it a browser guesses, and may guess wrong for
/// anything that is not ASCII.
const TYPES: &[(&[u8], &str)] = &[
    // Web pages and the code and data they load.
    (b"html", "text/html; charset=utf-8"),
    (b"htm", "text/html; charset=utf-8"),
    (b"css", "text/css; charset=utf-8"),
    (b"js", "text/javascript; charset=utf-8"),
    (b"mjs", "text/javascript; charset=utf-8"),
    (b"json", "application/json"),
    (b"map", "application/json"),
    (b"wasm", "application/wasm"),
    (b"xml", "application/xml"),
    (b"csv", "text/csv; charset=utf-8"),
    (b"txt", "text/plain; charset=utf-8"),
    (b"md", "text/markdown; charset=utf-8"),
    // Images.
    (b"png", "image/png"),
    (b"jpg", "image/jpeg"),
    (b"jpeg", "image/jpeg"),
    (b"gif", "image/gif"),
    (b"svg", "image/svg+xml"),
    (b"ico", "image/x-icon"),
    (b"webp", "image/webp"),
    (b"avif", "image/avif"),
    (b"bmp", "image/bmp"),
    (b"tif", "image/tiff"),
    (b"tiff", "image/tiff"),
    (b"apng", "image/apng"),
    // Fonts.
    (b"woff", "font/woff"),
    (b"woff2", "font/woff2"),
    (b"ttf", "font/ttf"),
    (b"otf", "font/otf"),
    // Documents.
    (b"pdf", "application/pdf"),
    (b"doc", "application/msword"),
    (
        b"docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (b"epub", "application/epub+zip"),
    (b"rtf", "application/rtf"),
    // Video and audio.
    (b"mp4", "video/mp4"),
    (b"webm", "video/webm"),
    (b"mkv", "video/x-matroska"),
    (b"avi", "video/x-msvideo"),
    (b"mov", "video/quicktime"),
    (b"mp3", "audio/mpeg"),
    (b"ogg", "audio/ogg"),
    (b"wav", "audio/wav"),
    (b"flac", "audio/flac"),
    (b"aac", "audio/aac"),
    (b"m4a", "audio/mp4"),
    (b"opus", "audio/opus"),
    // Archives.
    (b"zip", "application/zip"),
    (b"gz", "application/gzip"),
    (b"tar", "application/x-tar"),
    (b"7z", "application/x-7z-compressed"),
    (b"bz2", "application/x-bzip2"),
    (b"rar", "application/vnd.rar"),
];

/// What a body of unknown type is: bytes. Browsers offer to save it rather
/// than guess (RFC 9110 §8.3 lets a recipient treat it so).
const UNKNOWN: &str = "application/octet-stream";
// ANCHOR_END: table

// ANCHOR: content_type
/// The media type for the file `name` (its last path segment, or the
/// whole path): looked up by the text after its last dot, ignoring case.
/// A name with no dot, or only a leading one, has no extension.
pub fn content_type(name: &[u8]) -> &'static str {
    let name = match name.iter().rposition(|&b| b == b'/') {
        Some(slash) => &name[slash + 1..],
        None => name,
    };
    let extension = match name.iter().rposition(|&b| b == b'.') {
        Some(0) | None => return UNKNOWN,
        Some(dot) => &name[dot + 1..],
    };
    TYPES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(extension))
        .map_or(UNKNOWN, |&(_, media_type)| media_type)
}
// ANCHOR_END: content_type
