//! The simulated Live set: song, tracks, clip slots, clips, devices, scenes and cue points,
//! the two seeds (`Empty`, `Demo`) and the JSON snapshot of the whole state.
//!
//! The undoable part of the set lives in [`Doc`]; transport, selection and listeners live
//! beside it in [`Sim`] so that undo never rewinds the play head or the selection.

use serde_json::{json, Value};

/// One MIDI note as Live's extended note API sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Note {
    pub pitch: i32,
    pub start: f32,
    pub duration: f32,
    pub velocity: f32,
    pub mute: bool,
}

/// A session clip (MIDI or audio).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Clip {
    pub name: String,
    pub color: i32,
    pub color_index: i32,
    pub looping: bool,
    pub loop_start: f32,
    pub loop_end: f32,
    pub start_marker: f32,
    pub end_marker: f32,
    pub notes: Vec<Note>,
    pub is_audio: bool,
    pub gain: f32,
    pub pitch_coarse: i32,
    pub pitch_fine: f32,
    pub warping: bool,
    pub warp_mode: i32,
    pub launch_mode: i32,
    pub launch_quantization: i32,
    pub legato: bool,
    pub muted: bool,
    pub velocity_amount: f32,
    pub ram_mode: bool,
    pub file_path: String,
}

impl Clip {
    /// A new empty MIDI clip of `length` beats, as `create_clip` makes it.
    pub fn midi(name: &str, length: f32, color: (i32, i32)) -> Self {
        Self {
            name: name.to_string(),
            color: color.0,
            color_index: color.1,
            looping: true,
            loop_start: 0.0,
            loop_end: length,
            start_marker: 0.0,
            end_marker: length,
            notes: Vec::new(),
            is_audio: false,
            gain: 0.4,
            pitch_coarse: 0,
            pitch_fine: 0.0,
            warping: false,
            warp_mode: 0,
            launch_mode: 0,
            launch_quantization: 0,
            legato: false,
            muted: false,
            velocity_amount: 0.0,
            ram_mode: false,
            file_path: String::new(),
        }
    }

    /// A warped audio clip of `length` beats pointing at `path`.
    pub fn audio(name: &str, length: f32, path: &str, color: (i32, i32)) -> Self {
        Self {
            is_audio: true,
            warping: true,
            file_path: path.to_string(),
            ..Self::midi(name, length, color)
        }
    }

    /// The clip length in beats (loop length when looping, marker span otherwise).
    pub fn length(&self) -> f32 {
        if self.looping {
            self.loop_end - self.loop_start
        } else {
            self.end_marker - self.start_marker
        }
    }
}

/// A clip slot: maybe a clip, and whether the empty slot shows a stop button.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ClipSlot {
    pub clip: Option<Clip>,
    pub has_stop_button: bool,
}

impl ClipSlot {
    /// An empty slot with a stop button (Live's default).
    pub fn empty() -> Self {
        Self {
            clip: None,
            has_stop_button: true,
        }
    }
}

/// A device parameter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Param {
    pub name: String,
    pub value: f32,
    pub min: f32,
    pub max: f32,
    pub quantized: bool,
}

impl Param {
    /// A parameter with its range.
    pub fn new(name: &str, value: f32, min: f32, max: f32, quantized: bool) -> Self {
        Self {
            name: name.to_string(),
            value,
            min,
            max,
            quantized,
        }
    }

    /// The display string Live would show for the value.
    pub fn value_string(&self) -> String {
        if self.quantized {
            if self.max <= 1.0 && self.min >= 0.0 {
                return if self.value >= 0.5 { "On" } else { "Off" }.to_string();
            }
            return format!("{}", self.value.round() as i64);
        }
        format!("{:.2}", self.value)
    }
}

/// A device on a track. `kind` is Live's `DeviceType` (1 audio effect, 2 instrument, 4 MIDI effect).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Device {
    pub name: String,
    pub class_name: String,
    pub kind: i32,
    pub params: Vec<Param>,
}

