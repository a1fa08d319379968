//! The chapters' "What goes wrong", shipped: each patch in
//! book/patches/breaks breaks a stage the way a chapter describes, and its
//! test shows the failure the chapter prints. The book shows the run of
//! the test, kept in book/src/breaks/NAME.txt (rewritten under
//! `WORKBOOK_BLESS`, checked otherwise), with what changes from run to run
//! (ports, pids, paths) replaced.

use std::path::PathBuf;
use workbook_tests::patched::{self, Patch, session};
use workbook_tests::site::Site;
use workbook_tests::{
    Server, answer, assert_no_answer_within, connect, exchange, get_request, run,
    stage_with_closed, to_completion, transcript, with_binaries, workspace_root,
};

/// What the break's page shows: `text`, checked against the file.
fn shown(name: &str, text: &str) {
    patched::book_output(&format!("breaks/{name}.txt"), text);
}

/// The break `name`, built: the folder of its binary, or `None` when this
/// test run does not run patched stages.
fn broken(name: &str) -> Option<PathBuf> {
    if patched::skipped(name) {
        return None;
    }
    Some(Patch::breaking(name).build().binaries())
}

/// The messages of a build that must fail, as the book shows them: the
/// lines that say `error`, without cargo's indentation and note marks,
/// each `-->` location, and the object a duplicate symbol came from
/// without its folders (which differ from machine to machine).
fn build_errors(name: &str, release: bool) -> Option<String> {
    if patched::skipped(name) {
        return None;
    }
    let patch = Patch::breaking(name);
    let build = if release {
        patch.build().release()
    } else {
        patch.build()
    };
    let stderr = match build.run() {
        Ok(_) => panic!("{name} must stop the build, and it built"),
        Err(stderr) => stderr,
    };
    let mut lines = Vec::new();
    for line in stderr.lines() {
        let line = line.trim_start_matches("  = note: ").trim();
        if line.starts_with("error") || line.contains(": error:") || line.starts_with("--> ") {
            lines.push(line.to_owned());
        } else if let Some(at) = line.strip_prefix(">>> defined at /") {
            let file = at.rsplit('/').next().unwrap_or(at);
            lines.push(format!(">>> defined at .../{file}"));
        }
    }
    let profile = if release { " --release" } else { "" };
    let stage = patch.stage;
    Some(format!(
        "$ cargo build -q -p {stage}{profile}\n{}\n",
        lines.join("\n")
    ))
}

// Chapter 1

#[test]
fn ch01_no_panic_handler() {
    let Some(text) = build_errors("ch01-no-panic-handler", false) else {
        return;
    };
    assert!(text.contains("error: `#[panic_handler]` function required, but not found"));
    shown("ch01-no-panic-handler", &text);
}

/// Linux only: the C start-up files are a Linux linker's default.
#[test]
#[cfg(target_os = "linux")]
fn ch01_c_startup_files() {
    let Some(text) = build_errors("ch01-c-startup-files", false) else {
        return;
    };
    assert!(
        text.contains("rust-lld: error: duplicate symbol: _start"),
        "{text}"
    );
    assert!(text.contains("Scrt1.o:(_start)"), "{text}");
    shown("ch01-c-startup-files", &text);
}

// Chapter 2. Linux only: on macOS the program links libSystem, where the
// linker finds both names.

#[test]
#[cfg(target_os = "linux")]
fn ch02_strlen_loop() {
    let Some(text) = build_errors("ch02-strlen-loop", true) else {
        return;
    };
    assert!(
        text.contains("rust-lld: error: undefined symbol: strlen"),
        "{text}"
    );
    shown("ch02-strlen-loop", &text);
}

#[test]
#[cfg(target_os = "linux")]
fn ch02_no_eh_personality() {
    let Some(text) = build_errors("ch02-no-eh-personality", false) else {
        return;
    };
    assert!(
        text.contains("rust-lld: error: undefined symbol: rust_eh_personality"),
        "{text}"
    );
    shown("ch02-no-eh-personality", &text);
}

// Chapter 3

