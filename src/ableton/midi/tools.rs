//! The MIDI tools as MCP sees them: their definitions (name, description, input schema,
//! annotations) and the functions that take a call's `arguments` JSON, check it, send the MIDI
//! through a [`MidiOut`] and answer with an MCP tool result: a text content block, or the same
//! with `isError: true` and the reason (bad arguments never reach the port).

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::{
    check_range, MidiError, MidiOut, SeqNote, MAX_BPM, MAX_DURATION, MAX_SEQUENCE_NOTES, MIN_BPM,
};

/// The names of the MIDI tools, in the order [`midi_tool_definitions`] lists them.
pub const MIDI_TOOL_NAMES: [&str; 4] = [
    "send_midi_note",
    "send_midi_cc",
    "send_program_change",
    "send_midi_sequence",
];

const DEFAULT_VELOCITY: i64 = 100;
const DEFAULT_DURATION_MS: i64 = 250;
const DEFAULT_BPM: f64 = 120.0;

/// The MCP tool definitions of the MIDI tools. They change what Live plays but delete nothing,
/// so they are marked neither read-only nor destructive.
pub fn midi_tool_definitions() -> Vec<Value> {
    let channel = json!({"type": "integer", "minimum": 0, "maximum": 15, "default": 0,
        "description": "MIDI channel 0-15 (Live shows these as 1-16)."});
    let annotations = |title: &str| {
        json!({"title": title, "readOnlyHint": false, "destructiveHint": false,
               "idempotentHint": false, "openWorldHint": false})
    };
    let max_ms = MAX_DURATION.as_millis();
    vec![
        json!({
            "name": "send_midi_note",
            "description": "Plays one note into Live through livegate's MIDI port: note on, \
                hold for duration_ms, note off. A track must have the port as its MIDI input \
                and be armed or monitoring to hear it. Note 60 is middle C (C3 in Live).",
            "inputSchema": {"type": "object", "additionalProperties": false,
                "properties": {
                    "channel": channel,
                    "note": {"type": "integer", "minimum": 0, "maximum": 127,
                             "description": "MIDI note number 0-127; 60 is middle C."},
                    "velocity": {"type": "integer", "minimum": 1, "maximum": 127, "default": DEFAULT_VELOCITY,
                                 "description": "How hard the note is struck, 1-127."},
                    "duration_ms": {"type": "integer", "minimum": 0, "maximum": max_ms,
                                    "default": DEFAULT_DURATION_MS,
                                    "description": "How long the note is held, in milliseconds."}
                },
                "required": ["note"]},
            "annotations": annotations("Play a MIDI note")
        }),
        json!({
            "name": "send_midi_cc",
            "description": "Sends a MIDI control change into Live through livegate's MIDI \
                port, e.g. to move a parameter mapped to that controller.",
            "inputSchema": {"type": "object", "additionalProperties": false,
                "properties": {
                    "channel": channel,
                    "controller": {"type": "integer", "minimum": 0, "maximum": 127,
                                   "description": "Controller number 0-127 (1 is the mod wheel, 7 volume, 64 sustain)."},
                    "value": {"type": "integer", "minimum": 0, "maximum": 127,
                              "description": "Controller value 0-127."}
                },
                "required": ["controller", "value"]},
            "annotations": annotations("Send a MIDI control change")
        }),
        json!({
            "name": "send_program_change",
            "description": "Sends a MIDI program change into Live through livegate's MIDI \
                port, e.g. to switch the preset of an instrument that listens for one.",
            "inputSchema": {"type": "object", "additionalProperties": false,
                "properties": {
                    "channel": channel,
                    "program": {"type": "integer", "minimum": 0, "maximum": 127,
                                "description": "Program number 0-127."}
                },
                "required": ["program"]},
            "annotations": annotations("Send a MIDI program change")
        }),
        json!({
            "name": "send_midi_sequence",
            "description": format!("Plays a short phrase into Live through livegate's MIDI \
                port: notes timed in beats at the given tempo, all on one channel. At most \
                {MAX_SEQUENCE_NOTES} notes and {} seconds per call; the call returns when the \
                last note has ended.", MAX_DURATION.as_secs()),
            "inputSchema": {"type": "object", "additionalProperties": false,
                "properties": {
                    "channel": channel,
                    "bpm": {"type": "number", "minimum": MIN_BPM, "maximum": MAX_BPM, "default": DEFAULT_BPM,
                            "description": "Tempo in beats per minute."},
                    "notes": {"type": "array", "minItems": 1, "maxItems": MAX_SEQUENCE_NOTES,
                        "items": {"type": "object", "additionalProperties": false,
                            "properties": {
                                "note": {"type": "integer", "minimum": 0, "maximum": 127,
                                         "description": "MIDI note number 0-127; 60 is middle C."},
                                "velocity": {"type": "integer", "minimum": 1, "maximum": 127,
                                             "default": DEFAULT_VELOCITY},
                                "start": {"type": "number", "minimum": 0,
                                          "description": "Start, in beats from the beginning of the phrase."},
                                "duration": {"type": "number", "exclusiveMinimum": 0,
                                             "description": "Length in beats."}
                            },
                            "required": ["note", "start", "duration"]}}
                },
                "required": ["notes"]},
            "annotations": annotations("Play a MIDI phrase")
        }),
    ]
}

