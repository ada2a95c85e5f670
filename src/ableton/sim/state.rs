//! The simulated Live set: song, tracks, clip slots, clips, devices, scenes and cue points,
//! and the two seeds (`Empty`, `Demo`).
//!
//! The undoable part of the set lives in [`Doc`]; transport, selection and listeners live
//! beside it in [`Sim`](super::engine::Sim) so that undo never rewinds the play head or the
//! selection. Field names follow the Live Object Model property they stand for.

/// One MIDI note as Live's extended note API sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Note {
    /// MIDI pitch 0..127.
    pub pitch: i32,
    /// Start, in beats from the clip start.
    pub start: f32,
    /// Length, in beats.
    pub duration: f32,
    /// Velocity 0..127 (a float, as in Live 11+).
    pub velocity: f32,
    /// Whether it is muted (deactivated).
    pub mute: bool,
}

/// A session clip (MIDI or audio).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Clip {
    /// Display name.
    pub name: String,
    /// Colour as 0xRRGGBB.
    pub color: i32,
    /// Index into Live's colour palette.
    pub color_index: i32,
    /// Whether the clip loops.
    pub looping: bool,
    /// Loop start, in beats.
    pub loop_start: f32,
    /// Loop end, in beats.
    pub loop_end: f32,
    /// Start marker, in beats.
    pub start_marker: f32,
    /// End marker, in beats.
    pub end_marker: f32,
    /// MIDI notes, sorted by start then pitch (empty for audio clips).
    pub notes: Vec<Note>,
    /// Audio clip (else MIDI).
    pub is_audio: bool,
    /// Audio clip gain 0..1.
    pub gain: f32,
    /// Audio transposition, semitones.
    pub pitch_coarse: i32,
    /// Audio detune, cents.
    pub pitch_fine: f32,
    /// Audio warping on.
    pub warping: bool,
    /// Live warp mode (0 beats … 6 complex pro).
    pub warp_mode: i32,
    /// 0 trigger, 1 gate, 2 toggle, 3 repeat.
    pub launch_mode: i32,
    /// Live launch quantization index (0 = global).
    pub launch_quantization: i32,
    /// Legato launch.
    pub legato: bool,
    /// Clip deactivated.
    pub muted: bool,
    /// Velocity-to-volume amount 0..1.
    pub velocity_amount: f32,
    /// Audio loaded in RAM.
    pub ram_mode: bool,
    /// Sample path of an audio clip.
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
    /// The clip, if any.
    pub clip: Option<Clip>,
    /// Whether an empty slot stops the track when fired.
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
    /// Display name.
    pub name: String,
    /// Current value.
    pub value: f32,
    /// Minimum value.
    pub min: f32,
    /// Maximum value.
    pub max: f32,
    /// Whether the value is a whole step (enum/toggle).
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

/// A device on a track. `kind` is Live's `DeviceType` (0 undefined, 1 instrument, 2 audio effect,
/// 4 MIDI effect).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Device {
    /// Display name.
    pub name: String,
    /// Live class name (Operator, Eq8, …).
    pub class_name: String,
    /// Live `DeviceType`.
    pub kind: i32,
    /// Parameters, "Device On" first as in Live.
    pub params: Vec<Param>,
}

/// A track (regular or return).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Track {
    /// Display name.
    pub name: String,
    /// Colour as 0xRRGGBB.
    pub color: i32,
    /// Index into Live's colour palette.
    pub color_index: i32,
    /// MIDI track (else audio).
    pub is_midi: bool,
    /// Whether it is muted (deactivated).
    pub mute: bool,
    /// Soloed.
    pub solo: bool,
    /// Armed for recording.
    pub arm: bool,
    /// Mixer volume 0..1 (0.85 = 0 dB).
    pub volume: f32,
    /// Pan -1..1.
    pub panning: f32,
    /// Send levels 0..1, one per return track.
    pub sends: Vec<f32>,
    /// Monitoring: 0 In, 1 Auto, 2 Off.
    pub monitoring: i32,
    /// Group folded (always false: no group tracks).
    pub fold_state: bool,
    /// Input routing type display name.
    pub input_routing_type: String,
    /// Input routing channel display name.
    pub input_routing_channel: String,
    /// Output routing type display name.
    pub output_routing_type: String,
    /// Output routing channel display name.
    pub output_routing_channel: String,
    /// Devices, left to right.
    pub devices: Vec<Device>,
    /// Clip slots, one per scene.
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
    /// Display name.
    pub name: String,
    /// Colour as 0xRRGGBB.
    pub color: i32,
    /// Index into Live's colour palette.
    pub color_index: i32,
    /// Tempo in BPM.
    pub tempo: f32,
    /// Whether firing the scene sets the tempo.
    pub tempo_enabled: bool,
    /// Time signature numerator.
    pub sig_num: i32,
    /// Time signature denominator.
    pub sig_den: i32,
    /// Whether firing the scene sets the signature.
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
    /// Display name.
    pub name: String,
    /// Position, in beats.
    pub time: f32,
}

/// The undoable Live set.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Doc {
    /// Tempo in BPM.
    pub tempo: f32,
    /// Time signature numerator.
    pub sig_num: i32,
    /// Time signature denominator.
    pub sig_den: i32,
    /// Regular tracks, left to right.
    pub tracks: Vec<Track>,
    /// Return tracks.
    pub returns: Vec<Track>,
    /// Scenes, top to bottom.
    pub scenes: Vec<Scene>,
    /// Cue points, sorted by time.
    pub cue_points: Vec<CuePoint>,
    /// Arrangement loop on.
    pub loop_on: bool,
    /// Loop start, in beats.
    pub loop_start: f32,
    /// Arrangement loop length, in beats.
    pub loop_length: f32,
    /// Global groove amount.
    pub groove_amount: f32,
    /// Global launch quantization index.
    pub clip_trigger_quantization: i32,
    /// MIDI record quantization index.
    pub midi_recording_quantization: i32,
    /// Punch-in on.
    pub punch_in: bool,
    /// Punch-out on.
    pub punch_out: bool,
    /// "Back to Arrangement" lit.
    pub back_to_arranger: bool,
    /// Song root note 0..11.
    pub root_note: i32,
    /// Song scale name.
    pub scale_name: String,
    /// Arrangement record on.
    pub record_mode: bool,
    /// Arrangement (MIDI) overdub on.
    pub arrangement_overdub: bool,
    /// Session record on.
    pub session_record: bool,
    /// Nudge up held.
    pub nudge_up: bool,
    /// Nudge down held.
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
            1,
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
            1,
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
            1,
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
            2,
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