/// A track (regular or return).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Track {
    pub name: String,
    pub color: i32,
    pub color_index: i32,
    pub is_midi: bool,
    pub mute: bool,
    pub solo: bool,
    pub arm: bool,
    pub volume: f32,
    pub panning: f32,
    pub sends: Vec<f32>,
    pub monitoring: i32,
    pub fold_state: bool,
    pub input_routing_type: String,
    pub input_routing_channel: String,
    pub output_routing_type: String,
    pub output_routing_channel: String,
    pub devices: Vec<Device>,
    pub slots: Vec<ClipSlot>,
    /// Index of the playing slot, -1 when none (runtime state, not undone).
    pub playing_slot: i32,
    /// Index of the slot fired last, -1 when none.
    pub fired_slot: i32,
    /// Song time (beats) at which the playing clip was launched.
    pub launched_at: f64,
}

/// Live's default colours (RGB, color_index) cycled through new tracks.
pub(crate) const PALETTE: [(i32, i32); 6] = [
    (0xFF3636, 14),
    (0xFFA529, 1),
    (0xF7F47C, 12),
    (0x3DC300, 20),
    (0x10A4EE, 23),
    (0xB677C6, 25),
];

impl Track {
    /// A new track with `scenes` empty slots and `sends` sends at -inf.
    pub fn new(name: &str, is_midi: bool, scenes: usize, sends: usize, color: (i32, i32)) -> Self {
        let (input, channel) = if is_midi {
            ("All Ins", "All Channels")
        } else {
            ("Ext. In", "1/2")
        };
        Self {
            name: name.to_string(),
            color: color.0,
            color_index: color.1,
            is_midi,
            mute: false,
            solo: false,
            arm: false,
            volume: 0.85,
            panning: 0.0,
            sends: vec![0.0; sends],
            monitoring: 1,
            fold_state: false,
            input_routing_type: input.to_string(),
            input_routing_channel: channel.to_string(),
            output_routing_type: "Master".to_string(),
            output_routing_channel: "Track In".to_string(),
            devices: Vec::new(),
            slots: vec![ClipSlot::empty(); scenes],
            playing_slot: -1,
            fired_slot: -1,
            launched_at: 0.0,
        }
    }
}

/// A scene.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scene {
    pub name: String,
    pub color: i32,
    pub color_index: i32,
    pub tempo: f32,
    pub tempo_enabled: bool,
    pub sig_num: i32,
    pub sig_den: i32,
    pub sig_enabled: bool,
}

impl Scene {
    /// An unnamed scene.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            color: 0xC4C4C4,
            color_index: 0,
            tempo: 120.0,
            tempo_enabled: false,
            sig_num: 4,
            sig_den: 4,
            sig_enabled: false,
        }
    }
}

/// An arrangement cue point (locator).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CuePoint {
    pub name: String,
    pub time: f32,
}

/// The undoable Live set.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Doc {
    pub tempo: f32,
    pub sig_num: i32,
    pub sig_den: i32,
    pub tracks: Vec<Track>,
    pub returns: Vec<Track>,
    pub scenes: Vec<Scene>,
    pub cue_points: Vec<CuePoint>,
    pub loop_on: bool,
    pub loop_start: f32,
    pub loop_length: f32,
    pub groove_amount: f32,
    pub clip_trigger_quantization: i32,
    pub midi_recording_quantization: i32,
    pub punch_in: bool,
    pub punch_out: bool,
    pub back_to_arranger: bool,
    pub root_note: i32,
    pub scale_name: String,
    pub record_mode: bool,
    pub arrangement_overdub: bool,
    pub session_record: bool,
    pub nudge_up: bool,
    pub nudge_down: bool,
}

fn device(name: &str, class_name: &str, kind: i32, params: Vec<Param>) -> Device {
    let mut all = vec![Param::new("Device On", 1.0, 0.0, 1.0, true)];
    all.extend(params);
    Device {
        name: name.to_string(),
        class_name: class_name.to_string(),
        kind,
        params: all,
    }
}

fn notes(list: &[(i32, f32, f32, f32)]) -> Vec<Note> {
    list.iter()
        .map(|&(pitch, start, duration, velocity)| Note {
            pitch,
            start,
            duration,
            velocity,
            mute: false,
        })
        .collect()
}

impl Doc {
    fn base(tempo: f32) -> Self {
        Self {
            tempo,
            sig_num: 4,
            sig_den: 4,
            tracks: Vec::new(),
            returns: Vec::new(),
            scenes: Vec::new(),
            cue_points: Vec::new(),
            loop_on: false,
            loop_start: 0.0,
            loop_length: 16.0,
            groove_amount: 1.0,
            clip_trigger_quantization: 4,
            midi_recording_quantization: 0,
            punch_in: false,
            punch_out: false,
            back_to_arranger: false,
            root_note: 0,
            scale_name: "Major".to_string(),
            record_mode: false,
            arrangement_overdub: false,
            session_record: false,
            nudge_up: false,
            nudge_down: false,
        }
    }