/// Runs the MIDI tool `name` with `arguments`; `None` if `name` is not a MIDI tool.
pub async fn call_midi_tool(out: &MidiOut, name: &str, arguments: &Value) -> Option<Value> {
    Some(match name {
        "send_midi_note" => send_midi_note(out, arguments).await,
        "send_midi_cc" => send_midi_cc(out, arguments),
        "send_program_change" => send_program_change(out, arguments),
        "send_midi_sequence" => send_midi_sequence(out, arguments).await,
        _ => return None,
    })
}

/// The `send_midi_note` tool: `{channel?=0, note, velocity?=100, duration_ms?=250}`.
pub async fn send_midi_note(out: &MidiOut, arguments: &Value) -> Value {
    let run = async {
        let args = NoteArgs::parse(arguments)?;
        out.send_note(args.channel, args.note, args.velocity, args.duration)
            .await?;
        Ok(format!(
            "Played note {} ({}) at velocity {} for {} ms on channel {} via {}.",
            args.note,
            live_note_name(args.note),
            args.velocity,
            args.duration.as_millis(),
            args.channel,
            out.describe()
        ))
    };
    result("send_midi_note", run.await)
}

/// The `send_midi_cc` tool: `{channel?=0, controller, value}`.
pub fn send_midi_cc(out: &MidiOut, arguments: &Value) -> Value {
    let run = || {
        let args = Args::new(arguments, &["channel", "controller", "value"])?;
        let channel = args.byte("channel", Some(0), 0, 15)?;
        let controller = args.byte("controller", None, 0, 127)?;
        let value = args.byte("value", None, 0, 127)?;
        out.send_cc(channel, controller, value)?;
        Ok(format!(
            "Sent control change {controller} = {value} on channel {channel} via {}.",
            out.describe()
        ))
    };
    result("send_midi_cc", run())
}

/// The `send_program_change` tool: `{channel?=0, program}`.
pub fn send_program_change(out: &MidiOut, arguments: &Value) -> Value {
    let run = || {
        let args = Args::new(arguments, &["channel", "program"])?;
        let channel = args.byte("channel", Some(0), 0, 15)?;
        let program = args.byte("program", None, 0, 127)?;
        out.send_program_change(channel, program)?;
        Ok(format!(
            "Sent program change {program} on channel {channel} via {}.",
            out.describe()
        ))
    };
    result("send_program_change", run())
}

/// The `send_midi_sequence` tool:
/// `{channel?=0, bpm?=120, notes: [{note, velocity?=100, start, duration}]}` (beats).
pub async fn send_midi_sequence(out: &MidiOut, arguments: &Value) -> Value {
    let run = async {
        let args = SequenceArgs::parse(arguments)?;
        let length = out
            .send_sequence(args.channel, &args.notes, args.bpm)
            .await?;
        Ok(format!(
            "Played {} note{} over {:.2} s at {} bpm on channel {} via {}.",
            args.notes.len(),
            if args.notes.len() == 1 { "" } else { "s" },
            length.as_secs_f64(),
            args.bpm,
            args.channel,
            out.describe()
        ))
    };
    result("send_midi_sequence", run.await)
}

