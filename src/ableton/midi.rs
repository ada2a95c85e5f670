//! MIDI out for the Ableton tools: notes, control changes, program changes and short note
//! sequences sent to Live through a MIDI port.
//!
//! [`MidiOut`] opens a *virtual* output port (named `livegate` by default) that Live lists as
//! a MIDI input, where the platform can create one (Linux with ALSA or JACK, macOS). Where it
//! cannot (Windows, or when creating the port fails), it connects to an existing output port
//! whose name contains [`MidiConfig::fallback_port`], e.g. a loopMIDI port, and says so in
//! the log and in [`MidiOut::describe`]. Every value is checked against its MIDI range before
//! anything is sent, and errors name the bad argument and its valid range. The MCP tools built
//! on this (`send_midi_note`, `send_midi_cc`, `send_program_change`, `send_midi_sequence`)
//! live in [`tools`].
//!
//! A midir output connection is `Send` on every backend midir supports (midir checks this in
//! its own tests), but not `Sync`, so it sits behind a mutex; sending only writes to the
//! backend's queue, so the lock is held for microseconds and never across an `await`.

pub mod tools;

#[cfg(all(test, feature = "jack"))]
mod jack_test;

pub use tools::{call_midi_tool, midi_tool_definitions, MIDI_TOOL_NAMES};

use std::sync::Arc;
use std::time::Duration;

use midir::{MidiOutput, MidiOutputConnection};
use parking_lot::Mutex;

/// The most notes one [`MidiOut::send_sequence`] call may play.
pub const MAX_SEQUENCE_NOTES: usize = 256;
/// The longest a sequence (or a single note) may last.
pub const MAX_DURATION: Duration = Duration::from_secs(60);
/// The slowest tempo a sequence may use, in beats per minute.
pub const MIN_BPM: f64 = 20.0;
/// The fastest tempo a sequence may use, in beats per minute.
pub const MAX_BPM: f64 = 999.0;

/// Where MIDI goes: the virtual port to create, and the existing port to use instead where
/// virtual ports are not available.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MidiConfig {
    /// Name of the virtual output port (and of the MIDI client); Live shows it as an input.
    pub port_name: String,
    /// Part of the name (case-insensitive) of an existing output port to use where a virtual
    /// port cannot be created, e.g. `"loopMIDI"` on Windows.
    pub fallback_port: Option<String>,
}

impl Default for MidiConfig {
    fn default() -> Self {
        Self {
            port_name: "livegate".to_string(),
            fallback_port: None,
        }
    }
}

/// What went wrong with a MIDI call: a bad argument, or the MIDI system.
#[derive(Debug, thiserror::Error)]
pub enum MidiError {
    /// A number outside its MIDI range.
    #[error("`{argument}` is {value}; it must be {range}")]
    OutOfRange {
        /// The argument's name, e.g. `note` or `notes[3].velocity`.
        argument: String,
        /// The value given, as text.
        value: String,
        /// The valid range, in words, e.g. `an integer 0-127`.
        range: String,
    },
    /// An argument missing or of the wrong type.
    #[error("`{argument}`: {reason}")]
    InvalidArgument {
        /// The argument's name.
        argument: String,
        /// What is wrong with it, and what is expected.
        reason: String,
    },
    /// A sequence with more notes than [`MAX_SEQUENCE_NOTES`].
    #[error("the sequence has {count} notes; at most {max} are allowed per call (split it up)")]
    TooManyNotes {
        /// Notes given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A sequence or note longer than [`MAX_DURATION`].
    #[error("{what} lasts {seconds:.2} s; at most {max} s are allowed per call", max = MAX_DURATION.as_secs())]
    TooLong {
        /// What is too long (`the sequence`, `the note`).
        what: &'static str,
        /// How long it would last.
        seconds: f64,
    },
    /// No MIDI system could be reached at all.
    #[error("no MIDI system available: {reason}")]
    NoMidiSystem {
        /// Why, and what to do about it.
        reason: String,
    },
    /// The MIDI system works but no usable output port could be opened.
    #[error("cannot open a MIDI output port: {reason}")]
    NoPort {
        /// Why, and what to do about it.
        reason: String,
    },
    /// The backend refused a message.
    #[error("sending MIDI bytes {bytes:02X?} to {port} failed: {reason}")]
    Send {
        /// The message.
        bytes: Vec<u8>,
        /// The port, as [`MidiOut::describe`] says it.
        port: String,
        /// The backend's reason.
        reason: String,
    },
}

/// Which port a [`MidiOut`] sends to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortKind {
    /// A virtual port livegate created.
    Virtual {
        /// Its name.
        name: String,
    },
    /// An existing port, used because a virtual one was not possible.
    Existing {
        /// Its full name.
        name: String,
        /// Why no virtual port was created.
        reason: String,
    },
}

