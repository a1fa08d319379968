//! The exercises' solutions (book/patches/exercises), each applied to a
//! scratch copy of the workspace, built, and run through the checks its
//! exercise asks for. What a page of exercises shows a learner is the run
//! of the test, kept in book/src/exercises/NAME.txt (rewritten under
//! `WORKBOOK_BLESS`, checked otherwise).
//!
//! Every test names its patch (`"NAME"`); the last tests of
//! this file check that every patch has a test and a page, and that every
//! chapter has its exercises.

use std::path::PathBuf;
use workbook_tests::patched::{self, Patch, session};
use workbook_tests::site::Site;
use workbook_tests::{
    Server, exchange, get_request, run, send_byte_by_byte, send_cut_short, shown as shown_bytes,
    shown_request, stage, stage_with_closed, to_completion, with_binaries, workspace_root,
};

/// The solution `name`, built: the folder of its binary, or `None` when
/// this test run does not run patched stages.
fn solution(name: &str) -> Option<PathBuf> {
    if patched::skipped(name) {
        return None;
    }
    Some(Patch::exercise(name).build().binaries())
}

/// What the exercise's page shows: `text`, checked against the file.
fn shown(name: &str, text: &str) {
    patched::book_output(&format!("exercises/{name}.txt"), text);
}

/// Runs `stage_name` once for each list of arguments, with an empty
/// standard input, each run shown as [`session`] shows it.
fn runs(stage_name: &str, arg_lists: &[&[&str]]) -> String {
    let mut text = String::new();
    for args in arg_lists {
        let out = run(stage_name).args(*args).output().unwrap();
        text += &session(&command_line(stage_name, args), &out);
    }
    text
}

/// A command as typed in a shell: an argument that is empty or holds a
/// space is quoted.
fn command_line(program: &str, args: &[&str]) -> String {
    let mut line = program.to_owned();
    for arg in args {
        if arg.is_empty() || arg.contains(' ') {
            line += &format!(" '{arg}'");
        } else {
            line += &format!(" {arg}");
        }
    }
    line
}

// Chapter 1

#[test]
fn ch01_exit_with_argc() {
    let Some(bin) = solution("ch01-exit-with-argc") else {
        return;
    };
    let report = with_binaries(&bin, || {
        runs("stage01_exit", &[&[], &["one"], &["a", "b", "c"]])
    });
    assert!(report.contains("exit status: 3\n"), "{report}");
    shown("ch01-exit-with-argc", &report);
}

#[test]
fn ch01_status_at_build_time() {
    if patched::skipped("ch01_status_at_build_time") {
        return;
    }
    let patch = Patch::exercise("ch01-status-at-build-time");
    let mut text = String::new();
    for status in [None, Some("7"), Some("255")] {
        let build = match status {
            None => patch.build(),
            Some(value) => patch.build().env("EXIT_STATUS", value),
        };
        let bin = build.binaries();
        let setting = status.map_or(String::new(), |v| format!("EXIT_STATUS={v} "));
        text += &format!("$ {setting}cargo build -q -p stage01_exit\n");
        text += &with_binaries(&bin, || runs("stage01_exit", &[&[]]));
    }
    let refused = patch.build().env("EXIT_STATUS", "300").run();
    let stderr = refused.expect_err("a status above 255 must stop the build");
    let error = stderr
        .lines()
        .find(|line| line.starts_with("error"))
        .expect("an error line");
    assert_eq!(
        error,
        "error[E0080]: evaluation panicked: EXIT_STATUS is above 255"
    );
    text += &format!("$ EXIT_STATUS=300 cargo build -q -p stage01_exit\n{error}\n");
    assert!(text.contains("exit status: 7\n") && text.contains("exit status: 42\n"));
    shown("ch01-status-at-build-time", &text);
}

#[test]
fn ch01_exit_with_pid() {
    let Some(bin) = solution("ch01-exit-with-pid") else {
        return;
    };
    with_binaries(&bin, || {
        for _ in 0..3 {
            let child = workbook_tests::stage("stage01_exit").spawn().unwrap();
            let pid = child.id();
            let status = child.wait_with_output().unwrap().status;
            assert_eq!(status.code(), Some((pid & 0xff) as i32), "pid {pid}");
        }
    });
    // The page shows the shell's view: `$!` is the pid of the last
    // program started in the background. The numbers change from run to
    // run; the test checks that they are equal, then hides them.
    let script = r#"$0 & wait $!; echo "exit status: $?, pid % 256: $(($! % 256))""#;
    let out = std::process::Command::new("sh")
        .args(["-c", script])
        .arg(bin.join("stage01_exit"))
        .output()
        .unwrap();
    let line = String::from_utf8(out.stdout).unwrap();
    let numbers: Vec<&str> = line
        .trim_end()
        .split(", ")
        .map(|part| part.rsplit(' ').next().unwrap())
        .collect();
    assert_eq!(numbers.len(), 2, "{line}");
    assert_eq!(numbers[0], numbers[1], "{line}");
    shown(
        "ch01-exit-with-pid",
        &format!(
            "$ target/debug/stage01_exit & wait $!; echo \"exit status: $?, pid % 256: $(($! % 256))\"\n{}",
            line.replace(numbers[0], "[N]")
        ),
    );
}