/// An MCP tool result: the text, or the error as text with `isError`.
fn result(tool: &str, outcome: Result<String, MidiError>) -> Value {
    match outcome {
        Ok(text) => json!({"content": [{"type": "text", "text": text}]}),
        Err(e) => {
            tracing::debug!(tool, error = %e, "MIDI tool refused or failed");
            json!({"content": [{"type": "text", "text": format!("{tool}: {e}")}], "isError": true})
        }
    }
}

/// The name Live shows for a note number (Live calls note 60 "C3").
fn live_note_name(note: u8) -> String {
    const NAMES: [&str; 12] = [
        "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
    ];
    let name = NAMES.get(usize::from(note % 12)).copied().unwrap_or("?");
    format!("{name}{} in Live", i32::from(note / 12) - 2)
}

/// `send_midi_note` arguments, checked.
#[derive(Debug, PartialEq)]
struct NoteArgs {
    channel: u8,
    note: u8,
    velocity: u8,
    duration: Duration,
}

impl NoteArgs {
    fn parse(arguments: &Value) -> Result<Self, MidiError> {
        let args = Args::new(arguments, &["channel", "note", "velocity", "duration_ms"])?;
        let max_ms = i64::try_from(MAX_DURATION.as_millis()).unwrap_or(i64::MAX);
        let duration_ms = args.int("duration_ms", Some(DEFAULT_DURATION_MS))?;
        if !(0..=max_ms).contains(&duration_ms) {
            return Err(MidiError::OutOfRange {
                argument: "duration_ms".into(),
                value: duration_ms.to_string(),
                range: format!("an integer 0-{max_ms}"),
            });
        }
        Ok(Self {
            channel: args.byte("channel", Some(0), 0, 15)?,
            note: args.byte("note", None, 0, 127)?,
            velocity: args.byte("velocity", Some(DEFAULT_VELOCITY), 1, 127)?,
            duration: Duration::from_millis(duration_ms.unsigned_abs()),
        })
    }
}

/// `send_midi_sequence` arguments, checked field by field (the timing is checked by
/// [`MidiOut::send_sequence`] before anything sounds).
#[derive(Debug, PartialEq)]
struct SequenceArgs {
    channel: u8,
    bpm: f64,
    notes: Vec<SeqNote>,
}

impl SequenceArgs {
    fn parse(arguments: &Value) -> Result<Self, MidiError> {
        let args = Args::new(arguments, &["channel", "bpm", "notes"])?;
        let channel = args.byte("channel", Some(0), 0, 15)?;
        let bpm = args.number("bpm", Some(DEFAULT_BPM))?;
        let items = match args.get("notes") {
            Some(Value::Array(items)) => items,
            Some(other) => {
                return Err(invalid(
                    "notes",
                    format!("must be an array of notes, got {}", kind(other)),
                ))
            }
            None => {
                return Err(invalid(
                    "notes",
                    "is required: an array of {note, velocity?, start, duration}".into(),
                ))
            }
        };
        if items.len() > MAX_SEQUENCE_NOTES {
            return Err(MidiError::TooManyNotes {
                count: items.len(),
                max: MAX_SEQUENCE_NOTES,
            });
        }
        let notes = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let prefix = format!("notes[{i}]");
                let n = Args::nested(item, &prefix, &["note", "velocity", "start", "duration"])?;
                Ok(SeqNote {
                    note: n.byte("note", None, 0, 127)?,
                    velocity: n.byte("velocity", Some(DEFAULT_VELOCITY), 1, 127)?,
                    start_beats: n.number("start", None)?,
                    duration_beats: n.number("duration", None)?,
                })
            })
            .collect::<Result<Vec<_>, MidiError>>()?;
        Ok(Self {
            channel,
            bpm,
            notes,
        })
    }
}

/// An arguments object, with typed getters whose errors name the argument (with `prefix`,
/// e.g. `notes[2].note`).
struct Args<'a> {
    map: Option<&'a Map<String, Value>>,
    prefix: String,
}

