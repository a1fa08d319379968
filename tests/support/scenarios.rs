//! Scenarios more than one server stage passes, each written once and
//! run by every stage that should pass it. Each returns what its stage's
//! test keeps as a snapshot, so that the snapshot stays that stage's own.

use crate::strict::{check_response, exchange_checked};
use crate::{
    Server, answer, answer_ending_cleanly, connect, redact, send_byte_by_byte, send_cut_short,
    shown, shown_request,
};
use std::io::Write;

/// A raw request and a name for it in a snapshot.
pub struct Case {
    pub name: &'static str,
    pub request: Vec<u8>,
}

pub fn case(name: &'static str, request: impl AsRef<[u8]>) -> Case {
    Case {
        name,
        request: request.as_ref().to_vec(),
    }
}

/// A request the stages 05 to 07 answer with 200 without reading a file.
const SIMPLE: &[u8] = b"GET / HTTP/1.0\r\n\r\n";

/// Sends each case to `stage` on a connection of its own, checks each
/// response strictly, and reports requests and responses.
pub fn answers(stage: &str, cases: &[Case]) -> String {
    let server = Server::start(stage, &["0"]);
    let mut report = String::new();
    for case in cases {
        let response = exchange_checked(stage, server.port, &case.request);
        let request = shown_request(&case.request);
        report += &format!("## {}\n{request}--\n{}\n", case.name, shown(&response));
    }
    let logged = server.stop_cleanly();
    assert_eq!(logged.len(), cases.len(), "one log line per request");
    report
}

/// `request` sent one byte at a time gets the answer it gets whole.
pub fn reads_a_request_that_arrives_one_byte_at_a_time(stage: &str, request: &[u8]) -> String {
    let server = Server::start(stage, &["0"]);
    let whole = exchange_checked(stage, server.port, request);
    assert_eq!(
        shown(&send_byte_by_byte(server.port, request)),
        shown(&whole)
    );
    server.stop_cleanly();
    shown(&whole)
}

/// End of file before the empty line that ends the head: an error answer.
pub fn refuses_a_request_cut_short(stage: &str) -> String {
    let server = Server::start(stage, &["0"]);
    let head = b"GET / HTTP/1.1\r\nHost: x\r\n";
    let response = send_cut_short(server.port, head);
    check_response(stage, head, &response);
    server.stop_cleanly();
    shown(&response)
}

/// A client that stops half way through its head and one that says
/// nothing both get the timeout's answer, while others are served, and
/// their workers serve again afterwards.
pub fn times_out_a_client_that_never_finishes(stage: &str) -> String {
    // A timeout of one second instead of ten, so that the test is quick.
    let server = Server::start(stage, &["0", "1"]);
    let head = b"GET / HTTP/1.1\r\nHost: x\r\n";
    let mut unfinished = connect(server.port);
    unfinished.write_all(head).unwrap();
    let silent = connect(server.port);
    // Both wait in read; meanwhile other clients are served.
    let expected = exchange_checked(stage, server.port, SIMPLE);
    assert!(expected.starts_with(b"HTTP/1.1 200 OK\r\n"));
    let unfinished = answer(unfinished);
    check_response(stage, head, &unfinished);
    assert_eq!(shown(&answer(silent)), shown(&unfinished));
    for _ in 0..20 {
        assert_eq!(exchange_checked(stage, server.port, SIMPLE), expected);
    }
    server.stop_cleanly();
    shown(&unfinished)
}

/// A head of 64 KiB is refused, the connection ends cleanly (the worker
/// reads the rest before it closes: no reset), and the next client is
/// served.
pub fn refuses_64_kib_of_header_and_serves_the_next_client(stage: &str) -> String {
    let server = Server::start(stage, &["0"]);
    let mut request = b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec();
    while request.len() < 64 * 1024 {
        request.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    request.extend_from_slice(b"\r\n");
    let mut stream = connect(server.port);
    stream.write_all(&request).unwrap();
    let response = answer_ending_cleanly(stream);
    check_response(stage, &request, &response);
    let next = exchange_checked(stage, server.port, SIMPLE);
    assert!(next.starts_with(b"HTTP/1.1 200 OK\r\n"), "{}", shown(&next));
    server.stop_cleanly();
    shown(&response)
}

/// Requests the server answers before reading all of them: a head too
/// large, content on a GET, a POST body, each 64 KiB, sent whole before
/// reading, as a client sends a body before it looks for an answer. Had
/// the worker closed with the rest unread, the kernel would have reset the
/// connection, and a client could lose its answer; lingering, the worker
/// ends it with FIN, and the client reads the whole answer and then a
/// clean end of file. Returns the status lines.
pub fn ends_the_connection_cleanly_with_the_request_unread(server: &Server) -> Vec<String> {
    let filler = "a".repeat(64 * 1024);
    let requests = [
        format!("GET / HTTP/1.1\r\nHost: x\r\nX-Filler: {filler}\r\n\r\n"),
        format!("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n{filler}"),
        format!("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n{filler}"),
    ];
    let mut statuses = Vec::new();
    for request in requests {
        let mut stream = connect(server.port);
        stream.write_all(request.as_bytes()).unwrap();
        let response = answer_ending_cleanly(stream);
        check_response(&server.stage, request.as_bytes(), &response);
        let status_line = response.split(|&b| b == b'\r').next().unwrap();
        statuses.push(String::from_utf8_lossy(status_line).into_owned());
    }
    statuses
}

/// Sends each request, whole or not, then ends the sending side, and
/// returns the server's log with ports and pids redacted.
pub fn log_of(stage: &str, requests: &[&[u8]]) -> String {
    let server = Server::start(stage, &["0"]);
    for &request in requests {
        let mut stream = connect(server.port);
        stream.write_all(request).unwrap();
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        let response = answer(stream);
        if !response.is_empty() {
            check_response(stage, request, &response);
        }
    }
    let lines: Vec<String> = server.stop_cleanly().iter().map(|l| redact(l)).collect();
    lines.join("\n")
}

/// After `load` (given the port), each worker holds what it held before:
/// the listening socket, which the watcher does not hold, and whatever
/// else the stage opened before forking; no child is a zombie; and
/// stopping the server leaves no process. Reads /proc, so Linux only.
#[cfg(target_os = "linux")]
pub fn leaves_no_descriptor_zombie_or_process_behind(server: Server, load: impl FnOnce(u16)) {
    use crate::{proc, source};
    let pool = proc::Pool::of(server.pid(), source::children(&server.stage));
    let listener = proc::sockets(server.pid());
    assert_eq!(listener.len(), 1, "{listener:?}");
    let holders = pool
        .before
        .keys()
        .filter(|&&pid| proc::sockets(pid) == listener)
        .count();
    assert_eq!(holders, source::workers(&server.stage));
    load(server.port);
    pool.assert_unchanged();
    server.stop_cleanly();
    pool.assert_gone();
}