#[test]
fn ch01_status_wraps() {
    let Some(bin) = solution("ch01-status-wraps") else {
        return;
    };
    let report = with_binaries(&bin, || runs("stage01_exit", &[&[]]));
    assert!(
        report.starts_with("$ stage01_exit\nexit status: 42\n"),
        "{report}"
    );
    shown("ch01-status-wraps", &report);
}

// Chapter 2

#[test]
fn ch02_argv0_first() {
    use std::os::unix::process::CommandExt;
    let Some(bin) = solution("ch02-argv0-first") else {
        return;
    };
    let mut text = String::new();
    with_binaries(&bin, || {
        // What a shell passes as argv[0] for a program found on its PATH.
        for args in [&["hello", "world"][..], &[]] {
            let mut command = stage("stage02_write");
            command.arg0("stage02_write").args(args);
            let out = to_completion(command).output().unwrap();
            text += &session(&command_line("stage02_write", args), &out);
        }
        let out = to_completion(stage("stage02_write"))
            .arg("hi")
            .output()
            .unwrap();
        let path = bin.join("stage02_write");
        let expected = format!("{} hi\n", path.display());
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    });
    assert!(
        text.contains("--- stdout\nstage02_write hello world\n"),
        "{text}"
    );
    assert!(text.contains("--- stdout\nstage02_write\n"), "{text}");
    shown("ch02-argv0-first", &text);
}

#[test]
fn ch02_one_per_line() {
    let Some(bin) = solution("ch02-one-per-line") else {
        return;
    };
    let report = with_binaries(&bin, || runs("stage02_write", &[&["a", "b  c", "", "d"]]));
    assert!(
        report.contains("--- stdout\na\nb  c\n\nd\n--- stderr"),
        "{report}"
    );
    shown("ch02-one-per-line", &report);
}

#[test]
fn ch02_stderr() {
    let Some(bin) = solution("ch02-stderr") else {
        return;
    };
    let text = with_binaries(&bin, || {
        let mut text = runs("stage02_write", &[&["hello", "world"]]);
        for (fd, shell) in [(1, ">&-"), (2, "2>&-")] {
            let out = to_completion(stage_with_closed("stage02_write", fd, &["hi"]))
                .output()
                .unwrap();
            text += &session(&format!("stage02_write hi {shell}"), &out);
        }
        text
    });
    assert!(
        text.contains("--- stdout\n--- stderr\nhello world\n"),
        "{text}"
    );
    assert!(text.contains("hi >&-\nexit status: 0\n"), "{text}");
    assert!(text.contains("hi 2>&-\nexit status: 1\n"), "{text}");
    shown("ch02-stderr", &text);
}

#[test]
fn ch02_numbered() {
    let Some(bin) = solution("ch02-numbered") else {
        return;
    };
    let many: Vec<String> = (b'a'..=b'k').map(|c| (c as char).to_string()).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let report = with_binaries(&bin, || {
        runs("stage02_write", &[&["hello", "big world", ""], &many])
    });
    assert!(
        report.contains("argv[2] = big world\nargv[3] = \n"),
        "{report}"
    );
    assert!(report.contains("argv[10] = j\nargv[11] = k\n"), "{report}");
    shown("ch02-numbered", &report);
}

// Chapter 3

/// `stage_name` started with `args`, its standard input and output piped,
/// after its first `lines` lines of output. Closing its input stops it.
fn started(stage_name: &str, args: &[&str], lines: usize) -> (std::process::Child, Vec<String>) {
    use std::io::BufRead;
    use std::process::Stdio;
    let mut child = stage(stage_name)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut read = Vec::new();
    for _ in 0..lines {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        read.push(line.trim_end().to_owned());
    }
    (child, read)
}

/// The port at the end of a first line such as `listening on http://0.0.0.0:8080`.
fn port_of(line: &str) -> u16 {
    line.rsplit(':').next().unwrap().parse().unwrap()
}

/// Whether a client can connect to `ip`:`port`, as the page says it.
fn connects(ip: &str, port: u16) -> String {
    match std::net::TcpStream::connect((ip, port)) {
        Ok(_) => format!("client: connect to {ip}:[PORT]: connected"),
        Err(e) => format!("client: connect to {ip}:[PORT]: {}", e.kind()),
    }
}

#[test]
fn ch03_name_eisdir() {
    let Some(bin) = solution("ch03-name-eisdir") else {
        return;
    };
    let out = with_binaries(&bin, || {
        stage("stage03_socket")
            .arg("0")
            .stdin(std::fs::File::open("/").unwrap())
            .output()
            .unwrap()
    });
    let text = patched::redact_ports(&session("stage03_socket 0 < /", &out));
    assert!(
        text.contains("error: read standard input: is a directory (EISDIR, errno 21)"),
        "{text}"
    );
    shown("ch03-name-eisdir", &text);
}