impl<'a> Args<'a> {
    /// The top-level `arguments`; absent (`null`) counts as `{}`. Unknown keys are refused,
    /// so a misspelt argument does not silently fall back to its default.
    fn new(arguments: &'a Value, known: &[&str]) -> Result<Self, MidiError> {
        Self::nested(arguments, "", known)
    }

    fn nested(value: &'a Value, prefix: &str, known: &[&str]) -> Result<Self, MidiError> {
        let map = match value {
            Value::Object(map) => Some(map),
            Value::Null if prefix.is_empty() => None,
            other => {
                let what = if prefix.is_empty() {
                    "arguments"
                } else {
                    prefix
                };
                return Err(invalid(
                    what,
                    format!("must be an object, got {}", kind(other)),
                ));
            }
        };
        if let Some(unknown) = map.and_then(|m| m.keys().find(|k| !known.contains(&k.as_str()))) {
            let argument = if prefix.is_empty() {
                unknown.clone()
            } else {
                format!("{prefix}.{unknown}")
            };
            return Err(invalid(
                &argument,
                format!(
                    "is not an argument here; expected one of: {}",
                    known.join(", ")
                ),
            ));
        }
        Ok(Self {
            map,
            prefix: prefix.to_string(),
        })
    }

    fn name(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.and_then(|m| m.get(key)).filter(|v| !v.is_null())
    }

    /// An integer (a float with no fraction counts too); missing gives `default`.
    fn int(&self, key: &str, default: Option<i64>) -> Result<i64, MidiError> {
        match self.get(key) {
            None => {
                default.ok_or_else(|| invalid(&self.name(key), "is required (an integer)".into()))
            }
            Some(v) => v
                .as_i64()
                .or_else(|| {
                    v.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
                        // The filter makes the cast exact.
                        .map(|f| f as i64)
                })
                .ok_or_else(|| {
                    invalid(
                        &self.name(key),
                        format!("must be an integer, got {}", kind(v)),
                    )
                }),
        }
    }

    /// An integer in `lo..=hi`, as a byte.
    fn byte(&self, key: &str, default: Option<i64>, lo: u8, hi: u8) -> Result<u8, MidiError> {
        let value = self.int(key, default).map_err(|e| match e {
            MidiError::InvalidArgument { argument, reason }
                if reason.starts_with("is required") =>
            {
                MidiError::InvalidArgument {
                    argument,
                    reason: format!("is required (an integer {lo}-{hi})"),
                }
            }
            other => other,
        })?;
        check_range(&self.name(key), value, lo, hi)
    }

    /// A number; missing gives `default`.
    fn number(&self, key: &str, default: Option<f64>) -> Result<f64, MidiError> {
        match self.get(key) {
            None => {
                default.ok_or_else(|| invalid(&self.name(key), "is required (a number)".into()))
            }
            Some(v) => v.as_f64().ok_or_else(|| {
                invalid(
                    &self.name(key),
                    format!("must be a number, got {}", kind(v)),
                )
            }),
        }
    }
}

fn invalid(argument: &str, reason: String) -> MidiError {
    MidiError::InvalidArgument {
        argument: argument.to_string(),
        reason,
    }
}

