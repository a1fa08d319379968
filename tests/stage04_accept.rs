//! Stage 04 serves every client the same response from a pool of worker
//! processes, survives clients that hang up or say nothing, replaces a
//! worker that dies, logs one line per connection, and on shutdown leaves
//! no process, zombie or descriptor behind.

use std::io::Write;
use std::net::TcpStream;
use std::process::Command;
use workbook_tests::strict::exchange_checked;
use workbook_tests::{
    Server, connect, get_request, redact, reset_on_close, run, shown, source, transcript,
};

const STAGE: &str = "stage04_accept";

fn get(port: u16) -> Vec<u8> {
    exchange_checked(STAGE, port, &get_request("/"))
}

/// The pid in a worker's log line, `worker PID accepted ...`.
fn worker_pid(line: &str) -> u32 {
    line.split(' ')
        .nth(1)
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("not a worker's line: {line:?}"))
}

#[test]
fn answers_200_sequential_requests_identically() {
    let server = Server::start(STAGE, &["0"]);
    let first = get(server.port);
    for _ in 1..200 {
        assert_eq!(get(server.port), first);
    }
    let logged = server.stop_cleanly();
    assert_eq!(logged.len(), 200, "one log line per connection");
    insta::assert_snapshot!(shown(&first));
}

#[test]
fn answers_50_concurrent_requests_identically() {
    let server = Server::start(STAGE, &["0"]);
    let port = server.port;
    let answers: Vec<Vec<u8>> = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..50).map(|_| scope.spawn(move || get(port))).collect();
        clients.into_iter().map(|c| c.join().unwrap()).collect()
    });
    let first = answers[0].clone();
    for answer in &answers {
        assert_eq!(shown(answer), shown(&first));
    }
    insta::assert_snapshot!("answers_200_sequential_requests_identically", shown(&first));
    let logged = server.stop_cleanly();
    assert_eq!(logged.len(), 50, "one log line per connection");
}

#[test]
fn clients_that_hang_up_or_stay_silent_do_not_stop_the_others() {
    let server = Server::start(STAGE, &["0"]);
    let expected = get(server.port);
    // A few clients connect and say nothing: each keeps one worker
    // waiting in read, and the others go on serving.
    let silent: Vec<TcpStream> = (0..3).map(|_| connect(server.port)).collect();
    for _ in 0..10 {
        // Connects and hangs up at once.
        drop(connect(server.port));
        // Sends a request and hangs up before the answer.
        let mut impatient = connect(server.port);
        impatient.write_all(&get_request("/")).unwrap();
        drop(impatient);
        // Connects and resets the connection. The worker's read fails with
        // ECONNRESET, and its write then raises SIGPIPE, which would kill
        // it if the stage did not ignore that signal.
        let crashed = connect(server.port);
        reset_on_close(&crashed);
        drop(crashed);
    }
    for _ in 0..20 {
        assert_eq!(get(server.port), expected);
    }
    drop(silent);
    server.stop_cleanly();
}

#[test]
fn a_killed_worker_is_replaced() {
    let server = Server::start(STAGE, &["0"]);
    let expected = get(server.port);
    let line = server.next_line().expect("a log line");
    let victim = worker_pid(&line);
    let killed = Command::new("kill")
        .args(["-KILL", &victim.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let line = server.next_line().expect("the supervisor's line");
    assert_eq!(
        line,
        format!("worker {victim} killed by signal 9, starting another")
    );
    #[cfg(target_os = "linux")]
    {
        use workbook_tests::proc;
        // The supervisor reaped the dead worker before saying so.
        assert_eq!(
            proc::process(victim),
            None,
            "worker {victim} was not reaped"
        );
        // The watcher and a full pool again, once the new worker exists.
        let children = workbook_tests::eventually(|| {
            proc::children(server.pid()).len() == source::children(STAGE)
        });
        assert!(children, "the pool is not full again");
    }
    for _ in 0..(2 * source::workers(STAGE)) {
        assert_eq!(get(server.port), expected);
    }
    assert_eq!(server.stop().status.code(), Some(0));
}

#[test]
fn logs_one_line_per_connection() {
    let server = Server::start(STAGE, &["0"]);
    for _ in 0..5 {
        get(server.port);
    }
    let lines: Vec<String> = server.stop_cleanly().iter().map(|l| redact(l)).collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn rejects_a_bad_port_with_usage_and_status_2() {
    let out = run(STAGE).arg("http").assert().code(2);
    insta::assert_snapshot!(transcript(out.get_output()));
}

/// Sequential and concurrent clients, and clients that hang up, leave
/// nothing behind (see the scenario).
#[cfg(target_os = "linux")]
#[test]
fn leaves_no_zombie_no_leaked_descriptor_and_no_process_behind() {
    let server = Server::start(STAGE, &["0"]);
    workbook_tests::scenarios::leaves_no_descriptor_zombie_or_process_behind(server, |port| {
        for _ in 0..50 {
            get(port);
        }
        std::thread::scope(|scope| {
            for _ in 0..20 {
                scope.spawn(move || get(port));
                scope.spawn(move || drop(connect(port)));
            }
        });
    });
}

/// Started with standard input, output or error closed, it fills the gap
/// with /dev/null and runs as it would with /dev/null there: its socket
/// never becomes one of the three.
#[test]
fn runs_with_each_standard_descriptor_closed() {
    workbook_tests::with_each_standard_descriptor_closed(STAGE, &[], true);
}