#[test]
fn ch03_bind_any_address() {
    let Some(bin) = solution("ch03-bind-any-address") else {
        return;
    };
    let mut text = String::new();
    with_binaries(&bin, || {
        let (child, lines) = started("stage03_socket", &["--any", "0"], 1);
        let port = port_of(&lines[0]);
        assert!(
            lines[0].starts_with("listening on http://0.0.0.0:"),
            "{lines:?}"
        );
        text += &format!("$ stage03_socket --any 0\n{}\n", lines[0]);
        text += &connects("127.0.0.1", port);
        text.push('\n');
        // All of 127.0.0.0/8 is this machine on Linux; 127.0.0.1 alone
        // would refuse 127.0.0.2.
        if cfg!(target_os = "linux") {
            let line = connects("127.0.0.2", port);
            assert!(line.ends_with(": connected"), "{line}");
            text += &line;
            text.push('\n');
        }
        drop(child.stdin);
        if cfg!(target_os = "linux") {
            let (child, lines) = started("stage03_socket", &["0"], 1);
            let line = connects("127.0.0.2", port_of(&lines[0]));
            assert!(line.ends_with(": connection refused"), "{line}");
            text += &format!("$ stage03_socket 0\n{}\n{line}\n", lines[0]);
            drop(child.stdin);
        }
        text += &runs("stage03_socket", &[&["--any", "80", "81"]]);
    });
    shown("ch03-bind-any-address", &patched::redact_ports(&text));
}

#[test]
fn ch03_refuse_privileged_ports() {
    let Some(bin) = solution("ch03-refuse-privileged-ports") else {
        return;
    };
    let text = with_binaries(&bin, || {
        runs("stage03_socket", &[&["80"], &["1023"], &["0"]])
    });
    assert!(text.contains("error: port 80 is privileged"), "{text}");
    assert!(
        text.contains("$ stage03_socket 0\nexit status: 0\n"),
        "{text}"
    );
    shown(
        "ch03-refuse-privileged-ports",
        &patched::redact_ports(&text),
    );
}

#[test]
fn ch03_two_ports() {
    let Some(bin) = solution("ch03-two-ports") else {
        return;
    };
    let mut text = String::new();
    with_binaries(&bin, || {
        let (mut child, lines) = started("stage03_socket", &["0", "0"], 2);
        let (first, second) = (port_of(&lines[0]), port_of(&lines[1]));
        assert_ne!(first, second);
        text += &format!("$ stage03_socket 0 0\n{}\n{}\n", lines[0], lines[1]);
        for port in [first, second] {
            let line = connects("127.0.0.1", port);
            assert!(line.ends_with(": connected"), "{line}");
        }
        text += "client: both ports connect\n";
        drop(child.stdin.take());
        assert!(child.wait().unwrap().success());
        // A port that was free a moment ago, twice.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
            .to_string();
        text += &runs("stage03_socket", &[&[&port, &port], &["0", "x"]])
            .replace(&format!(" {port} {port}"), " PORT PORT");
    });
    assert!(text.contains("address in use (EADDRINUSE"), "{text}");
    shown("ch03-two-ports", &patched::redact_ports(&text));
}

// Chapter 4

/// The log lines a server writes next, `count` of them.
fn log_lines(server: &Server, count: usize) -> Vec<String> {
    (0..count)
        .map(|_| server.next_line().expect("a log line"))
        .collect()
}

#[test]
fn ch04_pool_size_argument() {
    let Some(bin) = solution("ch04-pool-size-argument") else {
        return;
    };
    let mut text = String::new();
    with_binaries(&bin, || {
        let server = Server::start("stage04_accept", &["0", "3"]);
        text += &format!("$ stage04_accept 0 3\n{}\n", server.first_line);
        #[cfg(target_os = "linux")]
        {
            // Three workers and the watcher.
            let pool = workbook_tests::proc::Pool::of(server.pid(), 4);
            text += &format!(
                "(in /proc: {} children of the supervisor, 3 workers and the watcher)\n",
                pool.before.len()
            );
        }
        for _ in 0..10 {
            let answer = exchange(server.port, &get_request("/"));
            assert!(answer.starts_with(b"HTTP/1.1 200 OK\r\n"));
        }
        let lines = server.stop_cleanly();
        let pids: std::collections::BTreeSet<&str> = lines
            .iter()
            .filter_map(|line| line.split(' ').nth(1))
            .collect();
        assert!(pids.len() <= 3, "more than 3 workers served: {lines:?}");
        text += &runs("stage04_accept", &[&["0", "0"], &["0", "65"]]);
    });
    shown("ch04-pool-size-argument", &patched::redact_ports(&text));
}

#[test]
fn ch04_count_connections() {
    let Some(bin) = solution("ch04-count-connections") else {
        return;
    };
    let mut text = String::new();
    with_binaries(&bin, || {
        let server = Server::start("stage04_accept", &["0"]);
        for _ in 0..40 {
            exchange(server.port, &get_request("/"));
        }
        let lines = log_lines(&server, 40);
        server.stop_cleanly();
        // Each worker's numbers: 1, 2, 3... in the order of its lines.
        let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
        for line in &lines {
            let (head, number) = line.rsplit_once(' ').unwrap();
            let pid = head.split(' ').nth(1).unwrap().to_owned();
            let count = counts.entry(pid).or_default();
            *count += 1;
            assert_eq!(number, count.to_string(), "{lines:#?}");
        }
        assert_eq!(counts.values().sum::<usize>(), 40);
        let sample = workbook_tests::redact(&lines[0]);
        let sample = sample.rsplit_once(' ').unwrap().0;
        text += &format!(
            "{}\n(40 connections: every worker's lines count 1, 2, 3... in order, \
             and the counts add up to 40)\n",
            patched::redact_ports(&format!("{sample} [N]"))
        );
    });
    shown("ch04-count-connections", &text);
}

