//! MIDI notes as AbletonOSC sends them (flat quintuples of pitch, start, duration, velocity,
//! mute) and the pure computations the note tools run on them: quantize, transpose, humanize
//! (seeded, so a seed repeats a result), scales, drum patterns and basslines.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rosc::OscType;
use serde_json::{json, Value};

use super::args::{arg_error, as_f64, of, oi, round, ToolError};

/// One MIDI note of a clip; times in beats.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// MIDI pitch, 0–127.
    pub pitch: i32,
    /// Start, in beats from the clip start.
    pub start: f64,
    /// Length in beats.
    pub duration: f64,
    /// Velocity, 1–127.
    pub velocity: f64,
    /// Whether the note is muted (deactivated).
    pub mute: bool,
}

impl Note {
    /// A note that is not muted.
    pub fn new(pitch: i32, start: f64, duration: f64, velocity: f64) -> Self {
        Self {
            pitch,
            start,
            duration,
            velocity,
            mute: false,
        }
    }

    /// The note as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "pitch": self.pitch,
            "start_time": round(self.start),
            "duration": round(self.duration),
            "velocity": round(self.velocity),
            "mute": self.mute,
        })
    }

    /// Reads a note from a tool argument (`notes[i]`).
    pub fn from_json(v: &Value, i: usize) -> Result<Self, ToolError> {
        let field = |name: &str| v.get(name).filter(|x| !x.is_null());
        let num = |name: &str, default: Option<f64>| -> Result<f64, ToolError> {
            match field(name) {
                Some(x) => x.as_f64().filter(|f| f.is_finite()).ok_or_else(|| {
                    arg_error(format!(
                        "argument `notes[{i}].{name}` must be a number, got {x}"
                    ))
                }),
                None => default
                    .ok_or_else(|| arg_error(format!("argument `notes[{i}]` is missing `{name}`"))),
            }
        };
        if !v.is_object() {
            return Err(arg_error(format!(
                "argument `notes[{i}]` must be an object with pitch, start_time, duration, velocity"
            )));
        }
        let pitch = num("pitch", None)?;
        if pitch.fract() != 0.0 || !(0.0..=127.0).contains(&pitch) {
            return Err(arg_error(format!(
                "argument `notes[{i}].pitch` must be an integer 0–127, got {pitch}"
            )));
        }
        let start = num("start_time", None)?;
        if start < 0.0 {
            return Err(arg_error(format!(
                "argument `notes[{i}].start_time` must be ≥ 0, got {start}"
            )));
        }
        let duration = num("duration", Some(0.25))?;
        if duration <= 0.0 {
            return Err(arg_error(format!(
                "argument `notes[{i}].duration` must be > 0, got {duration}"
            )));
        }
        let velocity = num("velocity", Some(100.0))?;
        if !(1.0..=127.0).contains(&velocity) {
            return Err(arg_error(format!(
                "argument `notes[{i}].velocity` must be 1–127, got {velocity}"
            )));
        }
        let mute = match field("mute") {
            None => false,
            Some(m) => m
                .as_bool()
                .or_else(|| m.as_i64().map(|x| x != 0))
                .ok_or_else(|| {
                    arg_error(format!("argument `notes[{i}].mute` must be true or false"))
                })?,
        };
        Ok(Self {
            pitch: pitch as i32,
            start,
            duration,
            velocity,
            mute,
        })
    }
}

/// Notes from AbletonOSC's flat reply (pitch, start, duration, velocity, mute, …).
pub fn from_osc(values: &[OscType]) -> Vec<Note> {
    values
        .chunks_exact(5)
        .map(|c| {
            let n = |i: usize| as_f64(&c[i]).unwrap_or(0.0);
            Note {
                pitch: n(0).round() as i32,
                start: n(1),
                duration: n(2),
                velocity: n(3),
                mute: n(4) != 0.0,
            }
        })
        .collect()
}

/// Notes as AbletonOSC's `add/notes` arguments after the track and clip indices.
pub fn to_osc(notes: &[Note]) -> Vec<OscType> {
    notes
        .iter()
        .flat_map(|n| {
            [
                oi(n.pitch),
                of(n.start),
                of(n.duration),
                of(n.velocity),
                OscType::Bool(n.mute),
            ]
        })
        .collect()
}