/// One note of a sequence for [`MidiOut::send_sequence`], timed in beats.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeqNote {
    /// MIDI note number, 0-127 (60 is middle C, shown as C3 in Live).
    pub note: u8,
    /// Note-on velocity, 1-127.
    pub velocity: u8,
    /// When the note starts, in beats from the start of the sequence (0 or more).
    pub start_beats: f64,
    /// How long the note lasts, in beats (more than 0).
    pub duration_beats: f64,
}

/// Where the bytes go: a midir connection, or (in tests) a recorder.
enum Sink {
    Midir(MidiOutputConnection),
    #[cfg(test)]
    Recorder(Vec<(tokio::time::Instant, Vec<u8>)>),
}

/// A MIDI output to Live. Cheap to clone; clones share the port.
#[derive(Clone)]
pub struct MidiOut {
    sink: Arc<Mutex<Sink>>,
    port: PortKind,
}

impl std::fmt::Debug for MidiOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MidiOut")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl MidiOut {
    /// Opens the virtual port `config.port_name`, or where that is not possible the existing
    /// port matching `config.fallback_port`. This talks to the MIDI system synchronously
    /// (milliseconds); from async code that must not block, call it in `spawn_blocking`.
    pub fn open(config: &MidiConfig) -> Result<Self, MidiError> {
        if config.port_name.trim().is_empty() {
            return Err(MidiError::InvalidArgument {
                argument: "port_name".into(),
                reason: "the MIDI port name must not be empty".into(),
            });
        }
        // Without the ALSA sequencer, ALSA itself prints an error to stderr; say it first.
        #[cfg(all(target_os = "linux", not(feature = "jack")))]
        if !std::path::Path::new("/dev/snd/seq").exists() {
            return Err(MidiError::NoMidiSystem {
                reason: no_midi_system_hint("/dev/snd/seq does not exist"),
            });
        }
        let output = MidiOutput::new(&config.port_name).map_err(|e| MidiError::NoMidiSystem {
            reason: no_midi_system_hint(&e.to_string()),
        })?;

        #[cfg(not(windows))]
        let attempt = {
            use midir::os::unix::VirtualOutput;
            output.create_virtual(&config.port_name).map_err(|e| {
                let reason = format!(
                    "creating the virtual port `{}` failed: {e}",
                    config.port_name
                );
                tracing::warn!(%reason, "MIDI out: no virtual port");
                (e.into_inner(), reason)
            })
        };
        #[cfg(windows)]
        let attempt: Result<MidiOutputConnection, (MidiOutput, String)> = Err((
            output,
            "this platform cannot create virtual ports".to_string(),
        ));

        match attempt {
            Ok(connection) => {
                tracing::info!(port = %config.port_name, "MIDI out: created virtual port");
                Ok(Self {
                    sink: Arc::new(Mutex::new(Sink::Midir(connection))),
                    port: PortKind::Virtual {
                        name: config.port_name.clone(),
                    },
                })
            }
            Err((output, reason)) => {
                tracing::debug!(fallback = ?config.fallback_port, "MIDI out: trying an existing port");
                Self::open_existing(output, config, reason)
            }
        }
    }

    /// Connects to the first existing output port whose name contains
    /// `config.fallback_port` (case-insensitive); `reason` says why no virtual port was made.
    fn open_existing(
        output: MidiOutput,
        config: &MidiConfig,
        reason: String,
    ) -> Result<Self, MidiError> {
        let ports = output.ports();
        let names: Vec<String> = ports
            .iter()
            .map(|p| output.port_name(p).unwrap_or_else(|e| format!("<{e}>")))
            .collect();
        let available = if names.is_empty() {
            "none".to_string()
        } else {
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let Some(wanted) = config.fallback_port.as_deref().filter(|w| !w.is_empty()) else {
            return Err(MidiError::NoPort {
                reason: format!(
                    "{reason}, and no fallback port is configured; create a port with a virtual \
                     MIDI driver (e.g. loopMIDI on Windows) and set `fallback_port` to part of \
                     its name (output ports now: {available})"
                ),
            });
        };
        let needle = wanted.to_lowercase();
        let Some((port, name)) = ports
            .iter()
            .zip(&names)
            .find(|(_, name)| name.to_lowercase().contains(&needle))
        else {
            return Err(MidiError::NoPort {
                reason: format!(
                    "{reason}, and no output port's name contains `{wanted}` (output ports now: \
                     {available}); check that the port exists, or change `fallback_port`"
                ),
            });
        };
        let name = name.clone();
        let connection =
            output
                .connect(port, &config.port_name)
                .map_err(|e| MidiError::NoPort {
                    reason: format!(
                        "{reason}, and connecting to the existing port `{name}` failed: {e}"
                    ),
                })?;
        tracing::info!(port = %name, %reason, "MIDI out: using an existing port instead of a virtual one");
        Ok(Self {
            sink: Arc::new(Mutex::new(Sink::Midir(connection))),
            port: PortKind::Existing { name, reason },
        })
    }

    /// A MIDI out that records what it sends, with the time, instead of sending it.
    #[cfg(test)]
    pub(crate) fn recorder() -> Self {
        Self {
            sink: Arc::new(Mutex::new(Sink::Recorder(Vec::new()))),
            port: PortKind::Virtual {
                name: "recorder".into(),
            },
        }
    }

    /// What a recorder got so far.
    #[cfg(test)]
    pub(crate) fn recorded(&self) -> Vec<(tokio::time::Instant, Vec<u8>)> {
        match &*self.sink.lock() {
            Sink::Recorder(r) => r.clone(),
            Sink::Midir(_) => Vec::new(),
        }
    }

    /// Which port this sends to.
    pub fn port(&self) -> &PortKind {
        &self.port
    }

    /// The port in words: "virtual port `livegate`" or "existing port `X` (why)".
    pub fn describe(&self) -> String {
        match &self.port {
            PortKind::Virtual { name } => format!("virtual port `{name}`"),
            PortKind::Existing { name, reason } => format!("existing port `{name}` ({reason})"),
        }
    }

    fn send_raw(&self, bytes: &[u8]) -> Result<(), MidiError> {
        tracing::trace!(bytes = ?bytes, "MIDI out");
        let mut sink = self.sink.lock();
        match &mut *sink {
            Sink::Midir(connection) => connection.send(bytes).map_err(|e| MidiError::Send {
                bytes: bytes.to_vec(),
                port: self.describe(),
                reason: e.to_string(),
            }),
            #[cfg(test)]
            Sink::Recorder(r) => {
                r.push((tokio::time::Instant::now(), bytes.to_vec()));
                Ok(())
            }
        }
    }

    /// Sends a note on (channel 0-15, note 0-127, velocity 1-127).
    pub fn note_on(&self, channel: u8, note: u8, velocity: u8) -> Result<(), MidiError> {
        self.send_raw(&note_on_message(channel, note, velocity)?)
    }

    /// Sends a note off (channel 0-15, note 0-127), with release velocity 0.
    pub fn note_off(&self, channel: u8, note: u8) -> Result<(), MidiError> {
        self.send_raw(&note_off_message(channel, note)?)
    }

    /// Plays one note: note on, waits `duration` (at most [`MAX_DURATION`]), note off. If the
    /// future is dropped while waiting, the note off is still sent.
    pub async fn send_note(
        &self,
        channel: u8,
        note: u8,
        velocity: u8,
        duration: Duration,
    ) -> Result<(), MidiError> {
        let on = note_on_message(channel, note, velocity)?;
        if duration > MAX_DURATION {
            return Err(MidiError::TooLong {
                what: "the note",
                seconds: duration.as_secs_f64(),
            });
        }
        let mut sounding = Sounding::new(self, channel);
        self.send_raw(&on)?;
        sounding.started(note);
        tokio::time::sleep(duration).await;
        sounding.stop(note)
    }

    /// Sends a control change (channel 0-15, controller 0-127, value 0-127).
    pub fn send_cc(&self, channel: u8, controller: u8, value: u8) -> Result<(), MidiError> {
        self.send_raw(&cc_message(channel, controller, value)?)
    }

    /// Sends a program change (channel 0-15, program 0-127).
    pub fn send_program_change(&self, channel: u8, program: u8) -> Result<(), MidiError> {
        self.send_raw(&program_change_message(channel, program)?)
    }

    /// Plays a short sequence on one channel at `bpm` and returns how long it lasted. At most
    /// [`MAX_SEQUENCE_NOTES`] notes and [`MAX_DURATION`] in all; everything is checked before
    /// the first note sounds. If the future is dropped midway, sounding notes are stopped.
    pub async fn send_sequence(
        &self,
        channel: u8,
        notes: &[SeqNote],
        bpm: f64,
    ) -> Result<Duration, MidiError> {
        let plan = plan_sequence(channel, notes, bpm)?;
        let length = plan.last().map(|e| e.at).unwrap_or_default();
        let start = tokio::time::Instant::now();
        let mut sounding = Sounding::new(self, channel);
        for event in &plan {
            tokio::time::sleep_until(start + event.at).await;
            if event.on {
                self.send_raw(&event.bytes)?;
                sounding.started(event.bytes[1]);
            } else {
                sounding.stop(event.bytes[1])?;
            }
        }
        Ok(length)
    }
}