    /// Live's default new set: 2 MIDI tracks, 2 audio tracks, 2 return tracks (A, B), 8 scenes.
    pub fn empty() -> Self {
        let mut doc = Self::base(120.0);
        doc.scenes = (0..8).map(|_| Scene::new("")).collect();
        doc.returns = vec![
            Track::new("A-Reverb", false, 0, 2, PALETTE[4]),
            Track::new("B-Delay", false, 0, 2, PALETTE[5]),
        ];
        for (i, (name, midi)) in [
            ("1-MIDI", true),
            ("2-MIDI", true),
            ("3-Audio", false),
            ("4-Audio", false),
        ]
        .into_iter()
        .enumerate()
        {
            doc.tracks
                .push(Track::new(name, midi, 8, 2, PALETTE[i % PALETTE.len()]));
        }
        doc
    }

    /// A small demo set: Drums, Bass, Keys (MIDI, with clips and a device each) and Vox (audio);
    /// 4 scenes; tempo 120; one cue point.
    pub fn demo() -> Self {
        let mut doc = Self::base(120.0);
        doc.scenes = ["Intro", "Verse", "Chorus", "Outro"]
            .iter()
            .map(|n| Scene::new(n))
            .collect();
        doc.returns = vec![
            Track::new("A-Reverb", false, 0, 2, PALETTE[4]),
            Track::new("B-Delay", false, 0, 2, PALETTE[5]),
        ];
        doc.cue_points = vec![CuePoint {
            name: "Verse".to_string(),
            time: 16.0,
        }];
        let mut drums = Track::new("Drums", true, 4, 2, PALETTE[0]);
        drums.devices.push(device(
            "Drum Rack",
            "DrumGroupDevice",
            2,
            vec![
                Param::new("Macro 1", 0.0, 0.0, 127.0, false),
                Param::new("Macro 2", 64.0, 0.0, 127.0, false),
            ],
        ));
        let mut beat = Clip::midi("Beat", 4.0, PALETTE[0]);
        beat.notes = notes(&[
            (36, 0.0, 0.25, 100.0),
            (42, 0.5, 0.25, 80.0),
            (38, 1.0, 0.25, 100.0),
            (36, 2.0, 0.25, 100.0),
            (38, 3.0, 0.25, 100.0),
        ]);
        drums.slots[0].clip = Some(beat.clone());
        let mut fill = beat;
        fill.name = "Fill".to_string();
        fill.notes.push(Note {
            pitch: 45,
            start: 3.5,
            duration: 0.25,
            velocity: 110.0,
            mute: false,
        });
        drums.slots[1].clip = Some(fill);
        let mut bass = Track::new("Bass", true, 4, 2, PALETTE[1]);
        bass.devices.push(device(
            "Operator",
            "Operator",
            2,
            vec![
                Param::new("Filter Freq", 0.6, 0.0, 1.0, false),
                Param::new("Filter Res", 0.2, 0.0, 1.0, false),
                Param::new("Algorithm", 0.0, 0.0, 10.0, true),
            ],
        ));
        let mut line = Clip::midi("Bassline", 8.0, PALETTE[1]);
        line.notes = notes(&[
            (36, 0.0, 1.0, 100.0),
            (43, 2.0, 1.0, 90.0),
            (41, 4.0, 2.0, 95.0),
        ]);
        bass.slots[1].clip = Some(line);
        let mut keys = Track::new("Keys", true, 4, 2, PALETTE[2]);
        keys.devices.push(device(
            "Electric",
            "LoungeLizard",
            2,
            vec![
                Param::new("Volume", 0.7, 0.0, 1.0, false),
                Param::new("Tremolo", 0.0, 0.0, 1.0, false),
            ],
        ));
        let mut chords = Clip::midi("Chords", 4.0, PALETTE[2]);
        chords.notes = notes(&[
            (60, 0.0, 2.0, 90.0),
            (64, 0.0, 2.0, 90.0),
            (67, 0.0, 2.0, 90.0),
            (62, 2.0, 2.0, 90.0),
            (65, 2.0, 2.0, 90.0),
            (69, 2.0, 2.0, 90.0),
        ]);
        keys.slots[2].clip = Some(chords);
        let mut vox = Track::new("Vox", false, 4, 2, PALETTE[3]);
        vox.devices.push(device(
            "EQ Eight",
            "Eq8",
            1,
            vec![Param::new("1 Gain A", 0.0, -15.0, 15.0, false)],
        ));
        vox.slots[2].clip = Some(Clip::audio(
            "Hook",
            8.0,
            "/Samples/vox_hook.wav",
            PALETTE[3],
        ));
        doc.tracks = vec![drums, bass, keys, vox];
        doc
    }
}

