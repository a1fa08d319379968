//! What every integration test needs: the stage binaries, built from the
//! current sources, and a way to run them on the target under test.
//!
//! By default the tests build the stages for this machine with the same
//! `cargo` that runs them, so a test can never pick up a stale binary or
//! another stage's. Four environment variables point the same tests at
//! another target, or make them stricter:
//!
//! | variable          | meaning                                                   |
//! |-------------------|-----------------------------------------------------------|
//! | `WORKBOOK_TARGET` | target triple; if it is not this machine's, the stages    |
//! |                   | are built for it with `tools/cross/build`                 |
//! | `WORKBOOK_RUNNER` | command that runs a binary of that target, e.g.           |
//! |                   | `qemu-aarch64` (split on spaces, the binary appended)     |
//! | `WORKBOOK_BIN_DIR`| use the binaries in this folder instead of building them  |
//! | `WORKBOOK_REQUIRE_CLIENTS` | a test that needs curl, Python or Chromium fails |
//! |                   | when it is missing, instead of being skipped             |
//!
//! For example, Linux on aarch64 under qemu:
//! `WORKBOOK_TARGET=aarch64-unknown-linux-gnu WORKBOOK_RUNNER=qemu-aarch64 cargo test`

pub mod diff;
pub mod generated;
pub mod patched;
pub mod scenarios;
pub mod site;
pub mod source;
pub mod strict;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The workspace root: the folder above this package.
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits inside the workspace")
}

/// The target the stages run on: `WORKBOOK_TARGET`, or this machine's
/// (always this machine's inside [`with_binaries`]).
pub fn target() -> String {
    if BINARIES_HERE.with_borrow(Option::is_some) {
        return HOST_TARGET.to_owned();
    }
    std::env::var("WORKBOOK_TARGET").unwrap_or_else(|_| HOST_TARGET.to_owned())
}

/// The triple this test binary was compiled for, which is the machine's own.
const HOST_TARGET: &str = if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
    "x86_64-unknown-linux-gnu"
} else if cfg!(all(target_os = "linux", target_arch = "aarch64")) {
    "aarch64-unknown-linux-gnu"
} else if cfg!(all(target_os = "macos", target_arch = "aarch64")) {
    "aarch64-apple-darwin"
} else {
    "unsupported"
};

/// The path of a stage's binary, built once per test process (or, inside
/// [`with_binaries`], the one in that folder).
pub fn stage_binary(stage: &str) -> PathBuf {
    if let Some(dir) = BINARIES_HERE.with_borrow(Clone::clone) {
        return dir.join(stage);
    }
    static DIR: OnceLock<Binaries> = OnceLock::new();
    DIR.get_or_init(Binaries::locate).path(stage)
}

thread_local! {
    /// The folder [`with_binaries`] set for this test's thread.
    static BINARIES_HERE: std::cell::RefCell<Option<PathBuf>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with every stage helper ([`stage`], [`run`], [`Server`]...)
/// taking its binaries from `dir`, host binaries run directly (no
/// `WORKBOOK_RUNNER`): how the exercise tests run a patched stage
/// ([`patched`]) with the same helpers as the stage tests.
pub fn with_binaries<R>(dir: &Path, f: impl FnOnce() -> R) -> R {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            BINARIES_HERE.set(None);
        }
    }
    BINARIES_HERE.set(Some(dir.to_owned()));
    let _reset = Reset;
    f()
}

/// Where the binaries come from: a folder given or built by the cross
/// script, or the exact files cargo reported for a native build.
enum Binaries {
    Folder(PathBuf),
    Built(Vec<PathBuf>),
}

impl Binaries {
    fn locate() -> Binaries {
        if let Ok(dir) = std::env::var("WORKBOOK_BIN_DIR") {
            return Binaries::Folder(PathBuf::from(dir));
        }
        let target = target();
        if target != HOST_TARGET {
            let script = workspace_root().join("tools/cross/build");
            let out = checked(Command::new(script).arg(&target), "tools/cross/build");
            let last_line = String::from_utf8_lossy(&out.stdout)
                .lines()
                .last()
                .map(str::to_owned);
            return Binaries::Folder(PathBuf::from(
                last_line.expect("the script prints the folder"),
            ));
        }
        Binaries::Built(build_native())
    }