/// Notes sounding on one channel; the ones still sounding when this is dropped (a cancelled
/// future, an error) get their note off then, so no note hangs in Live.
struct Sounding<'a> {
    out: &'a MidiOut,
    channel: u8,
    counts: [u16; 128],
}

impl<'a> Sounding<'a> {
    fn new(out: &'a MidiOut, channel: u8) -> Self {
        Self {
            out,
            channel,
            counts: [0; 128],
        }
    }

    fn started(&mut self, note: u8) {
        if let Some(c) = self.counts.get_mut(usize::from(note)) {
            *c = c.saturating_add(1);
        }
    }

    fn stop(&mut self, note: u8) -> Result<(), MidiError> {
        if let Some(c) = self.counts.get_mut(usize::from(note)) {
            *c = c.saturating_sub(1);
        }
        self.out.note_off(self.channel, note)
    }
}

impl Drop for Sounding<'_> {
    fn drop(&mut self) {
        for (note, count) in (0u8..).zip(self.counts) {
            if count > 0 {
                tracing::debug!(
                    note,
                    channel = self.channel,
                    "MIDI out: stopping a note left sounding"
                );
                if let Err(e) = self.out.note_off(self.channel, note) {
                    tracing::warn!(error = %e, "MIDI out: could not stop a note left sounding");
                }
            }
        }
    }
}

