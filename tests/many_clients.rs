//! Many clients at once, against the pool of stages 06 and 07: clients
//! that hold a connection and send nothing, or send their request a byte
//! at a time, must not keep a new client from being served while workers
//! are free; at the cap, a new client waits in the listening socket's
//! queue until a worker frees up; nothing leaks; and a worker that runs
//! out of descriptors waits and tries again instead of dying. Behaviour
//! only: no test here asserts how long anything took.

use std::io::Write;
use std::net::TcpStream;
use workbook_tests::{Server, connect, exchange, get_request, source, workspace_root};

/// The stages with the larger pool, and the arguments that start each on
/// any free port with a receive timeout long enough that no silent client
/// is timed out by it during a test.
fn servers() -> Vec<(&'static str, Vec<String>)> {
    let www = workspace_root().join("www").display().to_string();
    vec![
        ("stage06_respond", vec!["0".into(), "600".into()]),
        ("stage07_files", vec!["0".into(), www, "600".into()]),
    ]
}

fn start(stage: &str, args: &[String]) -> Server {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Server::start(stage, &args)
}

/// `count` connections that send nothing at all.
fn silent(port: u16, count: usize) -> Vec<TcpStream> {
    (0..count).map(|_| connect(port)).collect()
}

/// `count` connections that have sent the start of a request head, one
/// that never ends.
fn unfinished(port: u16, count: usize) -> Vec<TcpStream> {
    (0..count)
        .map(|_| {
            let mut stream = connect(port);
            stream
                .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
                .expect("write the start of a head");
            stream
        })
        .collect()
}

fn assert_ok(stage: &str, answer: &[u8]) {
    assert!(
        answer.starts_with(b"HTTP/1.1 200 "),
        "{stage}: {:?}",
        String::from_utf8_lossy(&answer[..answer.len().min(200)])
    );
}

#[test]
fn a_new_client_is_served_while_many_connections_stay_silent_or_unfinished() {
    // Stage 04's pool had 16 workers: 16 silent connections froze it.
    let (silent_count, slow_count) = (64, 16);
    for (stage, args) in servers() {
        assert!(silent_count + slow_count < source::workers(stage));
        let server = start(stage, &args);
        let held = silent(server.port, silent_count);
        let slow = unfinished(server.port, slow_count);
        for _ in 0..3 {
            assert_ok(stage, &exchange(server.port, &get_request("/")));
        }
        drop((held, slow));
        server.stop_cleanly();
    }
}

/// The length of the accept queue of the listening socket on `port`, as
/// /proc/net/tcp shows it: for a socket in state LISTEN (0A), the field
/// rx_queue counts the connections that wait to be accepted.
#[cfg(target_os = "linux")]
fn accept_queue(port: u16) -> Option<usize> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    let local = format!(":{port:04X}");
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let listening = fields.get(1)?.ends_with(&local) && fields.get(3) == Some(&"0A");
        let queues = fields.get(4)?;
        let rx = queues.split(':').nth(1)?;
        listening.then(|| usize::from_str_radix(rx, 16).ok())?
    })
}

#[test]
fn at_the_cap_a_new_client_waits_and_is_served_when_a_worker_frees_up() {
    for (stage, args) in servers() {
        let server = start(stage, &args);
        let workers = source::workers(stage);
        // One unfinished head per worker: every worker is then busy. (A
        // connection that has sent nothing would not do it at once on
        // Linux, where `defer_accept` keeps it in the kernel for a second.)
        let mut held = unfinished(server.port, workers);
        let mut waiting = connect(server.port);
        waiting
            .write_all(&get_request("/"))
            .expect("send the request");
        // Linux shows the client in the queue; elsewhere only the outcome
        // is checked.
        #[cfg(target_os = "linux")]
        assert!(
            workbook_tests::eventually(|| accept_queue(server.port) == Some(1)),
            "{stage}: the accept queue holds {:?}, not the one waiting client",
            accept_queue(server.port)
        );
        // A held client leaves: its worker reads the end of file, answers
        // 400, closes, and takes the next connection in the queue.
        drop(held.remove(0));
        assert_ok(stage, &workbook_tests::answer(waiting));
        drop(held);
        server.stop_cleanly();
    }
}