#[test]
fn ch03_no_fill_stage03() {
    let Some(bin) = broken("ch03-no-fill-stage03") else {
        return;
    };
    let out = with_binaries(&bin, || {
        to_completion(stage_with_closed("stage03_socket", 0, &["0"]))
            .output()
            .unwrap()
    });
    let text = patched::redact_ports(&session("stage03_socket 0 <&-", &out));
    assert!(
        text.contains("error: read standard input: socket is not connected (ENOTCONN"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(1));
    shown("ch03-no-fill-stage03", &text);
}

#[test]
fn ch03_no_fill_stage04() {
    let Some(bin) = broken("ch03-no-fill-stage04") else {
        return;
    };
    // As in a shell, which reports a death by signal N as status 128 + N.
    let out = std::process::Command::new("sh")
        .args(["-c", r#""$0" 0 >&- </dev/null; echo "exit status: $?""#])
        .arg(bin.join("stage04_accept"))
        .output()
        .unwrap();
    let shown_out = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        shown_out,
        "exit status: 141\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    shown(
        "ch03-no-fill-stage04",
        &format!("$ stage04_accept 0 >&-; echo \"exit status: $?\"\n{shown_out}"),
    );
}

#[test]
fn ch03_no_reuseaddr() {
    let Some(bin) = broken("ch03-no-reuseaddr") else {
        return;
    };
    // Serve one request, stop, and start again at once on the same port:
    // the connection the server closed is in TIME_WAIT on that port.
    let restart = || {
        let server = Server::start("stage04_accept", &["0"]);
        let port = server.port;
        // The request is sent without ending the client's half, so that the
        // server closes first and its side of the connection waits in
        // TIME_WAIT (the side that closes first does).
        let mut stream = connect(port);
        std::io::Write::write_all(&mut stream, &get_request("/")).unwrap();
        let answer = answer(stream);
        assert!(answer.starts_with(b"HTTP/1.1 200 OK"));
        server.stop_cleanly();
        let port = port.to_string();
        let out = run("stage04_accept").arg(&port).output().unwrap();
        (out, port)
    };
    let (out, port) = with_binaries(&bin, restart);
    let text = session(&format!("stage04_accept {port}"), &out).replace(&port, "PORT");
    assert!(
        text.contains("error: bind 127.0.0.1:PORT: address in use (EADDRINUSE"),
        "{text}"
    );
    // The real stage, through the same steps, starts again.
    let (real, _) = restart();
    assert!(real.status.success(), "{}", transcript(&real));
    shown("ch03-no-reuseaddr", &text);
}

// Chapter 4

/// Linux only: the process table is read in /proc.
#[test]
#[cfg(target_os = "linux")]
fn ch04_no_reaping() {
    use workbook_tests::proc;
    let Some(bin) = broken("ch04-no-reaping") else {
        return;
    };
    let mut text = String::new();
    with_binaries(&bin, || {
        let server = Server::start("stage04_accept", &["0"]);
        let supervisor = server.pid();
        assert!(workbook_tests::eventually(|| proc::children(supervisor)
            .len()
            == 17));
        // The first child is the watcher; the next two are workers.
        let children = proc::children(supervisor);
        let victims = [children[1].pid, children[2].pid];
        for pid in victims {
            let pid = pid.to_string();
            let status = std::process::Command::new("kill")
                .args(["-KILL", &pid])
                .status();
            assert!(status.unwrap().success());
        }
        assert!(workbook_tests::eventually(|| {
            victims
                .iter()
                .all(|&pid| proc::process(pid).is_some_and(|p| p.state == 'Z'))
        }));
        let children = proc::children(supervisor);
        assert_eq!(children.len(), 17, "nobody replaced them");
        text += "$ kill -9 WORKER1 WORKER2\n";
        text += "(the first three children of the supervisor, read in /proc, \
                 in the columns of ps -o pid,ppid,stat --ppid SUPERVISOR)\n";
        text += "PID PPID STAT\n";
        for child in &children[..3] {
            let name = match child.pid {
                pid if pid == victims[0] => "WORKER1",
                pid if pid == victims[1] => "WORKER2",
                _ => "WATCHER",
            };
            text += &format!("{name} SUPERVISOR {}\n", child.state);
        }
        let zombies = children.iter().filter(|c| c.state == 'Z').count();
        text += &format!("({} children, {zombies} of them zombies)\n", children.len());
        assert_eq!(server.stop().status.code(), Some(0));
    });
    shown("ch04-no-reaping", &text);
}

/// Linux only: the process table is read in /proc.
#[test]
#[cfg(target_os = "linux")]
fn ch04_sigchld_ignored() {
    use workbook_tests::proc;
    let Some(bin) = broken("ch04-sigchld-ignored") else {
        return;
    };
    let mut text = String::new();
    with_binaries(&bin, || {
        let mut server = Server::start("stage04_accept", &["0"]);
        let supervisor = server.pid();
        let count = || proc::children(supervisor).len();
        assert!(workbook_tests::eventually(|| count() == 17));
        let victim = proc::children(supervisor)[1].pid;
        let status = std::process::Command::new("kill")
            .args(["-KILL", &victim.to_string()])
            .status();
        assert!(status.unwrap().success());
        // Gone at once, not even a zombie, and nobody starts another.
        assert!(workbook_tests::eventually(
            || proc::process(victim).is_none()
        ));
        assert_eq!(count(), 16);
        text += "$ kill -9 WORKER\n";
        text += &format!(
            "(in /proc: the worker is gone, not left a zombie, and not replaced: {} children)\n",
            count()
        );
        // Its input ends: the watcher exits, and the supervisor never knows.
        server.close_stdin();
        assert!(workbook_tests::eventually(|| count() == 15));
        std::thread::sleep(std::time::Duration::from_millis(500));
        assert_eq!(count(), 15, "the supervisor stopped its workers");
        text += &format!(
            "(standard input closed: the watcher is gone, and the server runs on: {} children)\n",
            count()
        );
        // Dropping the server kills its process group.
    });
    shown("ch04-sigchld-ignored", &text);
}

#[test]
fn ch04_no_sigpipe() {
    let Some(bin) = broken("ch04-no-sigpipe") else {
        return;
    };
    let mut text = String::new();
    with_binaries(&bin, || {
        let server = Server::start("stage04_accept", &["0"]);
        // 20 clients that connect, send nothing, and reset the connection:
        // each worker's read fails with ECONNRESET, its write raises SIGPIPE.
        for _ in 0..20 {
            let stream = workbook_tests::connect(server.port);
            workbook_tests::reset_on_close(&stream);
        }
        let mut deaths = Vec::new();
        while deaths.len() < 20 {
            let line = server.next_line().expect("a log line");
            if line.contains(" killed by signal ") {
                deaths.push(workbook_tests::redact(&line));
            }
        }
        assert!(
            deaths
                .iter()
                .all(|line| line.ends_with("killed by signal 13, starting another"))
        );
        text += &format!("{}\n", patched::redact_ports(&server.first_line));
        for line in &deaths[..3] {
            text += &format!("{line}\n");
        }
        text += "... (20 such lines, one per client)\n";
        server.stop();
    });
    shown("ch04-no-sigpipe", &text);
}

#[test]
fn ch04_one_worker() {
    use std::io::Write;
    let Some(bin) = broken("ch04-one-worker") else {
        return;
    };
    let mut text = String::new();
    with_binaries(&bin, || {
        let server = Server::start("stage04_accept", &["0"]);
        let silent = workbook_tests::connect(server.port);
        text += "client 1: connects and sends nothing\n";
        let mut waiting = workbook_tests::connect(server.port);
        waiting.write_all(&get_request("/")).unwrap();
        assert_no_answer_within(&mut waiting, 1, "no answer while the worker is held");
        text += "client 2: sends GET /, and has no answer after 1 second\n";
        drop(silent);
        let answer = workbook_tests::answer(waiting);
        assert!(answer.starts_with(b"HTTP/1.1 200 OK\r\n"));
        text += "client 1: closes\nclient 2: HTTP/1.1 200 OK\n";
        server.stop();
    });
    shown("ch04-one-worker", &text);
}

// Chapter 5

#[test]
fn ch05_single_read() {
    use std::io::Write;
    let Some(bin) = broken("ch05-single-read") else {
        return;
    };
    let text = with_binaries(&bin, || {
        let server = Server::start("stage05_parse", &["0"]);
        // The chapter's two-piece client: part of the head, a pause, the rest.
        let mut stream = workbook_tests::connect(server.port);
        stream.write_all(b"GET / HTTP/1.1\r\nHo").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        let _ = stream.write_all(b"st: x\r\n\r\n");
        let answer = workbook_tests::answer(stream);
        let log = server.stop_cleanly();
        format!(
            "{}log: {}\n",
            workbook_tests::shown(&answer),
            workbook_tests::redact(&log[0])
        )
    });
    assert!(text.starts_with("HTTP/1.1 400 Bad Request\\r\\n"), "{text}");
    assert!(text.ends_with("\"-\" 400\n"), "{text}");
    shown("ch05-single-read", &patched::redact_ports(&text));
}

/// Linux only: the patch shortens Linux's `Timeval`.
#[test]
#[cfg(target_os = "linux")]
fn ch05_short_timeval() {
    let Some(text) = build_errors("ch05-short-timeval", false) else {
        return;
    };
    assert!(
        text.contains("evaluation panicked: assertion failed: size_of::<Timeval>() == 16"),
        "{text}"
    );
    shown("ch05-short-timeval", &text);
}

#[test]
#[cfg(target_os = "linux")]
fn ch05_short_timeval_unchecked() {
    let Some(bin) = broken("ch05-short-timeval-unchecked") else {
        return;
    };
    let text = with_binaries(&bin, || {
        let server = Server::start("stage05_parse", &["0"]);
        let mut text = String::new();
        for _ in 0..3 {
            let answer = exchange(server.port, &get_request("/"));
            assert!(answer.is_empty(), "{}", workbook_tests::shown(&answer));
        }
        text += "3 clients send GET /: each gets no byte of answer\n";
        for line in server.stop_cleanly() {
            text += &format!("log: {}\n", workbook_tests::redact(&line));
        }
        text
    });
    assert_eq!(text.matches("\"-\" -").count(), 3, "{text}");
    shown(
        "ch05-short-timeval-unchecked",
        &patched::redact_ports(&text),
    );
}

#[test]
fn ch05_close_at_once() {
    use std::io::{Read, Write};
    let Some(bin) = broken("ch05-close-at-once") else {
        return;
    };
    let text = with_binaries(&bin, || {
        let server = Server::start("stage05_parse", &["0"]);
        // The test ends_the_connection_cleanly_with_the_request_unread's
        // first client: a 64 KiB head, then it reads the answer.
        let filler = "a".repeat(64 * 1024);
        let request = format!("GET / HTTP/1.1\r\nHost: x\r\nX-Filler: {filler}\r\n\r\n");
        let mut stream = workbook_tests::connect(server.port);
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = Vec::new();
        let err = stream
            .read_to_end(&mut answer)
            .expect_err("the connection is reset");
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
        server.stop_cleanly();
        format!(
            "reading the answer: {err}, after {} bytes\n{}",
            answer.len(),
            workbook_tests::shown(&answer)
        )
    });
    assert!(text.contains("HTTP/1.1 431"), "{text}");
    shown("ch05-close-at-once", &text);
}

// Chapter 6

/// `curl -sS -o /dev/null URL`, as the page shows it: the command, curl's
/// message, and its exit status, with the port replaced.
fn curl_session(port: u16, path: &str) -> String {
    let url = format!("http://127.0.0.1:{port}{path}");
    let out = std::process::Command::new("curl")
        .args(["-sS", "-o", "/dev/null", &url])
        .output()
        .unwrap();
    let text = format!(
        "$ curl -sS -o /dev/null {url}; echo \"curl exit status: $?\"\n{}curl exit status: {}\n",
        String::from_utf8_lossy(&out.stderr),
        out.status.code().unwrap_or(-1)
    );
    patched::redact_ports(&text)
}

#[test]
fn ch06_length_plus_one() {
    let Some(bin) = broken("ch06-length-plus-one") else {
        return;
    };
    if !workbook_tests::client_available("curl", "ch06_length_plus_one") {
        return;
    }
    let text = with_binaries(&bin, || {
        // IDLE 1: curl keeps the connection, waiting for the missing byte,
        // until the server closes it as idle.
        let server = Server::start("stage06_respond", &["0", "10", "1"]);
        let text = curl_session(server.port, "/missing");
        server.stop_cleanly();
        text
    });
    assert!(
        text.contains(
            "curl: (18) transfer closed with 1 bytes remaining to read\ncurl exit status: 18\n"
        ),
        "{text}"
    );
    shown("ch06-length-plus-one", &text);
}

#[test]
fn ch06_length_minus_one() {
    use std::io::Write;
    let Some(bin) = broken("ch06-length-minus-one") else {
        return;
    };
    let text = with_binaries(&bin, || {
        let server = Server::start("stage06_respond", &["0"]);
        // Two requests on one connection: the first body's last byte is
        // left over, and read as the start of the second response.
        let mut stream = workbook_tests::connect(server.port);
        let two = [
            &b"GET /missing HTTP/1.1\r\nHost: x\r\n\r\n"[..],
            &get_request("/missing"),
        ]
        .concat();
        stream.write_all(&two).unwrap();
        let answer = workbook_tests::answer(stream);
        server.stop_cleanly();
        let head_end = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let head = String::from_utf8_lossy(&answer[..head_end]);
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .unwrap()
            .parse()
            .unwrap();
        let body = &answer[head_end..head_end + length];
        let rest = &answer[head_end + length..];
        format!(
            "first response: Content-Length: {length}, its body ends {:?}\n\
             what the client reads as the second response starts {:?}\n",
            String::from_utf8_lossy(&body[body.len() - 8..]),
            String::from_utf8_lossy(&rest[..12]),
        )
    });
    assert!(
        text.contains("second response starts \"\\nHTTP/1.1 40\""),
        "{text}"
    );
    shown("ch06-length-minus-one", &text);
}

#[test]
fn ch06_no_head_deadline() {
    use std::io::{Read, Write};
    use std::time::Duration;
    let Some(bin) = broken("ch06-no-head-deadline") else {
        return;
    };
    // TIMEOUT 2; the head begins, then a byte of it every 0.4 s, 8 of
    // them: 3.2 s in all.
    let trickle = |stage_name: &str| {
        let server = Server::start(stage_name, &["0", "2"]);
        let mut stream = workbook_tests::connect(server.port);
        stream.write_all(b"GET / HTTP/1.1\r\nX: ").unwrap();
        for _ in 0..8 {
            std::thread::sleep(Duration::from_millis(400));
            // The real stage closes the connection after its 408.
            if stream.write_all(b"a").is_err() {
                break;
            }
        }
        stream.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 4096];
        let early = match stream.read(&mut buf) {
            Ok(n) => buf[..n].to_vec(),
            Err(_) => Vec::new(),
        };
        stream.set_nonblocking(false).unwrap();
        let _ = stream.write_all(b"\r\nHost: x\r\nConnection: close\r\n\r\n");
        let answer = workbook_tests::answer(stream);
        server.stop_cleanly();
        (early, answer)
    };
    let (early, answer) = with_binaries(&bin, || trickle("stage06_respond"));
    assert!(early.is_empty(), "{}", workbook_tests::shown(&early));
    assert!(answer.starts_with(b"HTTP/1.1 200 OK\r\n"));
    let mut text = String::from(
        "$ stage06_respond 0 2   (TIMEOUT 2)\n\
         client: a head begun, then trickled a byte every 0.4 s, for 3.2 s\n\
         client: no answer yet, no 408\n\
         client: ends the head: HTTP/1.1 200 OK\n",
    );
    // The real stage answers the same client with 408 once TIMEOUT is up.
    let (early, _) = trickle("stage06_respond");
    assert!(early.starts_with(b"HTTP/1.1 408 Request Timeout\r\n"));
    text += "(the real stage: HTTP/1.1 408 Request Timeout, two seconds after the first byte)\n";
    shown("ch06-no-head-deadline", &text);
}

/// A request on a kept connection, a pause of 2 seconds, and another:
/// the status line of the second answer, or how the connection ended.
fn after_a_pause(port: u16) -> String {
    use std::io::{Read, Write};
    let mut stream = connect(port);
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 4096];
    let got = stream.read(&mut buf).unwrap();
    assert!(buf[..got].starts_with(b"HTTP/1.1 200 OK\r\n"));
    std::thread::sleep(std::time::Duration::from_secs(2));
    let _ = stream.write_all(&get_request("/"));
    let second = answer(stream);
    if second.is_empty() {
        "the connection is closed".to_owned()
    } else {
        String::from_utf8_lossy(second.split(|&b| b == b'\r').next().unwrap()).into_owned()
    }
}