#[test]
fn ch04_log_worker_start() {
    let Some(bin) = solution("ch04-log-worker-start") else {
        return;
    };
    let mut text = String::new();
    with_binaries(&bin, || {
        let server = Server::start("stage04_accept", &["0"]);
        let started = log_lines(&server, 16);
        for line in &started {
            assert!(
                line.starts_with("worker ") && line.ends_with(" started"),
                "{line}"
            );
        }
        text += &format!(
            "$ stage04_accept 0\n{}\n{} (16 lines)\n",
            server.first_line,
            workbook_tests::redact(&started[0])
        );
        let victim = started[3].split(' ').nth(1).unwrap();
        let killed = std::process::Command::new("kill")
            .args(["-KILL", victim])
            .status()
            .unwrap();
        assert!(killed.success());
        let after = log_lines(&server, 2);
        assert_eq!(
            after[0],
            format!("worker {victim} killed by signal 9, starting another")
        );
        assert!(after[1].ends_with(" started"), "{after:?}");
        text += &format!(
            "$ kill -9 [PID]\n{}\n{}\n",
            workbook_tests::redact(&after[0]),
            workbook_tests::redact(&after[1])
        );
        server.stop();
    });
    shown("ch04-log-worker-start", &patched::redact_ports(&text));
}

#[test]
fn ch04_answer_with_pid() {
    let Some(bin) = solution("ch04-answer-with-pid") else {
        return;
    };
    let mut text = String::new();
    with_binaries(&bin, || {
        let server = Server::start("stage04_accept", &["0"]);
        let answer = String::from_utf8(exchange(server.port, &get_request("/"))).unwrap();
        let log = server.next_line().unwrap();
        server.stop_cleanly();
        let pid = log.split(' ').nth(1).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert_eq!(body, format!("Hello from worker {pid}!\n"));
        let length = format!("Content-Length: {}\r\n", body.len());
        assert!(format!("{head}\r\n").contains(&length), "{answer}");
        let answer = answer.replace(&format!("worker {pid}!"), "worker [PID]!");
        text += &workbook_tests::shown(answer.as_bytes());
        text += &format!(
            "(Content-Length: {} counts the body with the real pid)\n",
            body.len()
        );
    });
    let digits_free: String = text
        .lines()
        .map(|line| match line.strip_prefix("(Content-Length: ") {
            Some(_) => "(Content-Length counts the body, real pid and all)".to_owned(),
            None if line.starts_with("Content-Length: ") => "Content-Length: [N]\\r\\n".to_owned(),
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    shown("ch04-answer-with-pid", &format!("{digits_free}\n"));
}

// Chapter 5

/// Each request on a connection of its own, reported as the stage tests
/// report a corpus: the request, `--`, the answer.
fn answers(server: &Server, cases: &[(&str, &[u8])]) -> String {
    let mut text = String::new();
    for (name, request) in cases {
        let answer = exchange(server.port, request);
        text += &format!(
            "## {name}\n{}--\n{}\n",
            shown_request(request),
            shown_bytes(&answer)
        );
    }
    text
}

/// The status line of an answer.
fn status_line(answer: &[u8]) -> String {
    let line = answer.split(|&b| b == b'\r').next().unwrap_or_default();
    String::from_utf8_lossy(line).into_owned()
}

#[test]
fn ch05_bare_lf() {
    let Some(bin) = solution("ch05-bare-lf") else {
        return;
    };
    let text = with_binaries(&bin, || {
        let server = Server::start("stage05_parse", &["0"]);
        let mut text = answers(
            &server,
            &[
                (
                    "every line ended by a bare LF",
                    b"GET /lf HTTP/1.1\nHost: x\nAccept: */*\n\n",
                ),
                ("CRLF and LF mixed", b"GET /mixed HTTP/1.1\r\nHost: x\n\r\n"),
            ],
        );
        for (request, status) in [
            (&b"GET /lf HTTP/1.1\nHost: x\n\n"[..], "HTTP/1.1 200 OK"),
            (b"GET / HTTP/1.0\n\n", "HTTP/1.1 200 OK"),
            (b"GET /\nHost: x\n\n", "HTTP/1.1 400 Bad Request"),
            (
                b"GET / HTTP/1.1\nHost: x\nNo colon\n\n",
                "HTTP/1.1 400 Bad Request",
            ),
            (
                b"GET / HTTP/1.1\rHost: x\r\n\r\n",
                "HTTP/1.1 400 Bad Request",
            ),
            (
                b"GET / HTTP/1.1\nHost: x\n \n\n",
                "HTTP/1.1 400 Bad Request",
            ),
        ] {
            let answer = exchange(server.port, request);
            assert_eq!(status_line(&answer), status, "{}", shown_bytes(request));
            // The same request, one byte at a time, gets the same answer.
            assert_eq!(send_byte_by_byte(server.port, request), answer);
            text += &format!("{}-- {status}\n", shown_request(request));
        }
        server.stop_cleanly();
        text
    });
    assert!(text.contains("target: /lf\\n"), "{text}");
    shown("ch05-bare-lf", &text);
}

#[test]
fn ch05_refuse_transfer_encoding() {
    let Some(bin) = solution("ch05-refuse-transfer-encoding") else {
        return;
    };
    let text = with_binaries(&bin, || {
        let server = Server::start("stage05_parse", &["0"]);
        let text = answers(
            &server,
            &[(
                "chunked content",
                b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            )],
        );
        let both = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
        assert_eq!(
            status_line(&exchange(server.port, both)),
            "HTTP/1.1 501 Not Implemented"
        );
        let log = server.stop_cleanly();
        format!("{text}log: {}\n", workbook_tests::redact(&log[0]))
    });
    assert!(text.contains("HTTP/1.1 501 Not Implemented"), "{text}");
    shown(
        "ch05-refuse-transfer-encoding",
        &patched::redact_ports(&text),
    );
}

#[test]
fn ch05_field_limit() {
    let Some(bin) = solution("ch05-field-limit") else {
        return;
    };
    let request = |fields: usize| {
        let mut request = String::from("GET / HTTP/1.1\r\nHost: x\r\n");
        for i in 1..fields {
            request += &format!("X-Field-{i}: {i}\r\n");
        }
        request + "\r\n"
    };
    let text = with_binaries(&bin, || {
        let server = Server::start("stage05_parse", &["0"]);
        let mut text = String::new();
        for fields in [32, 33] {
            let answer = exchange(server.port, request(fields).as_bytes());
            text += &format!("{fields} fields -- {}\n", status_line(&answer));
        }
        server.stop_cleanly();
        text
    });
    assert_eq!(
        text,
        "32 fields -- HTTP/1.1 200 OK\n33 fields -- HTTP/1.1 431 Request Header Fields Too Large\n"
    );
    shown("ch05-field-limit", &text);
}

#[test]
fn ch05_head_without_body() {
    let Some(bin) = solution("ch05-head-without-body") else {
        return;
    };
    let text = with_binaries(&bin, || {
        let server = Server::start("stage05_parse", &["0"]);
        let text = answers(
            &server,
            &[
                ("HEAD", b"HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n"),
                ("the same as GET", b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"),
                ("a HEAD refused", b"HEAD /hello HTTP/1.1\r\n\r\n"),
            ],
        );
        server.stop_cleanly();
        text
    });
    // Each HEAD answer ends with its head; each length is the body's a GET
    // gets (the echo's first line says HEAD rather than GET: one byte more).
    let heads: Vec<&str> = text.split("## ").skip(1).collect();
    assert!(
        heads[0].ends_with("Connection: close\\r\\n\n\\r\\n\n\n"),
        "{text}"
    );
    assert!(heads[0].contains("Content-Length: 62\\r\\n"), "{text}");
    assert!(heads[1].contains("Content-Length: 61\\r\\n"), "{text}");
    assert!(
        heads[2].ends_with("Connection: close\\r\\n\n\\r\\n\n\n"),
        "{text}"
    );
    shown("ch05-head-without-body", &text);
}

// Chapter 6

#[test]
fn ch06_options() {
    let Some(bin) = solution("ch06-options") else {
        return;
    };
    let text = with_binaries(&bin, || {
        let server = Server::start("stage06_respond", &["0"]);
        let mut text = answers(
            &server,
            &[
                ("the server", b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"),
                ("a page", b"OPTIONS /echo HTTP/1.1\r\nHost: x\r\n\r\n"),
            ],
        );
        for (request, status) in [
            (
                &b"OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n"[..],
                "HTTP/1.1 200 OK",
            ),
            (
                b"OPTIONS /missing HTTP/1.1\r\nHost: x\r\n\r\n",
                "HTTP/1.1 404 Not Found",
            ),
            (
                b"GET * HTTP/1.1\r\nHost: x\r\n\r\n",
                "HTTP/1.1 400 Bad Request",
            ),
            (
                b"OPTIONS *x HTTP/1.1\r\nHost: x\r\n\r\n",
                "HTTP/1.1 400 Bad Request",
            ),
            (
                b"POST / HTTP/1.1\r\nHost: x\r\n\r\n",
                "HTTP/1.1 405 Method Not Allowed",
            ),
        ] {
            let answer = exchange(server.port, request);
            assert_eq!(status_line(&answer), status, "{}", shown_bytes(request));
            if status.ends_with("405 Method Not Allowed") {
                let answer = String::from_utf8_lossy(&answer);
                assert!(
                    answer.contains("\r\nAllow: GET, HEAD, OPTIONS\r\n"),
                    "{answer}"
                );
            }
            text += &format!("{}-- {status}\n", shown_request(request));
        }
        server.stop_cleanly();
        text
    });
    assert!(
        text.contains("Content-Length: 0\\r\\n\nAllow: GET, HEAD, OPTIONS\\r\\n"),
        "{text}"
    );
    shown("ch06-options", &text);
}

#[test]
fn ch06_robots_txt() {
    let Some(bin) = solution("ch06-robots-txt") else {
        return;
    };
    let text = with_binaries(&bin, || {
        let server = Server::start("stage06_respond", &["0"]);
        let text = answers(
            &server,
            &[("robots.txt", b"GET /robots.txt HTTP/1.1\r\nHost: x\r\n\r\n")],
        );
        let answer = exchange(server.port, &get_request("/"));
        assert_eq!(status_line(&answer), "HTTP/1.1 200 OK");
        server.stop_cleanly();
        text
    });
    assert!(
        text.ends_with("User-agent: *\\n\nDisallow: /echo\\n\n\n"),
        "{text}"
    );
    shown("ch06-robots-txt", &text);
}

/// Each response in `answer`, several on one connection, as its status
/// line and its `Connection` field, if any.
fn status_and_connection(answer: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(answer);
    text.split("HTTP/1.1 ")
        .skip(1)
        .map(|response| {
            let status = response.lines().next().unwrap_or_default();
            match response.lines().find(|l| l.starts_with("Connection: ")) {
                Some(connection) => format!("HTTP/1.1 {status}, {connection}"),
                None => format!("HTTP/1.1 {status}"),
            }
        })
        .collect()
}

#[test]
fn ch06_max_requests_argument() {
    use std::io::Write;
    let Some(bin) = solution("ch06-max-requests-argument") else {
        return;
    };
    let three = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(3);
    let text = with_binaries(&bin, || {
        let mut text = String::new();
        for max in ["2", "1"] {
            let server = Server::start("stage06_respond", &["0", "10", "5", max]);
            // Three requests in one write, on one connection; the client
            // does not close.
            let mut stream = workbook_tests::connect(server.port);
            stream.write_all(&three).unwrap();
            let answers = status_and_connection(&workbook_tests::answer(stream));
            text += &format!("$ stage06_respond 0 10 5 {max}\n(3 requests on one connection)\n");
            for line in &answers {
                text += &format!("{line}\n");
            }
            text += "(the server closes)\n";
            let expected = max.parse::<usize>().unwrap();
            assert_eq!(answers.len(), expected, "{answers:?}");
            assert!(
                answers[expected - 1].ends_with("Connection: close"),
                "{answers:?}"
            );
            server.stop_cleanly();
        }
        text + &runs("stage06_respond", &[&["0", "10", "5", "0"]])
    });
    assert!(text.contains("error: not a max: \"0\""), "{text}");
    shown("ch06-max-requests-argument", &text);
}

#[test]
fn ch06_number_requests() {
    use std::io::Write;
    let Some(bin) = solution("ch06-number-requests") else {
        return;
    };
    let log = with_binaries(&bin, || {
        let server = Server::start("stage06_respond", &["0"]);
        // Three requests on one connection, the last asking to close; then
        // a connection of its own.
        let mut stream = workbook_tests::connect(server.port);
        let kept = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        stream
            .write_all(
                &[
                    &kept[..],
                    b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n",
                    &get_request("/x"),
                ]
                .concat(),
            )
            .unwrap();
        workbook_tests::answer(stream);
        exchange(server.port, &get_request("/"));
        server.stop_cleanly()
    });
    let lines: Vec<String> = log
        .iter()
        .map(|line| workbook_tests::redact(line))
        .collect();
    let ends: Vec<&str> = lines
        .iter()
        .map(|l| l.rsplit(' ').next().unwrap())
        .collect();
    assert_eq!(ends, ["#1", "#2", "#3", "#1"], "{lines:?}");
    shown(
        "ch06-number-requests",
        &patched::redact_ports(&format!("{}\n", lines.join("\n"))),
    );
}

// Chapter 7

/// A request with `method` and `target`, and `content` after it if any.
fn request_with(method: &str, target: &str, content: Option<&[u8]>) -> Vec<u8> {
    let mut request = format!("{method} {target} HTTP/1.1\r\nHost: x\r\n").into_bytes();
    if let Some(content) = content {
        request.extend(format!("Content-Length: {}\r\n", content.len()).bytes());
    }
    request.extend(b"\r\n");
    request.extend(content.unwrap_or_default());
    request
}

/// The body of an answer: what follows its head.
fn body_of(answer: &[u8]) -> String {
    let at = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    String::from_utf8_lossy(&answer[at + 4..]).into_owned()
}

#[test]
fn ch07_put_and_delete() {
    use std::io::Write;
    let Some(bin) = solution("ch07-put-and-delete") else {
        return;
    };
    let scratch = Site::new("ch07-put");
    std::fs::create_dir(scratch.root().join("docs")).unwrap();
    std::fs::write(scratch.root().join("docs/old.txt"), "old\n").unwrap();
    std::os::unix::fs::symlink("/", scratch.root().join("everything")).unwrap();
    std::os::unix::fs::symlink("../secret.txt", scratch.root().join("secret.txt")).unwrap();
    let text = with_binaries(&bin, || {
        let server = scratch.start(&["1"]);
        let port = server.port;
        let mut text = String::new();
        let mut step = |method: &str, target: &str, content: Option<&[u8]>, status: &str| {
            let answer = exchange(port, &request_with(method, target, content));
            assert_eq!(status_line(&answer), status, "{method} {target}");
            let sent = content.map_or(String::new(), |c| format!(" ({} bytes)", c.len()));
            text += &format!("{method} {target}{sent} -- {status}");
            if method == "GET" && status.ends_with("200 OK") {
                text += &format!(": {:?}", body_of(&answer));
            }
            text.push('\n');
        };
        step(
            "PUT",
            "/notes.txt",
            Some(b"first\n"),
            "HTTP/1.1 201 Created",
        );
        step("GET", "/notes.txt", None, "HTTP/1.1 200 OK");
        step(
            "PUT",
            "/notes.txt",
            Some(b"second\n"),
            "HTTP/1.1 204 No Content",
        );
        step("GET", "/notes.txt", None, "HTTP/1.1 200 OK");
        step(
            "PUT",
            "/docs/old.txt",
            Some(b"new\n"),
            "HTTP/1.1 204 No Content",
        );
        step("DELETE", "/notes.txt", None, "HTTP/1.1 204 No Content");
        step("GET", "/notes.txt", None, "HTTP/1.1 404 Not Found");
        step("DELETE", "/notes.txt", None, "HTTP/1.1 404 Not Found");
        let x = Some(&b"x"[..]);
        for (target, status) in [
            ("/%2e%2e/secret.txt", "HTTP/1.1 403 Forbidden"),
            ("/.hidden", "HTTP/1.1 403 Forbidden"),
            ("/everything/tmp/x", "HTTP/1.1 403 Forbidden"),
            ("/secret.txt", "HTTP/1.1 403 Forbidden"),
            ("/docs", "HTTP/1.1 409 Conflict"),
            ("/docs/old.txt/x", "HTTP/1.1 409 Conflict"),
            ("/missing/x", "HTTP/1.1 404 Not Found"),
        ] {
            step("PUT", target, x, status);
        }
        for (target, status) in [
            ("/secret.txt", "HTTP/1.1 403 Forbidden"),
            ("/docs/", "HTTP/1.1 409 Conflict"),
        ] {
            step("DELETE", target, None, status);
        }
        // The content in two pieces, the second after a pause: the first
        // came with the head, the rest the server reads from the socket.
        let big = vec![b'a'; 300 * 1024];
        let request = request_with("PUT", "/big.txt", Some(&big));
        let mut stream = workbook_tests::connect(port);
        stream.write_all(&request[..1000]).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        stream.write_all(&request[1000..]).unwrap();
        let answer = workbook_tests::answer(stream);
        assert_eq!(status_line(&answer), "HTTP/1.1 201 Created");
        assert_eq!(std::fs::read(scratch.root().join("big.txt")).unwrap(), big);
        text += "PUT /big.txt (307200 bytes, in two writes) -- HTTP/1.1 201 Created\n";
        // Over the limit, and no length at all.
        let head = "PUT /huge.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n";
        let answer = send_cut_short(port, head.as_bytes());
        assert_eq!(status_line(&answer), "HTTP/1.1 413 Content Too Large");
        text += "PUT /huge.txt (Content-Length: 1048577) -- HTTP/1.1 413 Content Too Large\n";
        let answer = exchange(port, b"PUT /nolength.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(status_line(&answer), "HTTP/1.1 411 Length Required");
        text += "PUT /nolength.txt (no Content-Length) -- HTTP/1.1 411 Length Required\n";
        // A client that announces 100 bytes, sends 10 and leaves.
        let head = "PUT /cut.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789";
        let answer = send_cut_short(port, head.as_bytes());
        assert_eq!(status_line(&answer), "HTTP/1.1 400 Bad Request");
        text +=
            "PUT /cut.txt (10 of 100 bytes, then the client leaves) -- HTTP/1.1 400 Bad Request\n";
        // And one that sends 10 and waits: TIMEOUT is 1 second.
        let mut stream = workbook_tests::connect(port);
        stream.write_all(head.as_bytes()).unwrap();
        let answer = workbook_tests::answer(stream);
        assert_eq!(status_line(&answer), "HTTP/1.1 408 Request Timeout");
        text += "PUT /cut.txt (10 of 100 bytes, then nothing) -- HTTP/1.1 408 Request Timeout\n";
        server.stop_cleanly();
        text
    });
    // Nothing left behind: no temporary file, nothing outside the root.
    let names = scratch.names();
    assert_eq!(
        names,
        [
            "big.txt",
            "docs/",
            "docs/old.txt",
            "everything@",
            "secret.txt@"
        ],
        "{names:?}"
    );
    assert_eq!(
        std::fs::read_to_string(scratch.root().join("docs/old.txt")).unwrap(),
        "new\n"
    );
    assert_eq!(
        std::fs::read_to_string(scratch.top().join("secret.txt")).unwrap(),
        "secret\n"
    );
    let text = format!(
        "{text}(what www holds after, read by the test: / ends a folder, @ a link)\n{}\n",
        names.join("\n")
    );
    shown("ch07-put-and-delete", &text);
}

#[test]
fn ch07_index_htm() {
    let Some(bin) = solution("ch07-index-htm") else {
        return;
    };
    let scratch = Site::new("ch07-index-htm");
    scratch.file("old/index.htm", "<h1>old site</h1>\n");
    scratch.file("both/index.htm", "<h1>htm</h1>\n");
    scratch.file("both/index.html", "<h1>html</h1>\n");
    let text = with_binaries(&bin, || {
        let server = scratch.start(&[]);
        let mut text = String::new();
        for target in ["/old/", "/both/"] {
            let answer = exchange(server.port, &get_request(target));
            text += &format!("## GET {target}\n{}\n", shown_bytes(&answer));
        }
        // A folder with neither still gets its listing.
        let answer = exchange(server.port, &get_request("/"));
        assert!(String::from_utf8_lossy(&answer).contains("<title>Index of /</title>"));
        server.stop_cleanly();
        text
    });
    assert!(text.contains("<h1>old site</h1>"), "{text}");
    assert!(
        text.contains("<h1>html</h1>") && !text.contains("<h1>htm</h1>"),
        "{text}"
    );
    shown("ch07-index-htm", &text);
}

#[test]
fn ch07_webmanifest() {
    let Some(bin) = solution("ch07-webmanifest") else {
        return;
    };
    let scratch = Site::new("ch07-webmanifest");
    scratch.file("app.webmanifest", "{\"name\": \"Workbook\"}\n");
    let text = with_binaries(&bin, || {
        let server = scratch.start(&[]);
        let answer = exchange(server.port, &get_request("/app.webmanifest"));
        server.stop_cleanly();
        format!("## GET /app.webmanifest\n{}", shown_bytes(&answer))
    });
    assert!(
        text.contains("Content-Type: application/manifest+json\\r\\n"),
        "{text}"
    );
    shown("ch07-webmanifest", &text);
}

#[test]
fn ch07_no_listing() {
    let Some(bin) = solution("ch07-no-listing") else {
        return;
    };
    let scratch = Site::new("ch07-no-listing");
    scratch.file("site/index.html", "<h1>site</h1>\n");
    scratch.file("notes.txt", "notes\n");
    let text = with_binaries(&bin, || {
        let mut text = String::new();
        for flag in [&[][..], &["--no-listing"]] {
            let root = scratch.root().display().to_string();
            let mut args: Vec<&str> = flag.to_vec();
            args.extend(["0", root.as_str()]);
            let server = Server::start("stage07_files", &args);
            text += &format!("$ {}\n", command_line("stage07_files", &args));
            for target in ["/", "/site/", "/notes.txt"] {
                let answer = exchange(server.port, &get_request(target));
                text += &format!("GET {target} -- {}\n", status_line(&answer));
            }
            server.stop_cleanly();
        }
        text + &runs("stage07_files", &[&["--no-listing", "--no-listing"]])
    });
    let runs: Vec<&str> = text.split("$ ").collect();
    assert!(runs[1].contains("GET / -- HTTP/1.1 200 OK"), "{text}");
    assert!(
        runs[2].contains("GET / -- HTTP/1.1 403 Forbidden"),
        "{text}"
    );
    assert!(runs[2].contains("GET /site/ -- HTTP/1.1 200 OK"), "{text}");
    assert!(
        runs[3].contains("error: not a port: \"--no-listing\""),
        "{text}"
    );
    shown(
        "ch07-no-listing",
        &text.replace(&scratch.root().display().to_string(), "www"),
    );
}

#[test]
fn ch07_listing_sizes() {
    let Some(bin) = solution("ch07-listing-sizes") else {
        return;
    };
    let scratch = Site::new("ch07-listing-sizes");
    scratch.file("a.txt", "hello");
    scratch.file("b.bin", "b".repeat(1234));
    scratch.file("sub/c.txt", "c");
    std::os::unix::fs::symlink("a.txt", scratch.root().join("link")).unwrap();
    let text = with_binaries(&bin, || {
        let server = scratch.start(&[]);
        let answer = exchange(server.port, &get_request("/"));
        server.stop_cleanly();
        String::from_utf8_lossy(&answer)
            .lines()
            .filter(|line| line.starts_with("<li>"))
            .map(|line| format!("{line}\n"))
            .collect::<String>()
    });
    assert!(
        text.contains("\">a.txt</a> <small>5 bytes</small></li>\n"),
        "{text}"
    );
    assert!(
        text.contains("\">b.bin</a> <small>1234 bytes</small>"),
        "{text}"
    );
    assert!(text.contains("\">sub/</a></li>\n"), "{text}");
    assert!(!text.contains("link"), "{text}");
    shown(
        "ch07-listing-sizes",
        &format!(
            "(GET / on a folder of a.txt, b.bin, sub/ and a link; the list of the page)\n{text}"
        ),
    );
}

// The inventory

/// Every patch of `kind` is named (`"NAME"`) by a test in `test_file`, and
/// included by a page of the book.
fn every_patch_is_tested_and_shown(kind: &str, test_file: &str) {
    let tests = std::fs::read_to_string(workspace_root().join("tests").join(test_file)).unwrap();
    let pages: String = std::fs::read_dir(workspace_root().join("book/src"))
        .unwrap()
        .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path()).ok())
        .collect();
    let mut missing = Vec::new();
    for name in patched::names(kind) {
        if !tests.contains(&format!("\"{name}\"")) {
            missing.push(format!("{name}: no test in tests/{test_file} names it"));
        }
        let include = format!("{{{{#include ../patches/{kind}/{name}.patch}}}}");
        if !pages.contains(&include) {
            missing.push(format!("{name}: no page of book/src has {include}"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_solution_is_tested_and_shown() {
    every_patch_is_tested_and_shown(patched::EXERCISES, "exercises.rs");
}

/// Every chapter, 1 to 7 (issue 12).
#[test]
fn every_chapter_has_at_least_three_exercises() {
    let names = patched::names(patched::EXERCISES);
    for chapter in 1..=7 {
        let prefix = format!("ch{chapter:02}-");
        let count = names.iter().filter(|n| n.starts_with(&prefix)).count();
        assert!(count >= 3, "chapter {chapter} has {count} exercises");
    }
}

/// Every output file of the pages belongs to a patch that still exists:
/// NAME.txt, or NAME.TARGET.txt for a run on another target
/// (tools/exercises/cross-build writes those).
#[test]
fn no_stale_outputs() {
    for kind in [patched::EXERCISES, patched::BREAKS] {
        let names = patched::names(kind);
        let dir = workspace_root().join("book/src").join(kind);
        for entry in std::fs::read_dir(&dir).into_iter().flatten() {
            let file = entry.unwrap().file_name().into_string().unwrap();
            let name = file.split('.').next().unwrap_or(&file);
            assert!(
                names.iter().any(|n| n == name),
                "book/src/{kind}/{file} has no patch"
            );
        }
    }
}