/// After 64 silent and 16 unfinished connections come and go, each worker
/// holds what it held before, no child is a zombie, and stopping the
/// server leaves no process. Reads /proc: Linux only.
#[cfg(target_os = "linux")]
#[test]
fn silent_and_unfinished_connections_leave_no_descriptor_or_zombie_behind() {
    for (stage, args) in servers() {
        let server = start(stage, &args);
        workbook_tests::scenarios::leaves_no_descriptor_zombie_or_process_behind(server, |port| {
            let held = silent(port, 64);
            let slow = unfinished(port, 16);
            assert_ok(stage, &exchange(port, &get_request("/")));
            drop((held, slow));
        });
    }
}

/// A server whose workers have no descriptor left for a connection: its
/// soft RLIMIT_NOFILE is the lowest descriptor number free when it forks, so every
/// `accept` fails with EMFILE. Each worker must say so once, wait, and
/// try again, not exit (the supervisor would start another, which would
/// fail the same way, for ever); once the limit is raised, the client
/// that waited in the queue is served. Linux only, with `prlimit`
/// (util-linux), and native only: under qemu or darwin-run the emulator's
/// own descriptors count against the limit too.
#[cfg(target_os = "linux")]
#[test]
fn a_worker_out_of_descriptors_waits_and_tries_again() {
    use std::process::Command;
    use workbook_tests::proc;
    if Command::new("prlimit").arg("--version").output().is_err() {
        eprintln!(
            "test a_worker_out_of_descriptors_waits_and_tries_again ... skipped: \
             prlimit (util-linux) is not installed"
        );
        return;
    }
    if std::env::var_os("WORKBOOK_RUNNER").is_some() {
        eprintln!(
            "test a_worker_out_of_descriptors_waits_and_tries_again ... skipped: \
             it runs the server natively only (WORKBOOK_RUNNER is set)"
        );
        return;
    }
    for (stage, args) in servers() {
        // The kernel gives the lowest free number, and refuses one at or
        // above the limit: a limit equal to the lowest number free when
        // the server forks leaves its workers none. It holds its standard
        // descriptors, its listening socket and, in stage 07, its
        // document root (and whatever this test inherited).
        let probe = start(stage, &args);
        let numbers: Vec<usize> = std::fs::read_dir(format!("/proc/{}/fd", probe.pid()))
            .expect("read /proc/PID/fd")
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        let open = (0..).find(|n| !numbers.contains(n)).expect("a free number");
        probe.stop_cleanly();

        let mut command = Command::new("prlimit");
        command
            .arg(format!("--nofile={open}:"))
            .arg("--")
            .arg(workbook_tests::stage_binary(stage));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let server = Server::start_command(command, stage, &args);
        let mut waiting = connect(server.port);
        waiting
            .write_all(&get_request("/"))
            .expect("send the request");
        // Long enough for each worker to fail, wait and fail again; not
        // an assertion about time.
        std::thread::sleep(std::time::Duration::from_millis(2500));
        // prlimit ran as the server's first process, which exec'd the
        // stage: its pid is the supervisor's.
        let children = proc::children(server.pid());
        assert_eq!(
            children.len(),
            source::children(stage),
            "{stage}: {children:?}"
        );
        for child in &children {
            let raised = Command::new("prlimit")
                .args(["--pid", &child.pid.to_string(), "--nofile=64:"])
                .status()
                .expect("run prlimit");
            assert!(raised.success(), "{stage}: prlimit --pid {}", child.pid);
        }
        assert_ok(stage, &workbook_tests::answer(waiting));
        // No worker may exit: it would have been restarted.
        let stopped = server.stop_checked();
        let said = stopped
            .stderr
            .lines()
            .filter(|line| {
                *line == "error: accept (trying again): too many open files (EMFILE, errno 24)"
            })
            .count();
        assert!(
            (1..=source::workers(stage)).contains(&said),
            "{stage}: each worker says it once, at most: {said} lines\n{}",
            stopped.stderr
        );
    }
}