/// Moves every note start to the nearest multiple of `grid` beats (`grid` > 0).
pub fn quantize(notes: &[Note], grid: f64) -> Vec<Note> {
    notes
        .iter()
        .map(|n| Note {
            start: ((n.start / grid).round() * grid).max(0.0),
            ..n.clone()
        })
        .collect()
}

/// Transposes every note; fails (naming the first offending note) if one leaves 0–127.
pub fn transpose(notes: &[Note], semitones: i32) -> Result<Vec<Note>, String> {
    notes
        .iter()
        .map(|n| {
            let pitch = n.pitch + semitones;
            if (0..=127).contains(&pitch) {
                Ok(Note { pitch, ..n.clone() })
            } else {
                Err(format!(
                    "transposing by {semitones} moves the note at beat {} (pitch {}) out of MIDI range 0–127",
                    round(n.start),
                    n.pitch
                ))
            }
        })
        .collect()
}

/// Shifts note starts by a random amount in `-amount..=amount` beats (never before 0).
pub fn humanize_timing(notes: &[Note], amount: f64, seed: u64) -> Vec<Note> {
    let mut rng = StdRng::seed_from_u64(seed);
    notes
        .iter()
        .map(|n| {
            let shift = if amount > 0.0 {
                rng.random_range(-amount..=amount)
            } else {
                0.0
            };
            Note {
                start: (n.start + shift).max(0.0),
                ..n.clone()
            }
        })
        .collect()
}

/// Changes velocities by a random amount up to `amount` × 127 either way (kept 1–127).
pub fn humanize_velocity(notes: &[Note], amount: f64, seed: u64) -> Vec<Note> {
    let mut rng = StdRng::seed_from_u64(seed);
    let spread = amount * 127.0;
    notes
        .iter()
        .map(|n| {
            let shift = if spread > 0.0 {
                rng.random_range(-spread..=spread)
            } else {
                0.0
            };
            Note {
                velocity: (n.velocity + shift).round().clamp(1.0, 127.0),
                ..n.clone()
            }
        })
        .collect()
}

/// The scale types and their intervals from the root.
pub const SCALES: &[(&str, &[i32])] = &[
    ("major", &[0, 2, 4, 5, 7, 9, 11]),
    ("minor", &[0, 2, 3, 5, 7, 8, 10]),
    ("dorian", &[0, 2, 3, 5, 7, 9, 10]),
    ("phrygian", &[0, 1, 3, 5, 7, 8, 10]),
    ("lydian", &[0, 2, 4, 6, 7, 9, 11]),
    ("mixolydian", &[0, 2, 4, 5, 7, 9, 10]),
    ("locrian", &[0, 1, 3, 5, 6, 8, 10]),
    ("harmonic_minor", &[0, 2, 3, 5, 7, 8, 11]),
    ("melodic_minor", &[0, 2, 3, 5, 7, 9, 11]),
    ("pentatonic_major", &[0, 2, 4, 7, 9]),
    ("pentatonic_minor", &[0, 3, 5, 7, 10]),
    ("blues", &[0, 3, 5, 6, 7, 10]),
    ("chromatic", &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
];

const NAMES: [&str; 12] = [
    "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
];

/// The name of a MIDI pitch, e.g. 60 → "C4" (Live's octave numbering: 60 is C3).
pub fn pitch_name(pitch: i32) -> String {
    format!(
        "{}{}",
        NAMES[pitch.rem_euclid(12) as usize],
        pitch.div_euclid(12) - 2
    )
}

/// The intervals of a scale type (`major`, `minor`, … case-insensitive, spaces or dashes ok).
pub fn intervals(scale_type: &str) -> Result<&'static [i32], ToolError> {
    let key = scale_type.trim().to_lowercase().replace([' ', '-'], "_");
    SCALES
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, iv)| *iv)
        .ok_or_else(|| {
            let known: Vec<&str> = SCALES.iter().map(|(n, _)| *n).collect();
            arg_error(format!(
                "argument `scale_type` is `{scale_type}`; known scales: {}",
                known.join(", ")
            ))
        })
}

/// The scale's notes for one octave from `root` (MIDI pitches within 0–127).
pub fn scale_notes(root: i32, scale_type: &str) -> Result<Vec<i32>, ToolError> {
    Ok(intervals(scale_type)?
        .iter()
        .map(|i| root + i)
        .filter(|p| (0..=127).contains(p))
        .collect())
}