#[test]
fn ch06_no_idle_timeout() {
    let Some(bin) = broken("ch06-no-idle-timeout") else {
        return;
    };
    // TIMEOUT 3, IDLE 1.
    let args = ["0", "3", "1"];
    let broken_second = with_binaries(&bin, || {
        let server = Server::start("stage06_respond", &args);
        let second = after_a_pause(server.port);
        server.stop_cleanly();
        second
    });
    let real_second = {
        let server = Server::start("stage06_respond", &args);
        let second = after_a_pause(server.port);
        server.stop_cleanly();
        second
    };
    assert_eq!(broken_second, "HTTP/1.1 200 OK");
    assert_eq!(real_second, "the connection is closed");
    shown(
        "ch06-no-idle-timeout",
        &format!(
            "$ stage06_respond 0 3 1   (TIMEOUT 3, IDLE 1)\n\
             client: GET /, answered; 2 seconds without a request; GET / again\n\
             the break: {broken_second}\n\
             stage 06 as it is: {real_second}, after 1 second idle\n"
        ),
    );
}

/// Linux only: `prlimit` (util-linux), and /proc for the descriptors.
#[test]
#[cfg(target_os = "linux")]
fn ch06_emfile_exits() {
    use std::process::Command;
    let Some(bin) = broken("ch06-emfile-exits") else {
        return;
    };
    if !workbook_tests::client_available("prlimit", "ch06_emfile_exits") {
        return;
    }
    let (deaths, first, error) = with_binaries(&bin, || {
        // The lowest descriptor free when the server forks, as the test
        // a_worker_out_of_descriptors_waits_and_tries_again finds it: as a
        // limit, it leaves the workers none.
        let probe = Server::start("stage06_respond", &["0"]);
        let numbers: Vec<usize> = std::fs::read_dir(format!("/proc/{}/fd", probe.pid()))
            .unwrap()
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        let open = (0..).find(|n| !numbers.contains(n)).unwrap();
        probe.stop_cleanly();
        let mut command = Command::new("prlimit");
        command
            .arg(format!("--nofile={open}:"))
            .arg("--")
            .arg(workbook_tests::stage_binary("stage06_respond"));
        let server = Server::start_command(command, "stage06_respond", &["0"]);
        // Until more workers have died than the pool holds, or no line
        // comes for a minute.
        let died = |line: &String| line.ends_with("starting another");
        let lines = server.log_until(|lines| lines.iter().filter(|l| died(l)).count() > 256);
        let stopped = server.stop();
        let deaths: Vec<String> = lines.into_iter().filter(died).collect();
        let error = stopped.stderr.lines().next().unwrap_or_default().to_owned();
        (
            deaths.len(),
            deaths.first().cloned().unwrap_or_default(),
            error,
        )
    });
    // More deaths than workers: the ones started in their place died too.
    assert!(deaths > 256, "{deaths} workers died");
    assert!(
        error.contains("too many open files (EMFILE, errno 24)"),
        "{error}"
    );
    let first = workbook_tests::redact(&first);
    let text = format!(
        "$ prlimit --nofile=N: stage06_respond 0   (N: the lowest descriptor free when it forks)\n\
         (until more than 256 workers have died, then standard input closed)\n\
         first log line: {first}\n\
         first error: {}\n\
         more than 256 such lines: every worker started in a dead one's place died the same way\n",
        patched::redact_ports(&error)
    );
    shown("ch06-emfile-exits", &text);
}