/// One timed message of a planned sequence.
#[derive(Debug, Clone, PartialEq)]
struct SeqEvent {
    at: Duration,
    on: bool,
    bytes: [u8; 3],
}

/// Checks a sequence and turns it into messages sorted by time (note offs before note ons at
/// the same instant, so a repeated note is re-struck).
fn plan_sequence(channel: u8, notes: &[SeqNote], bpm: f64) -> Result<Vec<SeqEvent>, MidiError> {
    check_channel(channel)?;
    if !bpm.is_finite() || !(MIN_BPM..=MAX_BPM).contains(&bpm) {
        return Err(MidiError::OutOfRange {
            argument: "bpm".into(),
            value: bpm.to_string(),
            range: format!("a number {MIN_BPM}-{MAX_BPM}"),
        });
    }
    if notes.is_empty() {
        return Err(MidiError::InvalidArgument {
            argument: "notes".into(),
            reason: "the sequence needs at least one note".into(),
        });
    }
    if notes.len() > MAX_SEQUENCE_NOTES {
        return Err(MidiError::TooManyNotes {
            count: notes.len(),
            max: MAX_SEQUENCE_NOTES,
        });
    }
    let seconds_per_beat = 60.0 / bpm;
    let mut events = Vec::with_capacity(notes.len() * 2);
    let mut end_seconds: f64 = 0.0;
    for (i, n) in notes.iter().enumerate() {
        let arg = |field: &str| format!("notes[{i}].{field}");
        let on = note_on_message(channel, n.note, n.velocity).map_err(|e| match e {
            MidiError::OutOfRange {
                argument,
                value,
                range,
            } => MidiError::OutOfRange {
                argument: arg(&argument),
                value,
                range,
            },
            other => other,
        })?;
        if !n.start_beats.is_finite() || n.start_beats < 0.0 {
            return Err(MidiError::OutOfRange {
                argument: arg("start"),
                value: n.start_beats.to_string(),
                range: "a number of beats, 0 or more".into(),
            });
        }
        if !n.duration_beats.is_finite() || n.duration_beats <= 0.0 {
            return Err(MidiError::OutOfRange {
                argument: arg("duration"),
                value: n.duration_beats.to_string(),
                range: "a number of beats, more than 0".into(),
            });
        }
        let start = n.start_beats * seconds_per_beat;
        let end = (n.start_beats + n.duration_beats) * seconds_per_beat;
        end_seconds = end_seconds.max(end);
        if end_seconds > MAX_DURATION.as_secs_f64() {
            return Err(MidiError::TooLong {
                what: "the sequence",
                seconds: end_seconds,
            });
        }
        events.push(SeqEvent {
            at: Duration::from_secs_f64(start),
            on: true,
            bytes: on,
        });
        events.push(SeqEvent {
            at: Duration::from_secs_f64(end),
            on: false,
            bytes: note_off_message(channel, n.note)?,
        });
    }
    // Stable: notes given in order keep their order.
    events.sort_by_key(|e| (e.at, e.on));
    Ok(events)
}

