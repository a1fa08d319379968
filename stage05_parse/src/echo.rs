//! The echo: what the parser saw in a request, as plain text.
#![forbid(unsafe_code)]

use crate::http;

// ANCHOR: echo
/// The body of a `200 OK`: what the parser saw, one item per line.
pub fn echo(request: &http::Request, emit: &mut dyn FnMut(&[u8])) {
    let line = request.line;
    for (label, value) in [
        (&b"method: "[..], line.method),
        (b"target: ", line.target),
        (b"version: ", line.version),
    ] {
        emit(label);
        emit(value);
        emit(b"\n");
    }
    for (name, value) in request.headers() {
        emit(b"header: ");
        emit(name);
        emit(b": ");
        emit(value);
        emit(b"\n");
    }
}
// ANCHOR_END: echo