#[test]
fn ch06_no_request_limit() {
    use std::io::Write;
    let Some(bin) = broken("ch06-no-request-limit") else {
        return;
    };
    let text = with_binaries(&bin, || {
        let server = Server::start("stage06_respond", &["0"]);
        let mut stream = workbook_tests::connect(server.port);
        let request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        stream.write_all(&request.repeat(150)).unwrap();
        stream.write_all(&get_request("/")).unwrap();
        let answer = workbook_tests::answer(stream);
        server.stop_cleanly();
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let count = answer.matches("HTTP/1.1 200 OK\r\n").count();
        let closes = answer.matches("Connection: close\r\n").count();
        format!(
            "151 requests on one connection: {count} answers, {closes} of them with \
             Connection: close (the last, which the client asked for)\n"
        )
    });
    assert_eq!(
        text,
        "151 requests on one connection: 151 answers, 1 of them with Connection: close \
         (the last, which the client asked for)\n"
    );
    shown("ch06-no-request-limit", &text);
}

#[test]
fn ch06_pool_of_16() {
    use std::io::Write;
    let Some(bin) = broken("ch06-pool-of-16") else {
        return;
    };
    let mut text = String::new();
    with_binaries(&bin, || {
        let server = Server::start("stage06_respond", &["0"]);
        // Half a request each: on Linux a connection with no bytes at all
        // waits in the kernel, not in a worker (`defer_accept`).
        let silent: Vec<_> = (0..16)
            .map(|_| {
                let mut stream = workbook_tests::connect(server.port);
                stream.write_all(b"GET / HTTP/1.1\r\n").unwrap();
                stream
            })
            .collect();
        text += "16 clients: connect, send a request line, and nothing more\n";
        let mut waiting = workbook_tests::connect(server.port);
        waiting.write_all(&get_request("/")).unwrap();
        assert_no_answer_within(&mut waiting, 1, "no answer while the 16 workers are held");
        text += "client 17: sends GET /, and has no answer after 1 second\n";
        drop(silent);
        let answer = workbook_tests::answer(waiting);
        assert!(answer.starts_with(b"HTTP/1.1 200 OK\r\n"));
        text += "the 16 close\nclient 17: HTTP/1.1 200 OK\n";
        server.stop();
    });
    shown("ch06-pool-of-16", &text);
}