/// Checks that `value` is in `lo..=hi` and returns it as a byte; the error names `argument`.
pub fn check_range(argument: &str, value: i64, lo: u8, hi: u8) -> Result<u8, MidiError> {
    match u8::try_from(value) {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        _ => Err(MidiError::OutOfRange {
            argument: argument.to_string(),
            value: value.to_string(),
            range: format!("an integer {lo}-{hi}"),
        }),
    }
}

fn check_channel(channel: u8) -> Result<u8, MidiError> {
    check_range("channel", channel.into(), 0, 15)
}

/// The three bytes of a note on; velocity 0 is refused (it would mean note off).
pub fn note_on_message(channel: u8, note: u8, velocity: u8) -> Result<[u8; 3], MidiError> {
    Ok([
        0x90 | check_channel(channel)?,
        check_range("note", note.into(), 0, 127)?,
        check_range("velocity", velocity.into(), 1, 127)?,
    ])
}

/// The three bytes of a note off (release velocity 0).
pub fn note_off_message(channel: u8, note: u8) -> Result<[u8; 3], MidiError> {
    Ok([
        0x80 | check_channel(channel)?,
        check_range("note", note.into(), 0, 127)?,
        0,
    ])
}

/// The three bytes of a control change.
pub fn cc_message(channel: u8, controller: u8, value: u8) -> Result<[u8; 3], MidiError> {
    Ok([
        0xB0 | check_channel(channel)?,
        check_range("controller", controller.into(), 0, 127)?,
        check_range("value", value.into(), 0, 127)?,
    ])
}

