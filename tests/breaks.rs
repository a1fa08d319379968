//! The chapters' "What goes wrong", shipped: each patch in
//! book/patches/breaks breaks a stage the way a chapter describes, and its
//! test shows the failure the chapter prints. The book shows the run of
//! the test, kept in book/src/breaks/NAME.txt (rewritten under
//! `WORKBOOK_BLESS`, checked otherwise), with what changes from run to run
//! (ports, pids, paths) replaced.

use std::path::PathBuf;
use workbook_tests::patched::{self, Patch};
use workbook_tests::{
    Server, answer, connect, exchange, get_request, run, stage_with_closed, to_completion,
    transcript, with_binaries, workspace_root,
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

/// `command`'s run as the page shows it, after `$ command_line`.
fn session(command_line: &str, out: &std::process::Output) -> String {
    format!("$ {command_line}\n{}\n", transcript(out))
}

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
    use std::io::{Read, Write};
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
        waiting
            .set_read_timeout(Some(std::time::Duration::from_secs(1)))
            .unwrap();
        let mut byte = [0u8; 1];
        let err = waiting
            .read(&mut byte)
            .expect_err("no answer while the worker is held");
        assert!(matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ));
        text += "client 2: sends GET /, and has no answer after 1 second\n";
        drop(silent);
        waiting.set_read_timeout(None).unwrap();
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
