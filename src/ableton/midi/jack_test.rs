//! MIDI over a real MIDI system: a private JACK server with the dummy driver (no sound card
//! needed), livegate's virtual port, and a midir input in this process listening to it.
//! Needs `jackd` (package `jackd2`) and a build with `--features jack`.

use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use midir::{Ignore, MidiInput};
use serde_json::json;

use super::{call_midi_tool, MidiConfig, MidiOut, PortKind, SeqNote};

/// A `jackd` child process, killed when dropped (also when the test panics).
struct JackServer {
    child: Child,
}

impl Drop for JackServer {
    fn drop(&mut self) {
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

/// Starts `jackd -n <unique name> -r -d dummy` and points this process at it.
fn start_jack() -> JackServer {
    let name = format!("livegate-midi-test-{}", std::process::id());
    // jackd's output goes to a file, shown if it does not come up.
    let log = tempfile::NamedTempFile::new().unwrap();
    let child = Command::new("jackd")
        .args(["-n", &name, "-r", "-d", "dummy", "-r", "48000", "-p", "256"])
        .stdin(Stdio::null())
        .stdout(log.reopen().unwrap())
        .stderr(log.reopen().unwrap())
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
    // Only this test in the process talks to JACK; midir reads this when it opens a client.
    std::env::set_var("JACK_DEFAULT_SERVER", &name);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("jackd exited early with {status}:\n{}", output());
        }
        if jack_lsp_answers(&name) {
            return server;
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