/// Drum styles: per 16-step bar, (GM drum note, steps, velocity).
type Lane = (i32, &'static [usize], f64);

const KICK: i32 = 36;
const SNARE: i32 = 38;
const CLAP: i32 = 39;
const CLOSED_HAT: i32 = 42;
const OPEN_HAT: i32 = 46;

const STYLES: &[(&str, &[Lane])] = &[
    (
        "basic",
        &[
            (KICK, &[0, 8], 110.0),
            (SNARE, &[4, 12], 105.0),
            (CLOSED_HAT, &[0, 2, 4, 6, 8, 10, 12, 14], 80.0),
        ],
    ),
    (
        "rock",
        &[
            (KICK, &[0, 7, 8, 10], 115.0),
            (SNARE, &[4, 12], 115.0),
            (CLOSED_HAT, &[0, 2, 4, 6, 8, 10, 12, 14], 90.0),
        ],
    ),
    (
        "house",
        &[
            (KICK, &[0, 4, 8, 12], 115.0),
            (CLAP, &[4, 12], 100.0),
            (OPEN_HAT, &[2, 6, 10, 14], 85.0),
        ],
    ),
    (
        "hiphop",
        &[
            (KICK, &[0, 3, 10], 115.0),
            (SNARE, &[4, 12], 110.0),
            (CLOSED_HAT, &[0, 2, 4, 6, 8, 10, 12, 14], 75.0),
        ],
    ),
    (
        "trap",
        &[
            (KICK, &[0, 7, 11], 120.0),
            (SNARE, &[8], 115.0),
            (
                CLOSED_HAT,
                &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
                70.0,
            ),
        ],
    ),
    (
        "breakbeat",
        &[
            (KICK, &[0, 10], 115.0),
            (SNARE, &[4, 7, 12, 15], 105.0),
            (CLOSED_HAT, &[0, 2, 4, 6, 8, 10, 12, 14], 80.0),
        ],
    ),
];

/// A drum pattern of `length` beats in a style (16th-note steps, 4 beats per bar).
pub fn drum_pattern(style: &str, length: f64) -> Result<Vec<Note>, ToolError> {
    let key = style.trim().to_lowercase().replace(['-', ' '], "");
    let key = if key == "hip_hop" {
        "hiphop".to_string()
    } else {
        key
    };
    let lanes = STYLES
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, lanes)| *lanes)
        .ok_or_else(|| {
            let known: Vec<&str> = STYLES.iter().map(|(n, _)| *n).collect();
            arg_error(format!(
                "argument `style` is `{style}`; known styles: {}",
                known.join(", ")
            ))
        })?;
    let steps = (length * 4.0).floor() as usize;
    let mut notes = Vec::new();
    for step in 0..steps {
        for (pitch, hits, velocity) in lanes {
            if hits.contains(&(step % 16)) {
                notes.push(Note::new(*pitch, step as f64 * 0.25, 0.25, *velocity));
            }
        }
    }
    Ok(notes)
}

/// A bassline of `length` beats: eighth notes walking a figure through the scale's degrees,
/// root on each downbeat; deterministic.
pub fn bassline(root: i32, scale_type: &str, length: f64) -> Result<Vec<Note>, ToolError> {
    let iv = intervals(scale_type)?;
    if !(0..=127).contains(&root) {
        return Err(arg_error(format!(
            "argument `root` must be a MIDI note 0–127, got {root}"
        )));
    }
    // Scale degrees per eighth note of one bar; degree 7 is the octave.
    const FIGURE: [usize; 8] = [0, 0, 4, 0, 2, 0, 4, 7];
    let degree = |d: usize| -> i32 {
        let octave = (d / iv.len()) as i32;
        root + iv[d % iv.len()] + 12 * octave
    };
    let steps = (length * 2.0).floor() as usize;
    let mut notes = Vec::new();
    for step in 0..steps {
        let bar = step / 8;
        let d = FIGURE[step % 8];
        // Every other bar moves the figure to the scale's fourth degree for some motion.
        let d = if bar % 2 == 1 && d != 7 { d + 3 } else { d };
        let d = if d == 7 {
            iv.len()
        } else {
            d.min(iv.len() * 2 - 1)
        };
        let pitch = degree(d);
        let pitch = if pitch > 127 { pitch - 12 } else { pitch };
        let velocity = if step % 2 == 0 { 110.0 } else { 90.0 };
        notes.push(Note::new(pitch, step as f64 * 0.5, 0.45, velocity));
    }
    Ok(notes)
}