/// The two bytes of a program change.
pub fn program_change_message(channel: u8, program: u8) -> Result<[u8; 2], MidiError> {
    Ok([
        0xC0 | check_channel(channel)?,
        check_range("program", program.into(), 0, 127)?,
    ])
}

/// Why the MIDI system could not be opened, and what to do, for this build and platform.
fn no_midi_system_hint(backend_error: &str) -> String {
    #[cfg(feature = "jack")]
    let hint = "no JACK server is running (this livegate is built with midir's JACK backend); \
                start one, e.g. `jackd -r -d dummy -r 48000 -p 256` on a machine without a \
                sound card, and pick a named server with JACK_DEFAULT_SERVER"
        .to_string();
    #[cfg(all(target_os = "linux", not(feature = "jack")))]
    let hint = if std::path::Path::new("/dev/snd/seq").exists() {
        "the ALSA sequencer /dev/snd/seq could not be opened; check that this user may use it \
         (usually membership of the `audio` group)"
            .to_string()
    } else {
        "ALSA sequencer not found (/dev/snd/seq); load it with `sudo modprobe snd-seq`, or on \
         Linux without a sound card run a JACK server (`jackd -r -d dummy -r 48000 -p 256`) \
         and build livegate with `--features jack`"
            .to_string()
    };
    #[cfg(not(any(feature = "jack", target_os = "linux")))]
    let hint = "the operating system's MIDI service could not be started".to_string();
    format!("{hint} (backend said: {backend_error})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range_error(e: MidiError) -> (String, String) {
        match e {
            MidiError::OutOfRange {
                argument, range, ..
            } => (argument, range),
            other => panic!("expected OutOfRange, got {other}"),
        }
    }

    #[test]
    fn messages_have_the_right_bytes() {
        assert_eq!(note_on_message(0, 60, 100).unwrap(), [0x90, 60, 100]);
        assert_eq!(note_on_message(15, 127, 1).unwrap(), [0x9F, 127, 1]);
        assert_eq!(note_off_message(9, 36).unwrap(), [0x89, 36, 0]);
        assert_eq!(cc_message(1, 7, 0).unwrap(), [0xB1, 7, 0]);
        assert_eq!(program_change_message(2, 5).unwrap(), [0xC2, 5]);
    }

    #[test]
    fn out_of_range_values_name_the_argument_and_the_range() {
        let (arg, range) = range_error(note_on_message(16, 60, 100).unwrap_err());
        assert_eq!(
            (arg.as_str(), range.as_str()),
            ("channel", "an integer 0-15")
        );
        let (arg, _) = range_error(note_on_message(0, 128, 100).unwrap_err());
        assert_eq!(arg, "note");
        let e = note_on_message(0, 60, 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`velocity` is 0; it must be an integer 1-127"
        );
        let (arg, _) = range_error(note_on_message(0, 60, 128).unwrap_err());
        assert_eq!(arg, "velocity");
        let (arg, _) = range_error(cc_message(0, 200, 1).unwrap_err());
        assert_eq!(arg, "controller");
        let (arg, _) = range_error(cc_message(0, 1, 128).unwrap_err());
        assert_eq!(arg, "value");
        let (arg, _) = range_error(program_change_message(0, 128).unwrap_err());
        assert_eq!(arg, "program");
        assert!(check_range("note", -1, 0, 127).is_err());
        assert!(check_range("note", 300, 0, 127).is_err());
        assert_eq!(check_range("note", 127, 0, 127).unwrap(), 127);
    }

    fn seq(note: u8, start: f64, duration: f64) -> SeqNote {
        SeqNote {
            note,
            velocity: 90,
            start_beats: start,
            duration_beats: duration,
        }
    }

    #[test]
    fn a_sequence_is_planned_in_time_order_with_offs_first() {
        // 120 bpm: a beat is 500 ms. The same note twice in a row is re-struck.
        let plan = plan_sequence(
            3,
            &[seq(62, 1.0, 1.0), seq(60, 0.0, 1.0), seq(60, 1.0, 0.5)],
            120.0,
        )
        .unwrap();
        let got: Vec<(u128, [u8; 3])> = plan.iter().map(|e| (e.at.as_millis(), e.bytes)).collect();
        assert_eq!(
            got,
            vec![
                (0, [0x93, 60, 90]),
                (500, [0x83, 60, 0]),
                (500, [0x93, 62, 90]),
                (500, [0x93, 60, 90]),
                (750, [0x83, 60, 0]),
                (1000, [0x83, 62, 0]),
            ]
        );
    }

    #[test]
    fn sequences_are_bounded_and_checked() {
        let too_many = vec![seq(60, 0.0, 0.1); MAX_SEQUENCE_NOTES + 1];
        assert!(matches!(
            plan_sequence(0, &too_many, 120.0),
            Err(MidiError::TooManyNotes {
                count: 257,
                max: 256
            })
        ));
        assert!(plan_sequence(0, &vec![seq(60, 0.0, 0.1); MAX_SEQUENCE_NOTES], 120.0).is_ok());
        // 121 beats at 120 bpm is 60.5 s.
        let e = plan_sequence(0, &[seq(60, 120.0, 1.0)], 120.0).unwrap_err();
        assert!(matches!(e, MidiError::TooLong { .. }), "{e}");
        assert!(e.to_string().contains("at most 60 s"), "{e}");
        assert!(plan_sequence(0, &[seq(60, 119.0, 1.0)], 120.0).is_ok());
        assert!(matches!(
            plan_sequence(0, &[], 120.0),
            Err(MidiError::InvalidArgument { .. })
        ));
        let (arg, _) = range_error(plan_sequence(0, &[seq(60, 0.0, 1.0)], 5.0).unwrap_err());
        assert_eq!(arg, "bpm");
        let (arg, _) = range_error(plan_sequence(0, &[seq(60, 0.0, 1.0)], f64::NAN).unwrap_err());
        assert_eq!(arg, "bpm");
        let (arg, _) = range_error(
            plan_sequence(0, &[seq(60, 0.0, 1.0), seq(130, 0.0, 1.0)], 120.0).unwrap_err(),
        );
        assert_eq!(arg, "notes[1].note");
        let (arg, _) = range_error(plan_sequence(0, &[seq(60, -1.0, 1.0)], 120.0).unwrap_err());
        assert_eq!(arg, "notes[0].start");
        let (arg, _) = range_error(plan_sequence(0, &[seq(60, 0.0, 0.0)], 120.0).unwrap_err());
        assert_eq!(arg, "notes[0].duration");
        let mut quiet = seq(60, 0.0, 1.0);
        quiet.velocity = 0;
        let (arg, _) = range_error(plan_sequence(0, &[quiet], 120.0).unwrap_err());
        assert_eq!(arg, "notes[0].velocity");
        let (arg, _) = range_error(plan_sequence(16, &[seq(60, 0.0, 1.0)], 120.0).unwrap_err());
        assert_eq!(arg, "channel");
    }

    /// The recorded messages with their time since `start` in ms.
    fn timed(out: &MidiOut, start: tokio::time::Instant) -> Vec<(u128, Vec<u8>)> {
        out.recorded()
            .into_iter()
            .map(|(t, b)| ((t - start).as_millis(), b))
            .collect()
    }

    /// `got` happened no earlier than `ms` and not much later (the machine may be busy).
    fn about(got: u128, ms: u128) -> bool {
        got >= ms && got < ms + 2000
    }

    #[tokio::test]
    async fn send_note_waits_then_sends_note_off() {
        let out = MidiOut::recorder();
        let start = tokio::time::Instant::now();
        out.send_note(1, 64, 80, Duration::from_millis(60))
            .await
            .unwrap();
        let got = timed(&out, start);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1, vec![0x91, 64, 80]);
        assert_eq!(got[1].1, vec![0x81, 64, 0]);
        assert!(about(got[1].0 - got[0].0, 60), "{got:?}");
        assert!(out
            .send_note(0, 60, 100, MAX_DURATION + Duration::from_millis(1))
            .await
            .is_err());
        assert!(out.send_note(0, 60, 0, Duration::ZERO).await.is_err());
        assert_eq!(out.recorded().len(), 2, "nothing sent for refused notes");
    }

    #[tokio::test]
    async fn a_cancelled_note_or_sequence_stops_its_sounding_notes() {
        let out = MidiOut::recorder();
        let note = tokio::time::timeout(
            Duration::from_millis(300),
            out.send_note(2, 50, 60, Duration::from_secs(30)),
        )
        .await;
        assert!(note.is_err(), "timed out midway");
        // 60 bpm: the third note would start after 3 s, long after the timeout.
        let notes = [seq(60, 0.0, 4.0), seq(64, 0.0, 4.0), seq(67, 3.0, 1.0)];
        let played = tokio::time::timeout(
            Duration::from_millis(500),
            out.send_sequence(0, &notes, 60.0),
        )
        .await;
        assert!(played.is_err(), "timed out midway");
        let bytes: Vec<Vec<u8>> = out.recorded().into_iter().map(|(_, b)| b).collect();
        assert_eq!(
            bytes,
            vec![
                vec![0x92, 50, 60],
                vec![0x82, 50, 0],
                vec![0x90, 60, 90],
                vec![0x90, 64, 90],
                vec![0x80, 60, 0],
                vec![0x80, 64, 0]
            ]
        );
    }

    #[tokio::test]
    async fn a_sequence_plays_in_time() {
        let out = MidiOut::recorder();
        let start = tokio::time::Instant::now();
        // 600 bpm: a beat is 100 ms.
        let length = out
            .send_sequence(0, &[seq(60, 0.0, 1.0), seq(67, 2.0, 0.5)], 600.0)
            .await
            .unwrap();
        assert_eq!(length, Duration::from_millis(250));
        let got = timed(&out, start);
        let bytes: Vec<Vec<u8>> = got.iter().map(|(_, b)| b.clone()).collect();
        assert_eq!(
            bytes,
            vec![
                vec![0x90, 60, 90],
                vec![0x80, 60, 0],
                vec![0x90, 67, 90],
                vec![0x80, 67, 0],
            ]
        );
        for ((ms, _), expected) in got.iter().zip([0, 100, 200, 250]) {
            assert!(about(*ms, expected), "{got:?}");
        }
    }

    #[test]
    fn midi_out_can_be_shared_between_tasks() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<MidiOut>();
    }

    #[test]
    fn describe_says_which_port() {
        let mut out = MidiOut::recorder();
        assert_eq!(out.describe(), "virtual port `recorder`");
        out.port = PortKind::Existing {
            name: "loopMIDI Port 1".into(),
            reason: "this platform cannot create virtual ports".into(),
        };
        assert_eq!(
            out.describe(),
            "existing port `loopMIDI Port 1` (this platform cannot create virtual ports)"
        );
    }

    #[cfg(all(target_os = "linux", not(feature = "jack")))]
    #[test]
    fn without_an_alsa_sequencer_opening_says_what_to_do() {
        if std::path::Path::new("/dev/snd/seq").exists() {
            return; // a machine with ALSA MIDI: opening may well work
        }
        let e = MidiOut::open(&MidiConfig::default()).unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("no MIDI system available: ALSA sequencer not found (/dev/snd/seq)"),
            "{text}"
        );
        assert!(text.contains("--features jack"), "{text}");
    }

    #[test]
    fn the_no_midi_hint_says_what_to_do() {
        let hint = no_midi_system_hint("boom");
        #[cfg(any(feature = "jack", target_os = "linux"))]
        assert!(hint.contains("jackd -r -d dummy"), "{hint}");
        assert!(hint.ends_with("(backend said: boom)"), "{hint}");
    }
}
