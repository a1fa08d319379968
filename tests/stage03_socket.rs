//! Stage 03 listens on a port it reports, lets clients connect before
//! anyone accepts, stops when its standard input ends, and turns a bad
//! port into a usage error (status 2) and a failed call into one error
//! line (status 1).

use workbook_tests::{PATIENCE, Server, run, source, target, transcript};

const STAGE: &str = "stage03_socket";

#[test]
fn reports_its_port_and_ends_when_stdin_closes() {
    let server = Server::start(STAGE, &["0"]);
    assert_ne!(server.port, 0, "the kernel picks a real port for port 0");
    let first_line = server
        .first_line
        .replace(&server.port.to_string(), "[PORT]");
    let stopped = server.stop();
    assert_eq!(stopped.status.code(), Some(0));
    assert!(stopped.stdout.is_empty(), "{:?}", stopped.stdout);
    assert_eq!(stopped.stderr, "");
    insta::assert_snapshot!(first_line, @"listening on http://127.0.0.1:[PORT]");
}

#[test]
fn ends_when_a_line_is_entered() {
    use std::io::Write;
    let mut server = Server::start(STAGE, &["0"]);
    server.stdin().write_all(b"\n").unwrap();
    // Standard input stays open until the server has exited: end of file
    // also stops it, and must not be what did.
    let stopped = server.wait();
    assert_eq!(stopped.status.code(), Some(0));
}

#[test]
fn completes_connections_that_nobody_accepts() {
    let server = Server::start(STAGE, &["0"]);
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], server.port));
    // The kernel finishes the handshake and queues the connection in the
    // backlog: connect succeeds although the program never calls accept.
    let clients: Vec<_> = (0..3)
        .map(|_| std::net::TcpStream::connect_timeout(&addr, PATIENCE).unwrap())
        .collect();
    drop(clients);
    assert_eq!(server.stop().status.code(), Some(0));
}

#[test]
fn a_second_server_on_the_same_port_fails() {
    let first = Server::start(STAGE, &["0"]);
    let port = first.port.to_string();
    let out = run(STAGE).arg(&port).assert().code(1);
    let text = transcript(out.get_output());
    let errno = format!("errno {})", source::errno(STAGE, "EADDRINUSE"));
    assert!(
        text.contains(&errno),
        "expected {errno} for {}: {text}",
        target()
    );
    insta::assert_snapshot!(
        text.replace(&port, "[PORT]")
            .replace(&errno, "errno [EADDRINUSE])")
    );
    assert_eq!(first.stop().status.code(), Some(0));
}

#[test]
fn rejects_bad_ports_with_usage_and_status_2() {
    let cases: &[&[&str]] = &[
        &["abc"],
        &["-1"],
        &["+80"],
        &["65536"],
        &["99999999999999999999"],
        &[""],
        &[" 80"],
        &["80", "81"],
    ];
    let mut all = String::new();
    for args in cases {
        let out = run(STAGE).args(*args).assert().code(2);
        all += &format!("$ {STAGE} {args:?}\n{}\n", transcript(out.get_output()));
    }
    insta::assert_snapshot!(all);
}

/// Started with standard input, output or error closed, it fills the gap
/// with /dev/null and runs as it would with /dev/null there: its socket
/// never becomes one of the three.
#[test]
fn runs_with_each_standard_descriptor_closed() {
    workbook_tests::with_each_standard_descriptor_closed(STAGE, &[], false);
}
