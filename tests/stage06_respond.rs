//! Stage 06 answers every request with a complete HTTP/1.1 response: the
//! home page, the echo, a 404, a 405 with `Allow`, the headers alone for
//! HEAD, and for every request stage 05 refuses, its status with a small
//! HTML page. Each response is checked byte for byte, and read by real
//! clients (Python's http.client, curl). A connection carries request
//! after request: pipelined, kept alive for HTTP/1.0 when asked, closed
//! when asked, when idle, after 100 requests, or after a refusal; content
//! it does not read is skipped, never parsed. Through all of it no worker
//! dies, no later client waits, no descriptor or process is left behind.

use std::process::Command;
use workbook_tests::scenarios::{self, Case, case};
use workbook_tests::strict::{Conversation, exchange_checked};
use workbook_tests::{Server, run, shown, transcript};

const STAGE: &str = "stage06_respond";

/// Well-formed requests: the pages, and what each method gets at them.
fn well_formed() -> Vec<Case> {
    vec![
        case(
            "the home page",
            "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
        ),
        case(
            "HEAD: the same headers, no body",
            "HEAD / HTTP/1.1\r\nHost: example.com\r\n\r\n",
        ),
        case(
            "the echo, of what curl sends",
            "GET /echo HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\
             User-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
        ),
        case("HEAD of the echo", "HEAD /echo HTTP/1.1\r\nHost: x\r\n\r\n"),
        case(
            "a query is not part of the path",
            "GET /echo?q=1&r HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        case(
            "HTTP/1.0 needs no Host, and gets 1.1",
            "GET /echo HTTP/1.0\r\n\r\n",
        ),
        case(
            "an unknown path",
            "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        case(
            "HEAD of an unknown path",
            "HEAD /missing HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        case(
            "a path is not a prefix",
            "GET /echo/more HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        case(
            "POST to an unknown path",
            "POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        ),
        case(
            "POST to the home page",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
        ),
        case(
            "DELETE of the echo",
            "DELETE /echo HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        case("OPTIONS", "OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n"),
        case("an echo too large for the response buffer", large_echo()),
    ]
}

/// Every request the parser refuses, as in stage 05.
fn refused() -> Vec<Case> {
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(5000));
    vec![
        case("bare LF ending every line", "GET / HTTP/1.1\nHost: x\n\n"),
        case("bare LF ending a field", "GET / HTTP/1.1\r\nHost: x\n\r\n"),
        case(
            "bare CR inside a value",
            "GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n",
        ),
        case(
            "whitespace before a colon",
            "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
        ),
        case(
            "obsolete line folding",
            "GET / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n",
        ),
        case(
            "whitespace before the first field",
            "GET / HTTP/1.1\r\n Host: x\r\n\r\n",
        ),
        case("NUL in a value", b"GET / HTTP/1.1\r\nHost: x\0\r\n\r\n"),
        case(
            "control character in the target",
            b"GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        case(
            "field without a colon",
            "GET / HTTP/1.1\r\nHost x\r\nNoColon\r\n\r\n",
        ),
        case(
            "empty field name",
            "GET / HTTP/1.1\r\nHost: x\r\n: y\r\n\r\n",
        ),
        case("missing Host on HTTP/1.1", "GET / HTTP/1.1\r\n\r\n"),
        case(
            "two Host fields",
            "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n",
        ),
        case(
            "non-numeric Content-Length",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: five\r\n\r\n",
        ),
        case(
            "two Content-Length fields",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na",
        ),
        case(
            "Transfer-Encoding: 501, not decoded",
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        ),
        case(
            "Transfer-Encoding with Content-Length: smuggling",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\
             Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        ),
        case(
            "content on GET",
            "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody",
        ),
        case(
            "content on HEAD: 413, and no body",
            "HEAD / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody",
        ),
        case("HTTP/0.9-style request line", "GET /\r\n\r\n"),
        case(
            "target not in origin-form",
            "GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        case(
            "two spaces in the request line",
            "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        case("not HTTP at all", "hello\r\n\r\n"),
        case("only an empty line", "\r\n\r\n"),
        case("target longer than 4 KiB", long_target),
        case("unknown method", "BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n"),
        case(
            "methods are case-sensitive",
            "get / HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        case("HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n"),
        case(
            "HTTP/1.2, asked with HEAD: no body",
            "HEAD / HTTP/1.2\r\nHost: x\r\n\r\n",
        ),
        case(
            "lowercase protocol name",
            "GET / http/1.1\r\nHost: x\r\n\r\n",
        ),
    ]
}

/// A request whose echo does not fit in the response buffer: 800 fields
/// of 5 bytes fit in the 8 KiB request head, but their echo, 13 bytes a
/// field, is larger than the 8 KiB the response may take.
fn large_echo() -> String {
    format!(
        "GET /echo HTTP/1.1\r\nHost: x\r\n{}\r\n",
        "a:b\r\n".repeat(800)
    )
}

#[test]
fn answers_each_well_formed_request() {
    insta::assert_snapshot!(scenarios::answers(STAGE, &well_formed()));
}

#[test]
fn answers_each_refused_request() {
    insta::assert_snapshot!(scenarios::answers(STAGE, &refused()));
}

#[test]
fn head_gets_the_headers_of_get_and_no_body() {
    let server = Server::start(STAGE, &["0"]);
    for path in ["/", "/missing"] {
        let get = exchange_checked(
            STAGE,
            server.port,
            format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes(),
        );
        let head = exchange_checked(
            STAGE,
            server.port,
            format!("HEAD {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes(),
        );
        let end = get.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        assert_eq!(shown(&head), shown(&get[..end]));
    }
    server.stop_cleanly();
}

#[test]
fn reads_a_request_that_arrives_one_byte_at_a_time() {
    let request = b"GET /echo HTTP/1.1\r\nHost: x\r\nUser-Agent: one byte at a time\r\n\r\n";
    insta::assert_snapshot!(scenarios::reads_a_request_that_arrives_one_byte_at_a_time(
        STAGE, request
    ));
}

#[test]
fn refuses_a_request_cut_short() {
    insta::assert_snapshot!(scenarios::refuses_a_request_cut_short(STAGE));
}

#[test]
fn times_out_a_client_that_never_finishes() {
    insta::assert_snapshot!(scenarios::times_out_a_client_that_never_finishes(STAGE));
}

#[test]
fn refuses_64_kib_of_header_and_serves_the_next_client() {
    insta::assert_snapshot!(scenarios::refuses_64_kib_of_header_and_serves_the_next_client(STAGE));
}

#[test]
fn ends_the_connection_cleanly_with_the_request_unread() {
    let server = Server::start(STAGE, &["0"]);
    assert_eq!(
        scenarios::ends_the_connection_cleanly_with_the_request_unread(&server),
        [
            "HTTP/1.1 431 Request Header Fields Too Large",
            "HTTP/1.1 413 Content Too Large",
            "HTTP/1.1 405 Method Not Allowed",
        ]
    );
    server.stop_cleanly();
}

#[test]
fn logs_the_request_line_and_the_status_sent() {
    // The status of the echo too large to fit is the one sent: 500.
    let large_echo = large_echo();
    insta::assert_snapshot!(scenarios::log_of(
        STAGE,
        &[
            b"GET /?q=1 HTTP/1.1\r\nHost: x\r\n\r\n",
            b"HEAD /missing HTTP/1.1\r\nHost: x\r\n\r\n",
            b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
            b"GET / HTTP/2.0\r\n\r\n",
            b"",
            large_echo.as_bytes(),
        ]
    ));
}

#[test]
fn rejects_bad_arguments_with_usage_and_status_2() {
    let out = run(STAGE).args(["0", "0"]).assert().code(2);
    insta::assert_snapshot!(transcript(out.get_output()));
}

/// Runs `program` with `args` and returns its output, or `None` if this
/// machine does not have it (see `client_available`).
fn run_client(program: &str, args: &[&str], test: &str) -> Option<std::process::Output> {
    if !workbook_tests::client_available(program, test) {
        return None;
    }
    Some(
        Command::new(program)
            .args(args)
            .output()
            .expect("the client runs"),
    )
}

/// Python's http.client: for each request, what it read. It checks what a
/// careful client checks: the status line, the headers, a body of exactly
/// `Content-Length` bytes (none for HEAD), and whether the server closes.
/// All requests go through one `HTTPConnection`, which keeps its socket
/// while the server does and opens a new one after a close: the output
/// counts the connections it opened.
const PYTHON_CLIENT: &str = r#"
import http.client, socket, sys
port = int(sys.argv[1])
requests = [("GET", "/"), ("HEAD", "/"), ("GET", "/echo"), ("GET", "/missing"),
            ("HEAD", "/missing"), ("POST", "/"), ("DELETE", "/echo"),
            ("GET", "/" + "a" * 5000), ("BREW", "/"), ("GET", "/", "no Host"), ("GET", "/")]
opened = 0
class Counting(http.client.HTTPConnection):
    def connect(self):
        global opened
        opened += 1
        super().connect()
c = Counting("127.0.0.1", port, timeout=60)
for method, path, *no_host in requests:
    # A Host of our own: the default names the port, which changes, and
    # the echo would change length with it.
    c.putrequest(method, path, skip_host=True)
    if not no_host:
        c.putheader("Host", "x")
    c.endheaders()
    r = c.getresponse()
    body = r.read()
    length = int(r.getheader("Content-Length"))
    assert len(body) == (0 if method == "HEAD" else length), (len(body), length)
    assert r.version == 11
    shown = path if len(path) < 20 else path[:10] + "..."
    print(method, shown, *no_host, "->", r.status, r.reason, r.getheader("Content-Type"),
          length, "bytes", "Allow: " + r.getheader("Allow", "-"),
          "close" if r.will_close else "kept", "connection", opened)
c.close()
"#;

#[test]
fn python_http_client_reads_every_response() {
    let server = Server::start(STAGE, &["0"]);
    let port = server.port.to_string();
    let Some(out) = run_client(
        "python3",
        &["-c", PYTHON_CLIENT, &port],
        "python_http_client_reads_every_response",
    ) else {
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
    server.stop_cleanly();
}

#[test]
fn curl_reads_every_response() {
    let server = Server::start(STAGE, &["0"]);
    let url = |path: &str| format!("http://127.0.0.1:{}{path}", server.port);
    // curl fails (status 18) if the body is shorter than Content-Length.
    let shown = "%{http_code} %{content_type} %{size_download} bytes\n";
    let mut report = String::new();
    for (options, path) in [
        (&[][..], "/"),
        (&["--head"], "/"),
        (&["--http1.0"], "/echo"),
        (&[], "/missing"),
        (&["--request", "DELETE"], "/"),
        (&["--data", "a=1"], "/echo"),
    ] {
        let mut args = vec!["--silent", "--show-error", "--max-time", "60"];
        // No User-Agent, which names curl's version, and a fixed Host:
        // the echo would change length with either.
        args.extend(["--header", "User-Agent:", "--header", "Host: x"]);
        args.extend(["--output", "/dev/null", "--write-out", shown]);
        args.extend(options);
        let url = url(path);
        args.push(&url);
        let Some(out) = run_client("curl", &args, "curl_reads_every_response") else {
            return;
        };
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let options: String = options.iter().map(|o| format!(" {o}")).collect();
        let answer = String::from_utf8_lossy(&out.stdout);
        report += &format!("curl{options} {path}: {answer}");
    }
    insta::assert_snapshot!(report);
    server.stop_cleanly();
}

#[test]
fn answers_pipelined_requests_in_order() {
    let server = Server::start(STAGE, &["0"]);
    insta::assert_snapshot!(scenarios::answers_pipelined_requests_in_order(
        &server,
        [
            b"GET /echo HTTP/1.1\r\nHost: one\r\n\r\n",
            b"HEAD / HTTP/1.1\r\nHost: two\r\n\r\n",
            b"GET /echo?three HTTP/1.1\r\nHost: three\r\nConnection: close\r\n\r\n",
        ]
    ));
    let log = server.stop_cleanly();
    let asked: Vec<&str> = log.iter().filter_map(|l| l.split('"').nth(1)).collect();
    assert_eq!(
        asked,
        [
            "GET /echo HTTP/1.1",
            "HEAD / HTTP/1.1",
            "GET /echo?three HTTP/1.1"
        ]
    );
}

#[test]
fn keeps_http10_alive_only_when_asked() {
    let server = Server::start(STAGE, &["0"]);
    scenarios::keeps_http10_alive_only_when_asked(&server, "/");
    server.stop_cleanly();
}

#[test]
fn closes_when_the_client_asks() {
    let server = Server::start(STAGE, &["0"]);
    scenarios::closes_when_the_client_asks(
        &server,
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /echo HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Close\r\n\r\n",
    );
    server.stop_cleanly();
}

#[test]
fn closes_an_idle_connection() {
    // TIMEOUT 10, IDLE 1.
    let server = Server::start(STAGE, &["0", "10", "1"]);
    scenarios::closes_an_idle_connection(server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
}

#[test]
fn closes_after_the_request_limit() {
    let server = Server::start(STAGE, &["0"]);
    scenarios::closes_after_the_request_limit(&server, b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
    server.stop_cleanly();
}

#[test]
fn skips_content_it_does_not_read() {
    let server = Server::start(STAGE, &["0"]);
    let smuggled = "GET /echo HTTP/1.1\r\nHost: smuggled\r\n\r\n";
    let post = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{smuggled}",
        smuggled.len()
    );
    let log = scenarios::skips_content_it_does_not_read(
        server,
        post.as_bytes(),
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert_eq!(
        log,
        [
            "127.0.0.1:[PORT] \"POST / HTTP/1.1\" 405",
            "127.0.0.1:[PORT] \"GET / HTTP/1.1\" 200",
        ]
    );
}

#[test]
fn refuses_transfer_encoding_and_closes() {
    let server = Server::start(STAGE, &["0"]);
    assert_eq!(
        scenarios::refuses_transfer_encoding_and_closes(&server),
        ["HTTP/1.1 501 Not Implemented", "HTTP/1.1 400 Bad Request"]
    );
    server.stop_cleanly();
}

#[test]
fn times_out_a_trickling_head() {
    // TIMEOUT 1: each byte comes well within it, the whole head does not.
    let server = Server::start(STAGE, &["0", "1"]);
    insta::assert_snapshot!(scenarios::times_out_a_trickling_head(&server));
    server.stop_cleanly();
}

/// curl asked for two URLs reuses its connection for the second: it
/// reports one connection made, then none.
#[test]
fn curl_reuses_one_connection_for_two_urls() {
    let server = Server::start(STAGE, &["0"]);
    let url = |path: &str| format!("http://127.0.0.1:{}{path}", server.port);
    let args = [
        "--silent",
        "--show-error",
        "--max-time",
        "60",
        "--write-out",
        "%{http_code} %{num_connects}\n",
        "--output",
        "/dev/null",
        "--output",
        "/dev/null",
    ];
    let (first, second) = (url("/"), url("/echo"));
    let mut args = args.to_vec();
    args.extend([first.as_str(), second.as_str()]);
    let test = "curl_reuses_one_connection_for_two_urls";
    let Some(out) = run_client("curl", &args, test) else {
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200 1\n200 0\n");
    let log = server.log_until(|lines| lines.len() == 2);
    server.stop_cleanly();
    let clients: Vec<&str> = log.iter().filter_map(|l| l.split(' ').next()).collect();
    assert!(clients.len() == 2 && clients[0] == clients[1], "{log:?}");
}

/// One connection, as a browser keeps one: requests one at a time, each
/// read by its framing, on the same socket.
#[test]
fn serves_requests_one_after_another_on_one_connection() {
    let server = Server::start(STAGE, &["0"]);
    let mut talk = Conversation::open(server.port);
    for request in [
        &b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        b"GET /missing HTTP/1.1\r\nHost: x\r\n\r\n",
        b"DELETE / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"HEAD /echo HTTP/1.1\r\nHost: x\r\n\r\n",
    ] {
        talk.send(request);
        talk.response(STAGE, request).expect("an answer");
    }
    talk.finish();
    assert!(talk.ends());
    server.stop_cleanly();
}

/// After every kind of client, nothing is left behind (see the scenario).
#[cfg(target_os = "linux")]
#[test]
fn leaves_no_descriptor_zombie_or_process_behind() {
    use std::io::Write;
    use workbook_tests::{answer, connect, exchange, reset_on_close};
    let server = Server::start(STAGE, &["0", "1"]);
    scenarios::leaves_no_descriptor_zombie_or_process_behind(server, |port| {
        std::thread::scope(|scope| {
            for case in well_formed().into_iter().chain(refused()) {
                scope.spawn(move || exchange_checked(STAGE, port, &case.request));
            }
            scope.spawn(move || exchange(port, &[b'x'; 64 * 1024]));
            scope.spawn(move || drop(connect(port)));
            // Resets the connection before the answer: the worker's write
            // fails with EPIPE or ECONNRESET, and it moves on.
            scope.spawn(move || {
                let mut crashed = connect(port);
                crashed
                    .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                    .unwrap();
                reset_on_close(&crashed);
            });
            // Left to time out.
            scope.spawn(move || answer(connect(port)));
        });
    });
}

/// A browser shows the home page, and a page that does not exist as the
/// 404 page: headless Chromium (Debian's `chromium`) loads both, and the
/// server's log shows each answered with its status. The screenshots are
/// kept in target/artifacts. Without Chromium the test says it was skipped,
/// unless `WORKBOOK_REQUIRE_CLIENTS` is set, as `.ci/run` sets it.
#[test]
fn a_browser_shows_the_home_page_and_the_404_page() {
    let test = "a_browser_shows_the_home_page_and_the_404_page";
    let server = Server::start(STAGE, &["0"]);
    let url = |path: &str| format!("http://127.0.0.1:{}{path}", server.port);
    if !workbook_tests::browse(&url("/"), "stage06_respond-home", test)
        || !workbook_tests::browse(&url("/missing"), "stage06_respond-404", test)
    {
        return;
    }
    let asked = ["\"GET / HTTP/1.1\" 200", "\"GET /missing HTTP/1.1\" 404"];
    let logged = |log: &[String], asked: &str| log.iter().any(|line| line.ends_with(asked));
    let log = server.log_until(|log| asked.iter().all(|a| logged(log, a)));
    server.stop_cleanly();
    for asked in asked {
        assert!(
            logged(&log, asked),
            "no {asked:?} in the log:\n{}",
            log.join("\n")
        );
    }
}

/// Started with standard input, output or error closed, it fills the gap
/// with /dev/null and runs as it would with /dev/null there: its socket
/// never becomes one of the three.
#[test]
fn runs_with_each_standard_descriptor_closed() {
    workbook_tests::with_each_standard_descriptor_closed(STAGE, &[], true);
}
