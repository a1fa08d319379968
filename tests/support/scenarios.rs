//! Scenarios more than one server stage passes, each written once and
//! run by every stage that should pass it. Each returns what its stage's
//! test keeps as a snapshot, so that the snapshot stays that stage's own.

use crate::strict::{Conversation, check_response, exchange_checked};
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
        assert_eq!(
            shown(&exchange_checked(stage, server.port, SIMPLE)),
            shown(&expected)
        );
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

/// Three requests in one write, as a client that pipelines sends them: three
/// answers come back in order on the one connection, each where the
/// previous one's `Content-Length` says it ends, then the end of the
/// connection the last request asked for. Returns the answers as shown.
pub fn answers_pipelined_requests_in_order(server: &Server, requests: [&[u8]; 3]) -> String {
    let mut talk = Conversation::open(server.port);
    talk.send(&requests.concat());
    let mut report = String::new();
    for request in requests {
        let response = talk.response(&server.stage, request).expect("an answer");
        report += &shown(&response);
    }
    assert!(talk.ends(), "the connection ends after the last");
    report
}

/// HTTP/1.0 keeps the connection only when asked: without `Connection:
/// keep-alive` the answer says `close` and the connection ends; with it,
/// the answer says `keep-alive` and a second request is answered on it.
pub fn keeps_http10_alive_only_when_asked(server: &Server, target: &str) {
    let plain = format!("GET {target} HTTP/1.0\r\n\r\n");
    let mut talk = Conversation::open(server.port);
    talk.send(plain.as_bytes());
    talk.response(&server.stage, plain.as_bytes())
        .expect("an answer");
    assert!(
        talk.ends(),
        "HTTP/1.0 without keep-alive: the connection ends"
    );
    let kept = format!("GET {target} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    let mut talk = Conversation::open(server.port);
    for _ in 0..2 {
        talk.send(kept.as_bytes());
        let response = talk
            .response(&server.stage, kept.as_bytes())
            .expect("an answer");
        assert!(shown(&response).contains("Connection: keep-alive\\r"));
    }
    talk.finish();
    assert!(talk.ends());
}

/// `Connection: close` on the second request of a connection: it is
/// answered with `Connection: close`, and the connection ends.
pub fn closes_when_the_client_asks(server: &Server, request: &[u8], closing: &[u8]) {
    let mut talk = Conversation::open(server.port);
    talk.send(request);
    let first = talk.response(&server.stage, request).expect("an answer");
    assert!(!shown(&first).contains("Connection:"), "{}", shown(&first));
    talk.send(closing);
    let last = talk.response(&server.stage, closing).expect("an answer");
    assert!(
        shown(&last).contains("Connection: close\\r"),
        "{}",
        shown(&last)
    );
    assert!(talk.ends());
}

/// A kept-alive connection that stays silent past IDLE (the server runs
/// with IDLE 1) is closed by the server, without an answer, and without a
/// log line: nothing was asked.
pub fn closes_an_idle_connection(server: Server, request: &[u8]) {
    let mut talk = Conversation::open(server.port);
    talk.send(request);
    talk.response(&server.stage, request).expect("an answer");
    assert!(talk.ends(), "the server ends a silent connection");
    assert_eq!(server.stop_cleanly().len(), 1, "one log line: the request");
}

/// A connection carries at most 100 requests: the answer to the 100th
/// says `Connection: close`, and the connection ends.
pub fn closes_after_the_request_limit(server: &Server, request: &[u8]) {
    let mut talk = Conversation::open(server.port);
    for n in 1..=100 {
        talk.send(request);
        let response = talk.response(&server.stage, request).expect("an answer");
        let closing = shown(&response).contains("Connection: close\\r");
        assert_eq!(closing, n == 100, "request {n}:\n{}", shown(&response));
    }
    assert!(talk.ends());
}

/// Content the server does not read (a POST it answers with 404 or 405)
/// is skipped: the bytes of `post`'s content, which look like a request,
/// are never taken for one, and `next` is answered after it. Returns the
/// log: the two requests, nothing from the content.
pub fn skips_content_it_does_not_read(server: Server, post: &[u8], next: &[u8]) -> Vec<String> {
    let mut talk = Conversation::open(server.port);
    // The head first, then the content in a write of its own, then the
    // next request: the server must read the content it has not got yet.
    let head_end = post.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    talk.send(&post[..head_end]);
    talk.response(&server.stage, post)
        .expect("an answer to the POST");
    talk.send(&post[head_end..]);
    talk.send(next);
    talk.response(&server.stage, next)
        .expect("an answer to the next");
    talk.finish();
    assert!(talk.ends(), "nothing else is answered");
    server.stop_cleanly().iter().map(|l| redact(l)).collect()
}

/// `Transfer-Encoding`, with or without `Content-Length`, is refused and
/// the connection closes, though another request follows in the same
/// write: what follows the head cannot be trusted to be one.
pub fn refuses_transfer_encoding_and_closes(server: &Server) -> Vec<String> {
    let next = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut statuses = Vec::new();
    for framing in [
        "Transfer-Encoding: chunked\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
    ] {
        let request = format!("POST / HTTP/1.1\r\nHost: x\r\n{framing}\r\n0\r\n\r\n");
        let mut talk = Conversation::open(server.port);
        talk.send(&[request.as_bytes(), next].concat());
        let response = talk.response(&server.stage, request.as_bytes()).unwrap();
        assert!(shown(&response).contains("Connection: close\\r"));
        assert!(talk.ends(), "no answer to what followed");
        let status_line = response.split(|&b| b == b'\r').next().unwrap();
        statuses.push(String::from_utf8_lossy(status_line).into_owned());
    }
    statuses
}

/// A client that sends its head one byte every 300 ms, each pause well
/// within TIMEOUT (the server runs with TIMEOUT 1), gets 408 once the
/// whole head has taken longer than TIMEOUT: the deadline bounds the
/// request, not each read (slowloris). Returns the answer as shown.
pub fn times_out_a_trickling_head(server: &Server) -> String {
    let mut stream = connect(server.port);
    let reader = stream.try_clone().unwrap();
    let head = format!("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: {}", "a".repeat(1000));
    let mut sent = 0;
    std::thread::scope(|scope| {
        let answer = scope.spawn(|| answer(reader));
        for byte in head.bytes() {
            if stream.write_all(&[byte]).is_err() {
                break;
            }
            sent += 1;
            std::thread::sleep(std::time::Duration::from_millis(300));
            if answer.is_finished() {
                break;
            }
        }
        let response = answer.join().unwrap();
        assert!(sent < head.len(), "the head was never cut short");
        check_response(&server.stage, head.as_bytes(), &response);
        shown(&response)
    })
}