fn clip_json(clip: &Clip, is_playing: bool) -> Value {
    json!({
        "name": clip.name, "color": clip.color, "color_index": clip.color_index,
        "length": clip.length(), "looping": clip.looping,
        "loop_start": clip.loop_start, "loop_end": clip.loop_end,
        "start_marker": clip.start_marker, "end_marker": clip.end_marker,
        "is_audio_clip": clip.is_audio, "is_playing": is_playing,
        "notes": clip.notes.iter().map(|n| json!({
            "pitch": n.pitch, "start_time": n.start, "duration": n.duration,
            "velocity": n.velocity, "mute": n.mute,
        })).collect::<Vec<_>>(),
        "gain": clip.gain, "pitch_coarse": clip.pitch_coarse, "pitch_fine": clip.pitch_fine,
        "warping": clip.warping, "warp_mode": clip.warp_mode, "launch_mode": clip.launch_mode,
        "launch_quantization": clip.launch_quantization, "legato": clip.legato,
        "muted": clip.muted, "velocity_amount": clip.velocity_amount, "file_path": clip.file_path,
    })
}

/// The JSON view of one track.
pub(crate) fn track_json(track: &Track) -> Value {
    json!({
        "name": track.name, "color": track.color, "color_index": track.color_index,
        "is_midi": track.is_midi, "mute": track.mute, "solo": track.solo, "arm": track.arm,
        "volume": track.volume, "panning": track.panning, "sends": track.sends,
        "monitoring": track.monitoring, "fold_state": track.fold_state,
        "input_routing_type": track.input_routing_type,
        "output_routing_type": track.output_routing_type,
        "playing_slot_index": track.playing_slot, "fired_slot_index": track.fired_slot,
        "devices": track.devices.iter().map(|d| json!({
            "name": d.name, "class_name": d.class_name, "type": d.kind,
            "parameters": d.params.iter().map(|p| json!({
                "name": p.name, "value": p.value, "min": p.min, "max": p.max,
                "is_quantized": p.quantized,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "clip_slots": track.slots.iter().enumerate().map(|(i, s)| json!({
            "has_stop_button": s.has_stop_button,
            "clip": s.clip.as_ref().map(|c| clip_json(c, track.playing_slot == i as i32)),
        })).collect::<Vec<_>>(),
    })
}

/// The JSON view of the undoable set (transport and view are added by the caller).
pub(crate) fn doc_json(doc: &Doc) -> Value {
    json!({
        "tempo": doc.tempo,
        "signature_numerator": doc.sig_num,
        "signature_denominator": doc.sig_den,
        "loop": doc.loop_on, "loop_start": doc.loop_start, "loop_length": doc.loop_length,
        "record_mode": doc.record_mode, "arrangement_overdub": doc.arrangement_overdub,
        "session_record": doc.session_record,
        "tracks": doc.tracks.iter().map(track_json).collect::<Vec<_>>(),
        "return_tracks": doc.returns.iter().map(track_json).collect::<Vec<_>>(),
        "scenes": doc.scenes.iter().map(|s| json!({
            "name": s.name, "color": s.color, "color_index": s.color_index, "tempo": s.tempo,
            "tempo_enabled": s.tempo_enabled,
            "time_signature_numerator": s.sig_num, "time_signature_denominator": s.sig_den,
            "time_signature_enabled": s.sig_enabled,
        })).collect::<Vec<_>>(),
        "cue_points": doc.cue_points.iter().map(|c| json!({"name": c.name, "time": c.time}))
            .collect::<Vec<_>>(),
    })
}
