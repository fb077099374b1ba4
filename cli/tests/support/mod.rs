//! The real server binary and the CLI binary (built side by side by `cargo test
//! --workspace`), as child processes. Shared with the desktop app's end-to-end tests.
#![allow(dead_code)]

use serde_json::Value;
use std::env::consts::EXE_SUFFIX;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

pub const DEMO_PASSWORD: &str = "nursecare-demo";
pub const AMARA: &str = "amara.okafor@nursecare.test";
pub const CHLOE: &str = "chloe.martin@nursecare.test";

pub fn cli_bin() -> PathBuf {
    let p = match option_env!("CARGO_BIN_EXE_nursecare-cli") {
        Some(p) => PathBuf::from(p),
        // Another package's test: the binaries are beside its `deps/` folder.
        None => std::env::current_exe()
            .unwrap()
            .parent()
            .and_then(Path::parent)
            .unwrap()
            .join(format!("nursecare-cli{EXE_SUFFIX}")),
    };
    assert!(
        p.exists(),
        "{} missing: run `cargo build -p nursecare-cli` (cargo test --workspace builds it)",
        p.display()
    );
    p
}

pub fn server_bin() -> PathBuf {
    let p = cli_bin().with_file_name(format!("nursecare-server{EXE_SUFFIX}"));
    assert!(
        p.exists(),
        "{} missing: run `cargo build -p nursecare-server` (cargo test --workspace builds it)",
        p.display()
    );
    p
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The server binary with demo data, killed on drop. Its log (the access log included) goes
/// to `server.log` beside the database.
pub struct Server {
    pub port: u16,
    pub db: PathBuf,
    pub log: PathBuf,
    compat: bool,
    extra: Vec<String>,
    secret: String,
    child: Option<Child>,
}

impl Server {
    pub fn start(dir: &Path, compat: bool) -> Self {
        Self::start_with(dir, compat, &[])
    }

    /// With more flags (`--missed-after 2`).
    pub fn start_with(dir: &Path, compat: bool, extra: &[&str]) -> Self {
        let mut s = Self {
            port: free_port(),
            db: dir.join("server.db"),
            log: dir.join("server.log"),
            compat,
            extra: extra.iter().map(|a| a.to_string()).collect(),
            secret: "cli-test-secret-0123456789abcdef".into(),
            child: None,
        };
        s.restart();
        s
    }

    /// How many requests the access log holds for a route (`PATCH /video-calls/{id}/end`).
    pub fn requests(&self, method: &str, route: &str) -> usize {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let (method, route) = (format!("method={method} "), format!("route={route} "));
        log.lines()
            .filter(|l| l.contains(&method) && l.contains(&route))
            .count()
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts it again on the same port and database.
    pub fn restart(&mut self) {
        let mut cmd = Command::new(server_bin());
        cmd.args(["--bind", &format!("127.0.0.1:{}", self.port)])
            .arg("--db")
            .arg(&self.db)
            .args(["--demo", "--jwt-secret", &self.secret])
            .args(&self.extra)
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(log_file(&self.log));
        if self.compat {
            cmd.arg("--production-compat");
        }
        self.child = Some(spawn(&mut cmd));
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("server did not come up");
    }

    /// Restarts with another token secret: every token signed before is refused (an operator
    /// rotated the secret), though none has expired.
    pub fn rotate_secret(&mut self) {
        self.kill();
        self.secret = "cli-test-rotated-secret-fedcba9876543210".into();
        self.restart();
    }

    /// SIGKILL: no goodbye to anyone.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A log file to append a child process's output to.
pub fn log_file(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
}

/// The CLI with a profile directory and the file secret store.
pub struct Cli {
    pub base: String,
    pub profile: PathBuf,
}

impl Cli {
    pub fn new(base: &str, profile: &Path) -> Self {
        Self {
            base: base.to_owned(),
            profile: profile.to_path_buf(),
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(cli_bin());
        c.args(args)
            .env("NURSECARE_SERVER", &self.base)
            .env("NURSECARE_PROFILE", &self.profile)
            .env("NURSECARE_SECRET_STORE", "file")
            .env("NURSECARE_PASSWORD", DEMO_PASSWORD)
            .env("NURSECARE_CONNECT_TIMEOUT", "3")
            .env_remove("NURSECARE_LOG");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs and expects exit code `code`; answers stdout.
    pub fn expect(&self, code: i32, args: &[&str]) -> String {
        let out = self.run(args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}\nstdout: {stdout}\nstderr: {stderr}"
        );
        stdout
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.expect(0, &all)).unwrap()
    }
}

/// A CLI command left running, its JSON lines read as they come.
pub struct Running {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    pub fn spawn(cli: &Cli, args: &[&str]) -> Self {
        let mut child = cli.command(args).stdout(Stdio::piped()).spawn().unwrap();
        let out = std::io::BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufRead::lines(out).map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The next JSON line, within 30 s.
    pub fn next(&mut self) -> Value {
        let line = self
            .lines
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no line came; printed so far: {:?}", self.seen));
        self.seen.push(line.clone());
        serde_json::from_str(&line).unwrap()
    }

    /// Lines until one matches; answers it.
    pub fn until(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        loop {
            let v = self.next();
            if want(&v) {
                return v;
            }
        }
    }

    /// Waits (up to 30 s) for exit 0.
    pub fn finish(mut self) -> Vec<String> {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            while let Ok(l) = self.lines.try_recv() {
                self.seen.push(l);
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the CLI did not exit; printed: {:?}",
                self.seen
            );
            std::thread::sleep(Duration::from_millis(25));
        };
        while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(l);
        }
        assert!(status.success(), "{status}: {:?}", self.seen);
        std::mem::take(&mut self.seen)
    }

    /// [`Running::finish`], every line read as JSON.
    pub fn finish_json(self) -> Vec<Value> {
        self.finish()
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A demo server with Amara (a nurse) and Chloe (a patient) signed in on CLI profiles of
/// their own, and their conversation: the setting of the call tests.
pub struct Clinic {
    pub _dir: tempfile::TempDir,
    pub server: Server,
    pub amara: Cli,
    pub chloe: Cli,
    pub conversation: String,
}

impl Clinic {
    /// With the server's `flags`; `compat` for production's protocol.
    pub fn start(compat: bool, flags: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start_with(dir.path(), compat, flags);
        let amara = Cli::new(&server.base(), &dir.path().join("amara"));
        let chloe = Cli::new(&server.base(), &dir.path().join("chloe"));
        amara.expect(0, &["login", "--email", AMARA]);
        chloe.expect(0, &["login", "--email", CHLOE]);
        let conversation = amara.json(&["open", "3"])["id"]
            .as_i64()
            .unwrap()
            .to_string();
        Self {
            _dir: dir,
            server,
            amara,
            chloe,
            conversation,
        }
    }
}

/// Starts a child process. Under Wine, CreateProcess now and then fails with "Internal error"
/// (1359) while other tests start processes at the same moment; a later try starts it.
fn spawn(cmd: &mut Command) -> std::process::Child {
    let mut tries = 0;
    loop {
        match cmd.spawn() {
            Ok(child) => return child,
            Err(e) if tries < 5 => {
                tries += 1;
                eprintln!(
                    "starting {:?} failed ({e}); trying again",
                    cmd.get_program()
                );
                std::thread::sleep(Duration::from_millis(200 * tries));
            }
            Err(e) => panic!("cannot start {:?}: {e}", cmd.get_program()),
        }
    }
}
