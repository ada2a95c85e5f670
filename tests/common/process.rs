//! Real `livegate` child processes for tests: the binary with a test-friendly environment,
//! its output lines readable with a deadline, and `livegate serve` in a given home.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The `livegate` binary, run from the repository root with info logs.
pub fn livegate() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_livegate"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd.env("RUST_LOG", "livegate=info");
    cmd
}

/// Lines a running child prints, readable with a deadline.
pub struct Lines {
    rx: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Lines {
    pub fn of(child: &mut Child) -> Self {
        let (tx, rx) = mpsc::channel();
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Self {
            rx,
            seen: Vec::new(),
        }
    }

    /// Waits for a line containing `needle`; panics with everything seen after 30 s.
    pub fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.rx.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no line with {needle:?}; saw:\n{}", self.seen.join("\n"));
    }
}

pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `livegate serve` on a free port with `home` as LIVEGATE_HOME; killed when the guard drops.
pub fn serve_in(home: &Path) -> (Lines, KillOnDrop) {
    let mut child = livegate()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("LIVEGATE_HOME", home)
        .env_remove("LIVEGATE_POLICY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("livegate serve starts");
    let lines = Lines::of(&mut child);
    (lines, KillOnDrop(child))
}
