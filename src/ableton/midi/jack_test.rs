//! MIDI over a real MIDI system: a private JACK server with the dummy driver (no sound card
//! needed), livegate's virtual port, and a midir input in this process listening to it.
//! Needs `jackd` (package `jackd2`) and a build with `--features jack`.

use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use midir::{Ignore, MidiInput};
use serde_json::json;

use super::{call_midi_tool, MidiConfig, MidiOut, PortKind, SeqNote};

/// A `jackd` child process, stopped when dropped (also when the test panics).
struct JackServer {
    child: Child,
}

impl Drop for JackServer {
    fn drop(&mut self) {
        // SIGTERM lets jackd take its entry out of JACK's machine-wide server registry
        // (/dev/shm/jack-shm-registry, 8 entries); SIGKILL would leave it there for good.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn jack_lsp_answers(name: &str) -> bool {
    Command::new("jack_lsp")
        .env("JACK_DEFAULT_SERVER", name)
        .env("JACK_NO_START_SERVER", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// How a `jackd` start went.
enum Started {
    Up(JackServer),
    /// Another live server already has this name (a parallel test run).
    NameTaken,
}

/// Starts `jackd -n <name> -r -d dummy` and points this process at it.
///
/// Server names come from a small fixed set rather than one per process: JACK frees a dead
/// server's registry entry only when a new server registers the same name, so unique names
/// would fill the registry after a few interrupted runs.
fn start_jack() -> JackServer {
    for slot in 0..4 {
        let name = format!("livegate-midi-test-{slot}");
        if let Started::Up(server) = start_jack_named(&name) {
            return server;
        }
    }
    panic!("four JACK servers named livegate-midi-test-0..3 are already running; stop them");
}

fn start_jack_named(name: &str) -> Started {
    // stdout and stderr share one file description, so neither overwrites the other.
    let log = tempfile::NamedTempFile::new().unwrap();
    let stdout = log.reopen().unwrap();
    let stderr = stdout.try_clone().unwrap();
    let child = Command::new("jackd")
        .args(["-n", name, "-r", "-d", "dummy", "-r", "48000", "-p", "256"])
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn();
    let child = match child {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "`jackd` is not installed; the MIDI test needs a JACK server: \
             install the `jackd2` package (and `libjack-jackd2-dev` to build), \
             e.g. `sudo apt-get install jackd2 libjack-jackd2-dev`"
        ),
        Err(e) => panic!("starting jackd failed: {e}"),
    };
    let mut server = JackServer { child };
    let output = || std::fs::read_to_string(log.path()).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(status)) = server.child.try_wait() {
            let output = output();
            if output.contains("already active") && !output.contains("Too many servers") {
                return Started::NameTaken;
            }
            let hint = if output.contains("Too many servers") {
                "\nJACK's server registry is full of servers that were killed without \
                 cleaning up; with no JACK server running, `rm /dev/shm/jack-shm-registry` \
                 clears it (scripts/test.sh runs this test with a private /dev/shm)"
            } else {
                ""
            };
            panic!("jackd exited early with {status}:\n{output}{hint}");
        }
        if jack_lsp_answers(name) {
            // Only this test in the process talks to JACK; midir reads this when it opens a
            // client.
            std::env::set_var("JACK_DEFAULT_SERVER", name);
            return Started::Up(server);
        }
        assert!(
            Instant::now() < deadline,
            "jackd `{name}` did not answer jack_lsp within 20 s:\n{}",
            output()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn next(rx: &mpsc::Receiver<Vec<u8>>) -> Vec<u8> {
    rx.recv_timeout(Duration::from_secs(10))
        .expect("no MIDI message arrived within 10 s")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jack_midi_reaches_a_listening_input() {
    // Without a server the error says how to start one.
    std::env::set_var("JACK_DEFAULT_SERVER", "livegate-no-such-server");
    let e = MidiOut::open(&MidiConfig::default()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("no MIDI system available: no JACK server is running"),
        "{e}"
    );

    let _server = start_jack();

    let out = MidiOut::open(&MidiConfig::default()).unwrap();
    assert_eq!(out.describe(), "virtual port `livegate`");

    // A second client that listens to livegate's port, the way Live would.
    let mut input = MidiInput::new("livegate-test-listener").unwrap();
    input.ignore(Ignore::None);
    let port = input
        .ports()
        .into_iter()
        .find(|p| input.port_name(p).is_ok_and(|n| n == "livegate:livegate"))
        .expect("livegate's virtual port is listed by JACK");
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let _listening = input
        .connect(
            &port,
            "in",
            move |_, bytes, _| {
                let _ = tx.send(bytes.to_vec());
            },
            (),
        )
        .unwrap();

    out.send_note(3, 60, 100, Duration::from_millis(20))
        .await
        .unwrap();
    assert_eq!(next(&rx), [0x93, 60, 100]);
    assert_eq!(next(&rx), [0x83, 60, 0]);
    out.send_cc(1, 74, 127).unwrap();
    assert_eq!(next(&rx), [0xB1, 74, 127]);
    out.send_program_change(15, 42).unwrap();
    assert_eq!(next(&rx), [0xCF, 42]);
    let notes = [
        SeqNote {
            note: 48,
            velocity: 90,
            start_beats: 0.0,
            duration_beats: 0.1,
        },
        SeqNote {
            note: 55,
            velocity: 80,
            start_beats: 0.1,
            duration_beats: 0.1,
        },
    ];
    out.send_sequence(0, &notes, 300.0).await.unwrap();
    for expected in [[0x90, 48, 90], [0x80, 48, 0], [0x90, 55, 80], [0x80, 55, 0]] {
        assert_eq!(next(&rx), expected);
    }
    let result = call_midi_tool(&out, "send_midi_cc", &json!({"controller": 1, "value": 2}))
        .await
        .unwrap();
    assert!(result.get("isError").is_none(), "{result}");
    assert_eq!(next(&rx), [0xB0, 1, 2]);

    // The fallback: connect to an existing port by part of its name.
    let sink = MidiInput::new("fallback-sink").unwrap();
    let (tx2, rx2) = mpsc::channel::<Vec<u8>>();
    let _sink = {
        use midir::os::unix::VirtualInput;
        sink.create_virtual(
            "Fallback Port",
            move |_, bytes, _| {
                let _ = tx2.send(bytes.to_vec());
            },
            (),
        )
        .unwrap()
    };
    let config = MidiConfig {
        port_name: "livegate-fallback".into(),
        fallback_port: Some("fallback port".into()),
    };
    let output = midir::MidiOutput::new("livegate-fallback").unwrap();
    let fallback = MidiOut::open_existing(
        output,
        &config,
        "this platform cannot create virtual ports".into(),
    )
    .unwrap();
    assert_eq!(
        fallback.port(),
        &PortKind::Existing {
            name: "fallback-sink:Fallback Port".into(),
            reason: "this platform cannot create virtual ports".into()
        }
    );
    fallback.send_program_change(0, 7).unwrap();
    assert_eq!(next(&rx2), [0xC0, 7]);
    let output = midir::MidiOutput::new("livegate-fallback-2").unwrap();
    let missing = MidiConfig {
        fallback_port: Some("no such port".into()),
        ..config
    };
    let e = MidiOut::open_existing(output, &missing, "why".into()).unwrap_err();
    assert!(
        e.to_string()
            .contains("no output port's name contains `no such port`"),
        "{e}"
    );
}