/// A JSON value in a few words, for error messages.
fn kind(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.len() <= 40 => format!("the string {s:?}"),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_text(result: &Value) -> String {
        assert_eq!(
            result["isError"],
            json!(true),
            "expected an error: {result}"
        );
        result["content"][0]["text"].as_str().unwrap().to_string()
    }

    fn ok_text(result: &Value) -> String {
        assert!(
            result.get("isError").is_none(),
            "unexpected error: {result}"
        );
        assert_eq!(result["content"][0]["type"], "text");
        result["content"][0]["text"].as_str().unwrap().to_string()
    }

    #[test]
    fn note_arguments_have_defaults_and_ranges() {
        let args = NoteArgs::parse(&json!({"note": 60})).unwrap();
        assert_eq!(
            args,
            NoteArgs {
                channel: 0,
                note: 60,
                velocity: 100,
                duration: Duration::from_millis(250)
            }
        );
        let args = NoteArgs::parse(
            &json!({"channel": 9, "note": 36.0, "velocity": 127, "duration_ms": 0}),
        )
        .unwrap();
        assert_eq!((args.channel, args.note, args.velocity), (9, 36, 127));
        assert_eq!(args.duration, Duration::ZERO);
        let e = |v: Value| NoteArgs::parse(&v).unwrap_err().to_string();
        assert_eq!(e(json!({})), "`note`: is required (an integer 0-127)");
        assert_eq!(
            e(json!({"note": 128})),
            "`note` is 128; it must be an integer 0-127"
        );
        assert_eq!(
            e(json!({"note": 60, "channel": 16})),
            "`channel` is 16; it must be an integer 0-15"
        );
        assert_eq!(
            e(json!({"note": 60, "velocity": 0})),
            "`velocity` is 0; it must be an integer 1-127"
        );
        assert_eq!(
            e(json!({"note": 60, "duration_ms": 60001})),
            "`duration_ms` is 60001; it must be an integer 0-60000"
        );
        assert_eq!(
            e(json!({"note": "C3"})),
            "`note`: must be an integer, got the string \"C3\""
        );
        assert_eq!(
            e(json!({"note": 60.5})),
            "`note`: must be an integer, got the number 60.5"
        );
        assert!(e(json!({"note": 60, "pitch": 3})).starts_with("`pitch`: is not an argument here"));
        assert_eq!(
            e(json!([60])),
            "`arguments`: must be an object, got an array"
        );
        assert!(
            NoteArgs::parse(&Value::Null).is_err(),
            "note is still required"
        );
    }

    #[test]
    fn sequence_arguments_are_parsed_with_indexed_errors() {
        let args = SequenceArgs::parse(&json!({"notes": [
            {"note": 60, "start": 0, "duration": 1},
            {"note": 64, "velocity": 70, "start": 0.5, "duration": 0.25}
        ]}))
        .unwrap();
        assert_eq!((args.channel, args.bpm), (0, 120.0));
        assert_eq!(
            args.notes,
            vec![
                SeqNote {
                    note: 60,
                    velocity: 100,
                    start_beats: 0.0,
                    duration_beats: 1.0
                },
                SeqNote {
                    note: 64,
                    velocity: 70,
                    start_beats: 0.5,
                    duration_beats: 0.25
                },
            ]
        );
        let e = |v: Value| SequenceArgs::parse(&v).unwrap_err().to_string();
        assert!(e(json!({})).starts_with("`notes`: is required"));
        assert_eq!(
            e(json!({"notes": 3})),
            "`notes`: must be an array of notes, got the number 3"
        );
        assert_eq!(
            e(
                json!({"notes": [{"note": 60, "start": 0, "duration": 1}, {"note": 60, "start": 0}]})
            ),
            "`notes[1].duration`: is required (a number)"
        );
        assert_eq!(
            e(json!({"notes": [{"note": 60, "start": 0, "duration": 1, "velocity": 200}]})),
            "`notes[0].velocity` is 200; it must be an integer 1-127"
        );
        assert_eq!(
            e(json!({"notes": [5]})),
            "`notes[0]`: must be an object, got the number 5"
        );
        assert!(
            e(json!({"notes": [{"note": 60, "start": 0, "duration": 1, "len": 1}]}))
                .starts_with("`notes[0].len`: is not an argument here")
        );
        assert_eq!(
            e(json!({"bpm": "fast", "notes": []})),
            "`bpm`: must be a number, got the string \"fast\""
        );
        let many: Vec<Value> = (0..=MAX_SEQUENCE_NOTES)
            .map(|_| json!({"note": 60, "start": 0, "duration": 0.1}))
            .collect();
        assert!(e(json!({"notes": many})).contains("at most 256"));
    }

    #[tokio::test]
    async fn tools_send_midi_and_answer_in_text() {
        let out = MidiOut::recorder();
        let text = ok_text(
            &call_midi_tool(
                &out,
                "send_midi_note",
                &json!({"note": 60, "duration_ms": 10}),
            )
            .await
            .unwrap(),
        );
        assert_eq!(
            text,
            "Played note 60 (C3 in Live) at velocity 100 for 10 ms on channel 0 via virtual port `recorder`."
        );
        let text = ok_text(
            &call_midi_tool(
                &out,
                "send_midi_cc",
                &json!({"channel": 2, "controller": 7, "value": 99}),
            )
            .await
            .unwrap(),
        );
        assert!(
            text.starts_with("Sent control change 7 = 99 on channel 2"),
            "{text}"
        );
        let text = ok_text(
            &call_midi_tool(&out, "send_program_change", &json!({"program": 12}))
                .await
                .unwrap(),
        );
        assert!(
            text.starts_with("Sent program change 12 on channel 0"),
            "{text}"
        );
        let text = ok_text(
            &call_midi_tool(
                &out,
                "send_midi_sequence",
                &json!({"bpm": 600, "channel": 1, "notes": [{"note": 48, "start": 0, "duration": 0.5}]}),
            )
            .await
            .unwrap(),
        );
        assert_eq!(
            text,
            "Played 1 note over 0.05 s at 600 bpm on channel 1 via virtual port `recorder`."
        );
        let bytes: Vec<Vec<u8>> = out.recorded().into_iter().map(|(_, b)| b).collect();
        assert_eq!(
            bytes,
            vec![
                vec![0x90, 60, 100],
                vec![0x80, 60, 0],
                vec![0xB2, 7, 99],
                vec![0xC0, 12],
                vec![0x91, 48, 100],
                vec![0x81, 48, 0],
            ]
        );
        assert!(call_midi_tool(&out, "get_tempo", &json!({}))
            .await
            .is_none());
    }

    #[tokio::test]
    async fn bad_arguments_are_tool_errors_and_send_nothing() {
        let out = MidiOut::recorder();
        let cases = [
            (
                "send_midi_note",
                json!({"note": -1}),
                "`note` is -1; it must be an integer 0-127",
            ),
            (
                "send_midi_cc",
                json!({"controller": 1}),
                "`value`: is required (an integer 0-127)",
            ),
            (
                "send_midi_cc",
                json!({"controller": 128, "value": 1}),
                "`controller` is 128",
            ),
            (
                "send_program_change",
                json!({"program": 1, "channel": 20}),
                "`channel` is 20",
            ),
            (
                "send_midi_sequence",
                json!({"notes": []}),
                "at least one note",
            ),
            (
                "send_midi_sequence",
                json!({"bpm": 10, "notes": [{"note": 1, "start": 0, "duration": 1}]}),
                "`bpm` is 10; it must be a number 20-999",
            ),
            (
                "send_midi_sequence",
                json!({"notes": [{"note": 1, "start": 200, "duration": 1}]}),
                "the sequence lasts 100.50 s; at most 60 s",
            ),
        ];
        for (tool, args, expected) in cases {
            let text = error_text(&call_midi_tool(&out, tool, &args).await.unwrap());
            assert!(text.starts_with(&format!("{tool}: ")), "{text}");
            assert!(text.contains(expected), "{tool} {args}: {text}");
        }
        assert!(out.recorded().is_empty());
    }

    #[test]
    fn definitions_match_the_tools() {
        let defs = midi_tool_definitions();
        let names: Vec<&str> = defs.iter().map(|d| d["name"].as_str().unwrap()).collect();
        assert_eq!(names, MIDI_TOOL_NAMES);
        for d in &defs {
            assert!(d["description"].as_str().unwrap().len() > 40);
            assert_eq!(d["inputSchema"]["type"], "object");
            assert_eq!(d["annotations"]["readOnlyHint"], false);
            assert_eq!(d["annotations"]["destructiveHint"], false);
            // Every required argument is a declared property.
            let props = d["inputSchema"]["properties"].as_object().unwrap();
            for r in d["inputSchema"]["required"].as_array().unwrap() {
                assert!(props.contains_key(r.as_str().unwrap()), "{r}");
            }
        }
        assert_eq!(
            defs[0]["inputSchema"]["properties"]["duration_ms"]["maximum"],
            60000
        );
    }

    #[test]
    fn live_note_names_use_c3_for_middle_c() {
        assert_eq!(live_note_name(60), "C3 in Live");
        assert_eq!(live_note_name(0), "C-2 in Live");
        assert_eq!(live_note_name(127), "G8 in Live");
        assert_eq!(live_note_name(61), "C#3 in Live");
    }
}