#[test]
fn ch06_no_skip() {
    use std::io::Write;
    let Some(bin) = broken("ch06-no-skip") else {
        return;
    };
    // A POST whose content is a whole request, then a real request: the
    // test skips_content_it_does_not_read's client.
    let smuggled = b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut request = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        smuggled.len()
    )
    .into_bytes();
    request.extend(smuggled);
    request.extend(get_request("/"));
    let text = with_binaries(&bin, || {
        let server = Server::start("stage06_respond", &["0"]);
        let mut stream = workbook_tests::connect(server.port);
        stream.write_all(&request).unwrap();
        workbook_tests::answer(stream);
        let log = server.stop_cleanly();
        let log: Vec<String> = log.iter().map(|l| workbook_tests::redact(l)).collect();
        format!(
            "{}--\n{}\n",
            workbook_tests::shown_request(&request),
            log.join("\n")
        )
    });
    assert!(text.contains("\"GET /echo HTTP/1.1\" 200"), "{text}");
    shown("ch06-no-skip", &patched::redact_ports(&text));
}

/// How many of 20 answers on one connection to `stage07_files` serving
/// `root` had their file still unsent in the server's socket when the
/// client had read the head: `ss` reports the server side's `notsent`
/// bytes (Linux's `tcpi_notsent_bytes`).
#[cfg(target_os = "linux")]
fn held_back(root: &str) -> usize {
    use std::io::{Read, Write};
    let server = Server::start("stage07_files", &["0", root]);
    let port = server.port;
    let mut stream = workbook_tests::connect(port);
    let mut held = 0;
    for _ in 0..20 {
        stream
            .write_all(b"GET /notes.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut buf = [0u8; 4096];
        let first = stream.read(&mut buf).unwrap();
        let head_end = buf[..first]
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("the head comes whole")
            + 4;
        let mut got = first - head_end;
        if got == 0 {
            let filter = format!("( sport = :{port} )");
            let out = std::process::Command::new("ss")
                .args(["-tinH", "state", "established", &filter])
                .output()
                .unwrap();
            if String::from_utf8_lossy(&out.stdout).contains(" notsent:10000") {
                held += 1;
            }
        }
        while got < 10_000 {
            got += stream.read(&mut buf).unwrap();
        }
    }
    drop(stream);
    server.stop_cleanly();
    held
}

/// Linux only: `ss` and the socket statistics it reads.
#[test]
#[cfg(target_os = "linux")]
fn ch06_no_nodelay() {
    let Some(bin) = broken("ch06-no-nodelay") else {
        return;
    };
    if !workbook_tests::client_available("ss", "ch06_no_nodelay") {
        return;
    }
    let site = std::env::temp_dir().join(format!("workbook-nagle-{}", std::process::id()));
    std::fs::create_dir_all(&site).unwrap();
    // Too big to go out in one write with its head (sending.rs).
    std::fs::write(site.join("notes.txt"), "n".repeat(10_000)).unwrap();
    let root = site.display().to_string();
    let broken_held = with_binaries(&bin, || held_back(&root));
    let real_held = held_back(&root);
    let _ = std::fs::remove_dir_all(&site);
    // How many times `ss` catches the stall varies; that it does, and
    // never with TCP_NODELAY, does not.
    assert!(broken_held > 0, "the file was never seen held back");
    assert_eq!(real_held, 0, "TCP_NODELAY sends the file at once");
    shown(
        "ch06-no-nodelay",
        "20 requests for a 10,000-byte file, one at a time, on one connection; after\n\
         each head, `ss -tin` on the server's side of the connection:\n\
         without TCP_NODELAY: notsent:10000 seen (the file waits for the ACK of the head)\n\
         stage 07 as it is: never notsent\n",
    );
}

// Chapter 7

/// `request`'s request line, then the answer, as the page shows them.
fn asked(port: u16, request: &[u8]) -> String {
    let answer = exchange(port, request);
    let line = request.split(|&b| b == b'\r').next().unwrap_or_default();
    format!(
        "## {}\n{}",
        String::from_utf8_lossy(line),
        workbook_tests::shown(&answer)
    )
}

#[test]
fn ch07_check_before_decode() {
    let Some(bin) = broken("ch07-check-before-decode") else {
        return;
    };
    let site = Site::new("ch07-check-before-decode");
    let text = with_binaries(&bin, || {
        let server = site.start(&[]);
        let text = asked(server.port, &get_request("/%2e%2e/secret.txt"));
        server.stop_cleanly();
        text
    });
    assert!(text.contains("HTTP/1.1 200 OK"), "{text}");
    assert!(text.ends_with("\\r\\n\n\\r\\n\nsecret\\n\n"), "{text}");
    shown("ch07-check-before-decode", &hide_dates(&text));
}

/// `text` with the date of `Last-Modified` hidden, and the `ETag` made
/// of it: they change with every run of a test that makes its files.
fn hide_dates(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.starts_with("Last-Modified: ") {
                "Last-Modified: [DATE]\\r\\n".to_owned()
            } else if line.starts_with("ETag: ") {
                "ETag: [ETAG]\\r\\n".to_owned()
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn ch07_nul_through() {
    let Some(bin) = broken("ch07-nul-through") else {
        return;
    };
    let site = Site::new("ch07-nul-through");
    site.file("notes.txt", "just notes\n");
    let text = with_binaries(&bin, || {
        let server = site.start(&[]);
        let text = asked(server.port, &get_request("/notes.txt%00.html"));
        server.stop_cleanly();
        text
    });
    assert!(text.contains("HTTP/1.1 200 OK"), "{text}");
    assert!(text.contains("Content-Type: text/html"), "{text}");
    assert!(text.ends_with("just notes\\n\n"), "{text}");
    shown("ch07-nul-through", &text);
}

#[test]
fn ch07_nofollow_last_only() {
    let Some(bin) = broken("ch07-nofollow-last-only") else {
        return;
    };
    let site = Site::new("ch07-nofollow-last-only");
    site.link("up", "..");
    let text = with_binaries(&bin, || {
        let server = site.start(&[]);
        let last = exchange(server.port, &get_request("/up/"));
        assert_eq!(status_line(&last), "HTTP/1.1 403 Forbidden");
        let text = asked(server.port, &get_request("/up/secret.txt"));
        server.stop_cleanly();
        format!("(www/up is a link to ..)\n## GET /up/ -- HTTP/1.1 403 Forbidden\n{text}")
    });
    assert!(text.ends_with("secret\\n\n"), "{text}");
    shown("ch07-nofollow-last-only", &hide_dates(&text));
}

/// The status line of an answer.
fn status_line(answer: &[u8]) -> String {
    let line = answer.split(|&b| b == b'\r').next().unwrap_or_default();
    String::from_utf8_lossy(line).into_owned()
}

/// The value of the header field `name` in `answer`.
fn field(answer: &[u8], name: &str) -> String {
    let text = String::from_utf8_lossy(answer);
    let prefix = format!("{name}: ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .to_owned()
}

#[test]
fn ch07_304_with_length() {
    let Some(bin) = broken("ch07-304-with-length") else {
        return;
    };
    let site = Site::new("ch07-304-with-length");
    site.file("notes.txt", "just notes\n");
    let text = with_binaries(&bin, || {
        let server = site.start(&[]);
        let first = exchange(server.port, &get_request("/notes.txt"));
        let etag = field(&first, "ETag");
        let request = format!(
            "GET /notes.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: {etag}\r\nConnection: close\r\n\r\n"
        );
        let text = asked(server.port, request.as_bytes());
        server.stop_cleanly();
        text
    });
    assert!(text.contains("HTTP/1.1 304 Not Modified"), "{text}");
    assert!(text.contains("Content-Length: 0\\r\\n"), "{text}");
    shown("ch07-304-with-length", &text);
}

#[test]
fn ch07_date_decides() {
    let Some(bin) = broken("ch07-date-decides") else {
        return;
    };
    let site = Site::new("ch07-date-decides");
    site.file("notes.txt", "new notes\n");
    // The client's copy has another tag, fetched the second the file was
    // last changed: the tag says it changed, the date says it did not.
    let request = "GET /notes.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"b-6553f100\"\r\n\
                   If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT\r\nConnection: close\r\n\r\n";
    let text = with_binaries(&bin, || {
        let server = site.start(&[]);
        let answer = exchange(server.port, request.as_bytes());
        server.stop_cleanly();
        status_line(&answer)
    });
    assert_eq!(text, "HTTP/1.1 304 Not Modified");
    let real = {
        let server = site.start(&[]);
        let answer = exchange(server.port, request.as_bytes());
        server.stop_cleanly();
        status_line(&answer)
    };
    assert_eq!(real, "HTTP/1.1 200 OK");
    shown(
        "ch07-date-decides",
        &format!(
            "{}--\nthe break: {text}\nstage 07 as it is: {real}\n",
            workbook_tests::shown_request(request.as_bytes())
        ),
    );
}

#[test]
fn ch07_range_past_end() {
    let Some(bin) = broken("ch07-range-past-end") else {
        return;
    };
    if !workbook_tests::client_available("curl", "ch07_range_past_end") {
        return;
    }
    let site = Site::new("ch07-range-past-end");
    // A range too big for the response buffer, so the head goes out
    // before the file is read (sending.rs): the client sees the promise
    // broken.
    site.file("digits.txt", &("0123456789".repeat(1999) + "012345678\n"));
    let text = with_binaries(&bin, || {
        // IDLE 1: curl waits for the rest until the server closes.
        let server = site.start(&["10", "1"]);
        let url = format!("http://127.0.0.1:{}/digits.txt", server.port);
        let out = std::process::Command::new("curl")
            .args(["-sS", "-r", "19995-29994", &url])
            .output()
            .unwrap();
        server.stop_cleanly();
        patched::redact_ports(&session(&format!("curl -sS -r 19995-29994 {url}"), &out))
    });
    assert!(
        text.contains("exit status: 18\n--- stdout\n5678\n--- stderr\ncurl: (18) transfer closed with 9995 bytes remaining to read\n"),
        "{text}"
    );
    shown("ch07-range-past-end", &text);
}

#[test]
fn ch07_listing_unescaped() {
    let Some(bin) = broken("ch07-listing-unescaped") else {
        return;
    };
    let site = Site::new("ch07-listing-unescaped");
    site.file("<img src=x onerror=alert(1)>", "");
    let text = with_binaries(&bin, || {
        let server = site.start(&[]);
        let answer = exchange(server.port, &get_request("/"));
        server.stop_cleanly();
        String::from_utf8_lossy(&answer)
            .lines()
            .filter(|line| line.starts_with("<li>"))
            .map(|line| format!("{line}\n"))
            .collect::<String>()
    });
    assert!(
        text.contains(
            "\">< img src=x onerror=alert(1)></a>"
                .replace("< ", "<")
                .as_str()
        ),
        "{text}"
    );
    shown(
        "ch07-listing-unescaped",
        &format!(
            "(the listing of a folder holding a file named <img src=x onerror=alert(1)>)\n{text}"
        ),
    );
}

#[test]
fn ch07_no_send_timeout() {
    use std::io::Write;
    use std::time::Duration;
    let Some(bin) = broken("ch07-no-send-timeout") else {
        return;
    };
    let site = Site::new("ch07-no-send-timeout");
    // Larger than what the socket buffers on both sides hold.
    site.file("big.bin", "b".repeat(64 * 1024 * 1024));
    // TIMEOUT 1: a client asks for the file and reads nothing.
    let stalled = |server: &Server| {
        let mut stream = connect(server.port);
        stream.write_all(&get_request("/big.bin")).unwrap();
        stream
    };
    let text = with_binaries(&bin, || {
        let server = site.start(&["1"]);
        let stream = stalled(&server);
        let line = server.line_within(Duration::from_secs(4));
        assert_eq!(line, None, "the worker gave up on the client");
        drop(stream);
        let line = server
            .next_line()
            .expect("the worker's log line, once the client left");
        assert!(line.ends_with("\"GET /big.bin HTTP/1.1\" 200"), "{line}");
        server.stop_cleanly();
        "$ stage07_files 0 www 1   (TIMEOUT 1)\n\
         client: GET /big.bin (64 MiB), then reads nothing\n\
         after 4 seconds: no log line, the worker is still sending\n\
         client: closes; then the log line comes\n"
    });
    // The real stage gives up on its own, after the send timeout.
    let server = site.start(&["1"]);
    let stream = stalled(&server);
    let line = server
        .next_line()
        .expect("a log line while the client is there");
    assert!(line.ends_with("\"GET /big.bin HTTP/1.1\" 200"), "{line}");
    drop(stream);
    server.stop_cleanly();
    shown(
        "ch07-no-send-timeout",
        &format!(
            "{text}(stage 07 as it is: the log line comes while the client is still connected)\n"
        ),
    );
}

#[test]
fn ch07_one_sendfile() {
    use std::io::{Read, Write};
    use std::time::Duration;
    let Some(bin) = broken("ch07-one-sendfile") else {
        return;
    };
    let site = Site::new("ch07-one-sendfile");
    let size = 64 * 1024 * 1024;
    site.file("big.bin", "b".repeat(size));
    let text = with_binaries(&bin, || {
        // TIMEOUT 1: the client asks, pauses 3 seconds, then reads. The
        // first sendfile gives up after a second without room to write,
        // having sent part of the file.
        let server = site.start(&["1"]);
        let mut stream = connect(server.port);
        stream.write_all(&get_request("/big.bin")).unwrap();
        std::thread::sleep(Duration::from_secs(3));
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        server.stop_cleanly();
        let head_end = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let head = String::from_utf8_lossy(&answer[..head_end]).into_owned();
        let body = answer.len() - head_end;
        assert!(
            head.contains(&format!("Content-Length: {size}\r\n")),
            "{head}"
        );
        assert!(body < size, "the whole file arrived");
        format!(
            "$ stage07_files 0 www 1   (TIMEOUT 1)\n\
             client: GET /big.bin, a pause of 3 seconds, then it reads to the end\n\
             Content-Length: {size}\n\
             received: fewer bytes, then the end of the connection\n"
        )
    });
    shown("ch07-one-sendfile", &text);
}

#[test]
fn ch07_sendfile_arguments_swapped() {
    let Some(text) = build_errors("ch07-sendfile-arguments-swapped", false) else {
        return;
    };
    assert!(
        text.contains("error[E0308]: arguments to this function are incorrect"),
        "{text}"
    );
    shown("ch07-sendfile-arguments-swapped", &text);
}

#[test]
fn ch03_no_fill_stage07() {
    let Some(bin) = broken("ch03-no-fill-stage07") else {
        return;
    };
    let site = Site::new("ch03-no-fill-stage07");
    let root = site.root().display().to_string();
    let out = with_binaries(&bin, || {
        to_completion(stage_with_closed("stage07_files", 0, &["0", &root]))
            .output()
            .unwrap()
    });
    let text = patched::redact_ports(&session("stage07_files 0 www <&-", &out));
    assert!(
        text.contains("error: read standard input: unknown error (errno 21)"),
        "{text}"
    );
    shown("ch03-no-fill-stage07", &text);
}

// The inventory

/// Every break is named (`"NAME"`) by a test here, or by the list of
/// breaks that tools/exercises/cross-build runs on another target, and is
/// included by a page.
#[test]
fn every_break_is_tested_and_shown() {
    let tests = std::fs::read_to_string(workspace_root().join("tests/breaks.rs")).unwrap();
    let cross =
        std::fs::read_to_string(workspace_root().join("tools/exercises/cross-build")).unwrap();
    let listed = cross
        .split_once("cross_breaks=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map_or("", |(list, _)| list);
    let tests = format!(
        "{tests}{}",
        listed
            .lines()
            .map(|line| format!("\"{}\"", line.split(' ').next().unwrap_or("")))
            .collect::<String>()
    );
    let pages: String = std::fs::read_dir(workspace_root().join("book/src"))
        .unwrap()
        .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path()).ok())
        .collect();
    let mut missing = Vec::new();
    for name in patched::names(patched::BREAKS) {
        if !tests.contains(&format!("\"{name}\"")) {
            missing.push(format!("{name}: no test in tests/breaks.rs names it"));
        }
        let include = format!("{{{{#include ../patches/breaks/{name}.patch}}}}");
        if !pages.contains(&include) {
            missing.push(format!("{name}: no page of book/src has {include}"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