    fn path(&self, stage: &str) -> PathBuf {
        let path = match self {
            Binaries::Folder(dir) => dir.join(stage),
            Binaries::Built(paths) => paths
                .iter()
                .find(|p| p.file_name().is_some_and(|name| name == stage))
                .unwrap_or_else(|| panic!("cargo built no binary named {stage}"))
                .clone(),
        };
        assert!(
            path.is_file(),
            "no binary for {stage} at {}",
            path.display()
        );
        path
    }
}

/// Builds every stage with the cargo running these tests and returns the
/// executables cargo reports, read from its JSON messages.
fn build_native() -> Vec<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut build = Command::new(cargo);
    build
        .current_dir(workspace_root())
        .args(["build", "--message-format=json-render-diagnostics"]);
    for stage in stages() {
        build.args(["-p", &stage]);
    }
    let out = checked(&mut build, "cargo build");
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .filter_map(executable_in)
        .map(PathBuf::from)
        .collect()
}

/// The value of `"executable":"..."` in one line of cargo's JSON output.
fn executable_in(line: &str) -> Option<String> {
    let rest = line.split_once(r#""executable":""#)?.1;
    Some(rest.split_once('"')?.0.replace(r"\\", r"\"))
}

/// The stage packages, found as `stageNN_name` folders in the workspace.
pub fn stages() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(workspace_root())
        .expect("the workspace root is readable")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("stage") && name.contains('_'))
        .collect();
    names.sort();
    names
}

/// Runs a command to completion, failing the test with its stderr if it fails.
fn checked(command: &mut Command, what: &str) -> Output {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The runner prefix from `WORKBOOK_RUNNER`, if any (none for the host
/// binaries of [`with_binaries`]).
fn runner() -> Vec<String> {
    if BINARIES_HERE.with_borrow(Option::is_some) {
        return Vec::new();
    }
    std::env::var("WORKBOOK_RUNNER")
        .map(|r| r.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// A command that runs `stage` with `args` on the target under test.
pub fn stage(stage: &str) -> Command {
    let binary = stage_binary(stage);
    let mut words = runner();
    words.push(binary.display().to_string());
    let mut command = Command::new(&words[0]);
    command.args(&words[1..]);
    command
}

/// `command` (a stage, or a shell that starts one) ready for assert_cmd to
/// run to completion: with an empty standard input, whose end stops a
/// server stage, and killed if it runs longer than [`PATIENCE`].
pub fn to_completion(command: Command) -> assert_cmd::Command {
    let mut command = assert_cmd::Command::from_std(command);
    command.write_stdin("").timeout(PATIENCE);
    command
}

/// [`stage`], to be run to completion (see [`to_completion`]).
pub fn run(stage_name: &str) -> assert_cmd::Command {
    to_completion(stage(stage_name))
}

/// Runs `stage_name` once for each list of arguments, with an empty
/// standard input, and reports each run as a shell would show it, for a
/// snapshot of how the stage answers bad arguments.
pub fn runs_report(stage_name: &str, arg_lists: &[&[&str]]) -> String {
    let mut report = String::new();
    for args in arg_lists {
        let out = run(stage_name).args(*args).output().unwrap();
        report += &format!("$ {stage_name} {}\n{}\n", args.join(" "), transcript(&out));
    }
    report
}

/// Like [`stage`], but started through `sh` with descriptor `fd` closed,
/// as `stage02_write hi >&-` (1) or `stage03_socket <&-` (0) do in a shell.
pub fn stage_with_closed(stage_name: &str, fd: u32, args: &[&str]) -> Command {
    let inner = stage(stage_name);
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!(r#"exec "$@" {fd}>&-"#))
        .arg("sh")
        .arg(inner.get_program())
        .args(inner.get_args())
        .args(args);
    command
}

/// A run's exit status, stdout and stderr as one readable text, the form
/// the snapshots keep.
pub fn transcript(out: &Output) -> String {
    let status = match out.status.code() {
        Some(code) => format!("exit status: {code}"),
        None => format!("killed: {:?}", out.status),
    };
    format!(
        "{status}\n--- stdout\n{}--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

// ANCHOR: server
/// How long a test waits for a server before it gives up. Only a guard
/// against hangs: an emulated target can be slow, and a passing run never
/// waits this long.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

/// A server stage running for a test: started with `PORT` 0 in a process
/// group of its own, its first line of stdout (`listening on
/// http://127.0.0.1:PORT`) already read.
///
/// Stop it with [`Server::stop`], which closes its standard input, the
/// way these servers are asked to end. If a test fails first, dropping the
/// `Server` kills its whole process group, so that no process outlives
/// the test.
pub struct Server {
    child: std::process::Child,
    /// The stage it runs.
    pub stage: String,
    /// The port the server reported.
    pub port: u16,
    /// Its first line of stdout, as printed.
    pub first_line: String,
    lines: std::sync::mpsc::Receiver<String>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

/// How a server ended: its status and what it wrote after its first line.
#[derive(Debug)]
pub struct Stopped {
    pub status: std::process::ExitStatus,
    pub stdout: Vec<String>,
    pub stderr: String,
}

impl Server {
    /// Starts `stage_name` with `args`, which should include the port
    /// (`"0"`), and waits for its first line.
    pub fn start(stage_name: &str, args: &[&str]) -> Server {
        let mut command = stage(stage_name);
        command.args(args);
        Server::spawn(command, stage_name).read_first_line(stage_name)
    }

    /// Starts `command`, a stage or a program that runs one (such as
    /// `prlimit`), with `args` and waits for the stage's first line.
    pub fn start_command(mut command: Command, stage_name: &str, args: &[&str]) -> Server {
        command.args(args);
        Server::spawn(command, stage_name).read_first_line(stage_name)
    }

    /// Starts `command` (a stage) with its standard streams piped, without
    /// waiting for anything.
    fn spawn(mut command: Command, stage_name: &str) -> Server {
        use std::io::{BufRead, Read};
        use std::os::unix::process::CommandExt;
        use std::process::Stdio;
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {stage_name}: {e}"));
        let stdout = std::io::BufReader::new(child.stdout.take().expect("piped"));
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stderr = child.stderr.take().expect("piped");
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        Server {
            child,
            stage: stage_name.to_owned(),
            port: 0,
            first_line: String::new(),
            lines,
            stderr: Some(stderr),
        }
    }

    /// Waits for the server's first line and reads its port from it.
    fn read_first_line(mut self, stage_name: &str) -> Server {
        let first = self.next_line().unwrap_or_else(|| {
            let stderr = self.stderr.take().and_then(|t| t.join().ok());
            panic!("{stage_name} printed no first line; stderr: {stderr:?}")
        });
        self.port = first
            .strip_prefix("listening on http://127.0.0.1:")
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line: {first:?}"));
        self.first_line = first;
        self
    }

    /// The server's standard input, to type into.
    pub fn stdin(&mut self) -> &mut std::process::ChildStdin {
        self.child.stdin.as_mut().expect("open until stop")
    }

    /// The server's process id (with a runner, the runner's).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next line the server writes to stdout, or `None` if it ends its
    /// output or writes nothing for [`PATIENCE`].
    pub fn next_line(&self) -> Option<String> {
        self.lines.recv_timeout(PATIENCE).ok()
    }

    /// Closes the server's standard input, the way it is asked to end,
    /// without waiting: for a test of a server that does not end.
    pub fn close_stdin(&mut self) {
        drop(self.child.stdin.take());
    }

    /// The server's log lines, read as they come until `done` says they
    /// are all there, or none comes for [`PATIENCE`]. A server that keeps
    /// a connection open writes a request's log line just after the
    /// answer, so a client can see its answer end before the line is
    /// written: a test waits for the lines it checks before it stops the
    /// server.
    pub fn log_until(&self, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        let mut lines = Vec::new();
        while !done(&lines) {
            match self.next_line() {
                Some(line) => lines.push(line),
                None => break,
            }
        }
        lines
    }

    /// The next line of stdout, if one comes within `wait`: for a test
    /// that a line does not come while something holds a worker.
    pub fn line_within(&self, wait: std::time::Duration) -> Option<String> {
        self.lines.recv_timeout(wait).ok()
    }

    /// Closes the server's standard input and waits for it to exit.
    pub fn stop(mut self) -> Stopped {
        drop(self.child.stdin.take());
        self.wait()
    }

    /// Waits for the server to exit, its standard input left as it is:
    /// still open, unless [`Server::stop`] closed it.
    pub fn wait(mut self) -> Stopped {
        let deadline = std::time::Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the server did not exit within {PATIENCE:?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        // The rest of stdout, up to its end: that comes once every process
        // that could write to it is gone.
        let stdout = std::iter::from_fn(|| self.next_line()).collect();
        let stderr = self.stderr.take().and_then(|t| t.join().ok());
        Stopped {
            status,
            stdout,
            stderr: stderr.unwrap_or_default(),
        }
    }
}

impl Server {
    /// Stops the server and checks that it ended well and that no worker
    /// died along the way. Returns its log lines.
    pub fn stop_cleanly(self) -> Vec<String> {
        self.stop_checked().stdout
    }

    /// [`Server::stop_cleanly`], returning all the server printed.
    pub fn stop_checked(self) -> Stopped {
        let stage = self.stage.clone();
        let stopped = self.stop();
        assert_eq!(
            stopped.status.code(),
            Some(0),
            "{stage}: {}",
            stopped.stderr
        );
        let died: Vec<_> = stopped
            .stdout
            .iter()
            .filter(|line| line.contains("starting another"))
            .collect();
        assert!(died.is_empty(), "{stage}: no worker may die: {died:?}");
        stopped
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            // The negative pid names the process group, which the server's
            // own child processes share.
            let group = format!("-{}", self.child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = self.child.wait();
        }
    }
}
// ANCHOR_END: server

// ANCHOR: closed_descriptors
/// The scenario every server stage passes, from stage 03 on: started with
/// standard input, output or error closed (`<&-`, `>&-`, `2>&-`), in turn,
/// it behaves as it does with that descriptor on /dev/null, because it puts
/// /dev/null there before it opens anything (`fill_standard_descriptors` in
/// its sys/mod.rs). Without that, its listening socket (or stage 07's
/// document root) would take the free number, and it would read the socket
/// as its input, or write its log into it.
///
/// - 0 closed: the run is the run with an empty standard input (end of
///   input at once, as from /dev/null), port aside: the first line, then
///   end of input, which stops the server with status 0.
/// - 1 closed, then 2 closed: the server listens, is still running, lets a
///   client connect (with `answers_http`, answers `GET /` with 200, a
///   response that passes [`strict::check_response`]), and
///   stops with status 0 when its input ends, with nothing on stderr.
///
/// With 1 or 2 closed, on Linux, /proc must also show /dev/null on that
/// descriptor: nothing else tells a filled standard error from a listening
/// socket that sits on descriptor 2 and works. Elsewhere (macOS), only the
/// behaviour is checked.
pub fn with_each_standard_descriptor_closed(stage_name: &str, args: &[&str], answers_http: bool) {
    let mut all = vec!["0"];
    all.extend_from_slice(args);
    let with_empty = run(stage_name).args(&all).assert().success();
    let closed = to_completion(stage_with_closed(stage_name, 0, &all)).assert();
    assert_eq!(
        without_port(&transcript(closed.get_output())),
        without_port(&transcript(with_empty.get_output())),
        "{stage_name} with standard input closed, then empty"
    );
    for fd in [1, 2] {
        let server = start_with_closed(stage_name, fd, args);
        assert_filled_with_dev_null(&server, fd, stage_name);
        if answers_http {
            let answer = strict::exchange_checked(stage_name, server.port, &get_request("/"));
            assert!(
                answer.starts_with(b"HTTP/1.1 200 OK\r\n"),
                "{stage_name} with descriptor {fd} closed answered {}",
                shown(&answer)
            );
        } else {
            drop(connect(server.port));
        }
        let stopped = server.stop();
        let what = format!("{stage_name} with descriptor {fd} closed");
        assert_eq!(stopped.status.code(), Some(0), "{what}: {stopped:?}");
        assert_eq!(stopped.stderr, "", "{what}");
    }
}

/// A transcript with the port of its `listening on` line replaced.
fn without_port(text: &str) -> String {
    match text.split_once("127.0.0.1:") {
        Some((before, after)) => {
            let rest = after.trim_start_matches(|c: char| c.is_ascii_digit());
            format!("{before}127.0.0.1:[PORT]{rest}")
        }
        None => text.to_owned(),
    }
}

/// Starts `stage_name` with descriptor `fd` closed and returns it once it
/// listens. With standard output closed it cannot say on which port, so
/// it gets a free one from here, and another if, in the moment between,
/// something else took that one (bind fails with EADDRINUSE).
fn start_with_closed(stage_name: &str, fd: u32, args: &[&str]) -> Server {
    if fd != 1 {
        let mut all = vec!["0"];
        all.extend_from_slice(args);
        let command = stage_with_closed(stage_name, fd, &all);
        return Server::spawn(command, stage_name).read_first_line(stage_name);
    }
    for _ in 0..5 {
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|probe| probe.local_addr())
            .expect("a free port")
            .port();
        let port_text = port.to_string();
        let mut all = vec![port_text.as_str()];
        all.extend_from_slice(args);
        let mut server = Server::spawn(stage_with_closed(stage_name, fd, &all), stage_name);
        server.port = port;
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let brief = std::time::Duration::from_millis(100);
        let mut exited = false;
        let up = eventually(|| {
            exited = server.child.try_wait().ok().flatten().is_some();
            exited || std::net::TcpStream::connect_timeout(&addr, brief).is_ok()
        });
        assert!(up, "{stage_name} neither listens on {port} nor exits");
        if !exited {
            return server;
        }
        let stopped = server.stop();
        assert!(
            stopped.stderr.contains("(EADDRINUSE"),
            "{stage_name} with descriptor {fd} closed exited: {stopped:?}"
        );
    }
    panic!("{stage_name}: five free ports were all taken before it could bind one")
}

/// On Linux, descriptor `fd` of a running `server` must be /dev/null, as
/// /proc shows it. Under a runner, the process is the runner's (qemu's,
/// Python's), with the guest's descriptors. A socket or a directory there
/// is the stage's own doing, and fails the test. Anything else was already
/// open when the stage started: the runner handed it over, so the case
/// tests nothing, and says so. pyenv's `python3` is such a runner: a bash
/// script, and bash keeps a script it runs open on descriptor 2 when that
/// one was free (bash general.c, `move_to_high_fd`: "don't close stderr").
fn assert_filled_with_dev_null(server: &Server, fd: u32, stage_name: &str) {
    #[cfg(target_os = "linux")]
    {
        use std::io::Write;
        let path = format!("/proc/{}/fd/{fd}", server.pid());
        let target = std::fs::read_link(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        if target == Path::new("/dev/null") {
            return;
        }
        let own = target.to_string_lossy().starts_with("socket:")
            || std::fs::metadata(&path).is_ok_and(|m| m.is_dir());
        assert!(
            !own,
            "{stage_name}: descriptor {fd} is {}, not /dev/null",
            target.display()
        );
        let _ = writeln!(
            std::io::stderr(),
            "{stage_name} with descriptor {fd} closed: not tested, the runner started it \
             with {fd} open on {}",
            target.display()
        );
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (server, fd, stage_name);
}
// ANCHOR_END: closed_descriptors

// ANCHOR: http
/// Connects to 127.0.0.1:`port`. Timeouts on every step keep a broken
/// server from hanging the test, and each write goes out as its own TCP
/// segment, so that a request sent in pieces arrives in pieces.
pub fn connect(port: u16) -> std::net::TcpStream {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let stream = std::net::TcpStream::connect_timeout(&addr, PATIENCE).expect("connect");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

/// Checks that `stream` gets no byte of an answer within `seconds`: the
/// request waits, as a client of a server with no free worker does.
pub fn assert_no_answer_within(stream: &mut std::net::TcpStream, seconds: u64, why: &str) {
    use std::io::Read;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(seconds)))
        .unwrap();
    let err = stream.read(&mut [0u8; 1]).expect_err(why);
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{why}: {err}"
    );
    stream.set_read_timeout(None).unwrap();
}

/// Everything the server sends until it closes. A server that closes with
/// some of the request unread resets the connection instead of ending it
/// cleanly, once its answer is sent: that reset counts as the end too.
pub fn answer(mut stream: std::net::TcpStream) -> Vec<u8> {
    use std::io::Read;
    let mut answer = Vec::new();
    match stream.read_to_end(&mut answer) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("reading the answer: {e}"),
    }
    answer
}

/// Everything the server sends, which must end in a clean end of file:
/// unlike [`answer`], a reset here fails the test. From stage 05 on, a
/// server that answers before reading the whole request must still end
/// the connection with FIN, or a client could lose the answer.
pub fn answer_ending_cleanly(mut stream: std::net::TcpStream) -> Vec<u8> {
    use std::io::Read;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .unwrap_or_else(|e| panic!("reading the answer: {e}, after {} bytes", answer.len()));
    answer
}

/// Sends `request` in one write, then ends the sending side, and returns
/// the answer. The write may fail once the server has answered and closed
/// before reading everything. Ending the sending side tells a server that
/// keeps connections open (stage 06 on) that no other request follows, so
/// it closes as soon as it has answered, and the answer ends.
pub fn exchange(port: u16, request: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut stream = connect(port);
    let _ = stream.write_all(request);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    answer(stream)
}

/// Bytes as the snapshots show them: printable ASCII as it is, anything
/// else escaped, and a line break after each LF. The value of a `Date`
/// header, which changes every second, shows as `[DATE]`.
pub fn shown(bytes: &[u8]) -> String {
    let mut text = String::new();
    let mut bytes = bytes;
    while let Some(at) = bytes.windows(8).position(|w| w == b"\r\nDate: ") {
        let end = (at + 8 + 29).min(bytes.len());
        text += &shown_bytes(&bytes[..at + 8]);
        text += "[DATE]";
        bytes = &bytes[end..];
    }
    text += &shown_bytes(bytes);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// The escaping [`shown`] does, on its own.
fn shown_bytes(bytes: &[u8]) -> String {
    let mut text = String::new();
    for &byte in bytes {
        match byte {
            b'\r' => text.push_str("\\r"),
            b'\n' => text.push_str("\\n\n"),
            b'\t' => text.push_str("\\t"),
            b'\\' => text.push_str("\\\\"),
            0x20..=0x7e => text.push(byte as char),
            _ => text.push_str(&format!("\\x{byte:02x}")),
        }
    }
    text
}

/// Sends `request` one byte at a time, each in a TCP segment of its own,
/// and returns the answer: the server must put the pieces together.
pub fn send_byte_by_byte(port: u16, request: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut stream = connect(port);
    for byte in request {
        stream.write_all(&[*byte]).unwrap();
        // A pause, so that the bytes travel in separate segments.
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let _ = stream.shutdown(std::net::Shutdown::Write);
    answer(stream)
}

/// Sends `head` and then ends the connection's sending side, as a client
/// that gives up before the empty line does, and returns the answer.
pub fn send_cut_short(port: u16, head: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut stream = connect(port);
    stream.write_all(head).unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    answer(stream)
}

/// A request as a report shows it: like [`shown`], but a long one cut to
/// its first 60 bytes and its length.
pub fn shown_request(request: &[u8]) -> String {
    if request.len() > 200 {
        format!(
            "{}... ({} bytes in all)\n",
            shown(&request[..60]).trim_end(),
            request.len()
        )
    } else {
        shown(request)
    }
}

/// A server's log line with what changes from run to run replaced: the
/// clients' ports (`127.0.0.1:[PORT]`) and the pid after `worker`
/// (`worker [PID]`).
pub fn redact(line: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    for word in line.split(' ') {
        let redacted = match word.strip_prefix("127.0.0.1:") {
            Some(port) if port.parse::<u16>().is_ok() => "127.0.0.1:[PORT]".to_owned(),
            _ if words.last().is_some_and(|w| w == "worker") && word.parse::<u32>().is_ok() => {
                "[PID]".to_owned()
            }
            _ => word.to_owned(),
        };
        words.push(redacted);
    }
    words.join(" ")
}

/// Makes closing `stream` reset the connection (the client sends RST, not
/// FIN), as a client that crashes or is interrupted does. std has no
/// stable way to set `SO_LINGER`; its C library, which std links anyway,
/// does.
pub fn reset_on_close(stream: &std::net::TcpStream) {
    use std::os::fd::AsRawFd;
    // `struct linger` (the same on Linux and macOS): on, for 0 seconds.
    #[repr(C)]
    struct Linger {
        l_onoff: i32,
        l_linger: i32,
    }
    unsafe extern "C" {
        fn setsockopt(fd: i32, level: i32, name: i32, value: *const Linger, len: u32) -> i32;
    }
    // SOL_SOCKET and SO_LINGER: Linux include/uapi/asm-generic/socket.h;
    // xnu bsd/sys/socket.h.
    let (level, name) = if cfg!(target_os = "macos") {
        (0xffff, 0x80)
    } else {
        (1, 13)
    };
    let linger = Linger {
        l_onoff: 1,
        l_linger: 0,
    };
    let len = size_of::<Linger>() as u32;
    // SAFETY: setsockopt reads `len` bytes at `&linger`, on a descriptor
    // that `stream` keeps open.
    let ok = unsafe { setsockopt(stream.as_raw_fd(), level, name, &linger, len) } == 0;
    assert!(
        ok,
        "setsockopt SO_LINGER: {}",
        std::io::Error::last_os_error()
    );
}

/// A minimal HTTP/1.1 GET request for `path`.
pub fn get_request(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").into_bytes()
}
// ANCHOR_END: http

// ANCHOR: proc
/// The process table as Linux shows it in /proc: reading the processes a
/// server started, and the descriptors they hold.
#[cfg(target_os = "linux")]
pub mod proc {
    /// One process: its pid, its parent's pid and its state letter (`R`
    /// running, `S` sleeping, `Z` a zombie nobody has reaped).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Process {
        pub pid: u32,
        pub ppid: u32,
        pub state: char,
    }

    /// Reads /proc/PID/stat; `None` if the process is gone.
    pub fn process(pid: u32) -> Option<Process> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses,
        // so read from the last ')'.
        let mut rest = stat.rsplit_once(')')?.1.split_whitespace();
        let state = rest.next()?.chars().next()?;
        let ppid = rest.next()?.parse().ok()?;
        Some(Process { pid, ppid, state })
    }

    /// Every process whose parent is `parent`, zombies included.
    pub fn children(parent: u32) -> Vec<Process> {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        let mut children: Vec<Process> = entries
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
            .filter_map(process)
            .filter(|p| p.ppid == parent)
            .collect();
        children.sort_by_key(|p| p.pid);
        children
    }

    /// What each open descriptor of `pid` refers to, as /proc shows it:
    /// `socket:[1234]`, `pipe:[5678]`, `/dev/null`...
    pub fn descriptors(pid: u32) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            return Vec::new();
        };
        let mut targets: Vec<String> = entries
            .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
            .map(|target| target.display().to_string())
            .collect();
        targets.sort();
        targets
    }

    /// The sockets among [`descriptors`].
    pub fn sockets(pid: u32) -> Vec<String> {
        let mut sockets = descriptors(pid);
        sockets.retain(|target| target.starts_with("socket:"));
        sockets
    }

    /// What a server's children hold, taken before a load, to check that
    /// the load leaked nothing.
    ///
    /// Under qemu the processes are qemu's own and hold descriptors of
    /// qemu's; comparing before and after makes that irrelevant.
    pub struct Pool {
        supervisor: u32,
        /// Each child's pid and its descriptors, as first seen.
        pub before: std::collections::BTreeMap<u32, Vec<String>>,
    }

    impl Pool {
        /// Waits until the server `supervisor` has `children` child
        /// processes (its first line comes before it forks them), then
        /// records what each holds.
        pub fn of(supervisor: u32, children: usize) -> Pool {
            assert!(
                super::eventually(|| self::children(supervisor).len() == children),
                "expected {children} children of {supervisor}, found {:?}",
                self::children(supervisor)
            );
            let before = Pool::descriptors(supervisor);
            Pool { supervisor, before }
        }

        fn descriptors(supervisor: u32) -> std::collections::BTreeMap<u32, Vec<String>> {
            self::children(supervisor)
                .into_iter()
                .map(|child| (child.pid, descriptors(child.pid)))
                .collect()
        }

        /// After a load: every child is back to holding what it held
        /// before (a worker may still be closing its last connection,
        /// hence the patience), and none is a zombie.
        pub fn assert_unchanged(&self) {
            assert!(
                super::eventually(|| Pool::descriptors(self.supervisor) == self.before),
                "descriptors before: {:#?}\nafter: {:#?}",
                self.before,
                Pool::descriptors(self.supervisor)
            );
            let zombies: Vec<_> = self::children(self.supervisor)
                .into_iter()
                .filter(|child| child.state == 'Z')
                .collect();
            assert!(zombies.is_empty(), "{zombies:?}");
        }

        /// After the server stopped: none of its children is left, running
        /// or as a zombie.
        pub fn assert_gone(&self) {
            for pid in self.before.keys() {
                assert_eq!(process(*pid), None, "process {pid} outlived the server");
            }
        }
    }
}
// ANCHOR_END: proc

/// Whether `program` runs on this machine, for a test that needs a real
/// client (curl, Python, a browser). Without it the test is skipped, and
/// says so on the terminal even though cargo test captures what tests
/// print (a direct write to stderr is not captured); with
/// `WORKBOOK_REQUIRE_CLIENTS` set, as `.ci/run` sets it, the missing program
/// fails the test instead.
pub fn client_available(program: &str, test: &str) -> bool {
    use std::io::Write;
    if Command::new(program).arg("--version").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var_os("WORKBOOK_REQUIRE_CLIENTS").is_none(),
        "WORKBOOK_REQUIRE_CLIENTS is set, but {program} is not installed"
    );
    let _ = writeln!(
        std::io::stderr(),
        "test {test} ... skipped: {program} is not installed \
         (WORKBOOK_REQUIRE_CLIENTS=1 makes that a failure)"
    );
    false
}

/// Loads `url` in headless Chromium, as a person's browser would, and
/// keeps a screenshot of it in target/artifacts/`name`.png. Returns false
/// if the test was skipped for want of Chromium (see [`client_available`]).
pub fn browse(url: &str, name: &str, test: &str) -> bool {
    if !client_available("chromium", test) {
        return false;
    }
    let artifacts = workspace_root().join("target/artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let screenshot = artifacts.join(format!("{name}.png"));
    let _ = std::fs::remove_file(&screenshot);
    // A fresh profile each time: nothing cached from an earlier run.
    let profile =
        std::env::temp_dir().join(format!("workbook-chromium-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            // Without these, Chromium reaches out to Google's servers.
            "--disable-background-networking",
            "--no-first-run",
            "--window-size=1024,900",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(url)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run chromium");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        screenshot.metadata().is_ok_and(|m| m.len() > 0),
        "no screenshot of {url}"
    );
    true
}

/// Polls `condition` until it holds or [`PATIENCE`] runs out: some states
/// are reached a moment after what a test can observe, such as a worker
/// forked after the supervisor's log line.
pub fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + PATIENCE;
    while std::time::Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    false
}
