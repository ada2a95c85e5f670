//! `/live/clip_slot/...` and `/live/clip/...`: creating, deleting, duplicating and firing
//! clips, clip properties (audio and MIDI), playing position, and MIDI notes
//! (get/add/remove, optionally within a pitch and time range).

use rosc::OscType;

use super::args::{b, done, f, fail, i, pick, pick_mut, reply, s, u, Args, Fail, Reply};
use super::engine::Sim;
use super::state::{Clip, Note, Track};

/// Handle `/live/clip_slot/<rest>`; arguments start with track and slot indices.
pub(crate) fn handle_slot(sim: &mut Sim, rest: &str, a: &Args) -> Reply {
    let t = a.index(0, "track_index")?;
    let c = a.index(1, "clip_index")?;
    let song_time = sim.song_time;
    let track = pick_mut(&mut sim.doc.tracks, t, "track")?;
    let is_midi = track.is_midi;
    let color = (track.color, track.color_index);
    let slot = pick_mut(&mut track.slots, c, "clip_slot")?;
    match rest {
        "get/has_clip" => reply(vec![u(t), u(c), b(slot.clip.is_some())]),
        "get/has_stop_button" => reply(vec![u(t), u(c), b(slot.has_stop_button)]),
        "set/has_stop_button" => {
            slot.has_stop_button = a.boolean(2, "has_stop_button")?;
            done()
        }
        "create_clip" => {
            let length = a.float(2, "length")?;
            if length <= 0.0 {
                return fail(format!("clip length must be positive, got {length}"));
            }
            if slot.clip.is_some() {
                return fail(format!("clip slot {t}/{c} already has a clip"));
            }
            if !is_midi {
                return fail(format!(
                    "track {t} is an audio track: MIDI clips can only be created on MIDI tracks"
                ));
            }
            slot.clip = Some(Clip::midi("", length, color));
            done()
        }
        "delete_clip" => {
            if slot.clip.take().is_none() {
                return fail(format!("clip slot {t}/{c} has no clip"));
            }
            if track.playing_slot == c as i32 {
                track.playing_slot = -1;
            }
            done()
        }
        "fire" => {
            fire_slot(track, c, song_time);
            if track.playing_slot >= 0 {
                sim.is_playing = true;
            }
            done()
        }
        "duplicate_clip_to" => {
            let tt = a.index(2, "target_track_index")?;
            let tc = a.index(3, "target_clip_index")?;
            let Some(clip) = slot.clip.clone() else {
                return fail(format!("clip slot {t}/{c} has no clip to duplicate"));
            };
            let target_track = pick_mut(&mut sim.doc.tracks, tt, "track")?;
            if target_track.is_midi == clip.is_audio {
                return fail("cannot duplicate between a MIDI and an audio track");
            }
            pick_mut(&mut target_track.slots, tc, "clip_slot")?.clip = Some(clip);
            done()
        }
        _ => Err(Fail::Unknown),
    }
}

/// Fire slot `c` of `track`: launch its clip, or stop the track when the slot is empty.
pub(crate) fn fire_slot(track: &mut Track, c: usize, song_time: f64) {
    let Some(slot) = track.slots.get(c) else {
        return;
    };
    track.fired_slot = c as i32;
    if slot.clip.is_some() {
        track.playing_slot = c as i32;
        track.launched_at = song_time;
    } else if slot.has_stop_button {
        track.playing_slot = -1;
    }
}

fn clip_ref(sim: &Sim, t: usize, c: usize) -> Result<(&Track, &Clip), Fail> {
    let track = pick(&sim.doc.tracks, t, "track")?;
    let slot = pick(&track.slots, c, "clip_slot")?;
    match &slot.clip {
        Some(clip) => Ok((track, clip)),
        None => fail(format!("no clip in slot {c} of track {t}")),
    }
}

fn clip_mut(sim: &mut Sim, t: usize, c: usize) -> Result<&mut Clip, Fail> {
    let track = pick_mut(&mut sim.doc.tracks, t, "track")?;
    let slot = pick_mut(&mut track.slots, c, "clip_slot")?;
    match &mut slot.clip {
        Some(clip) => Ok(clip),
        None => fail(format!("no clip in slot {c} of track {t}")),
    }
}

/// Handle `/live/clip/<rest>`; arguments start with track and clip (slot) indices.
pub(crate) fn handle(sim: &mut Sim, rest: &str, a: &Args) -> Reply {
    let t = a.index(0, "track_id")?;
    let c = a.index(1, "clip_id")?;
    if let Some(prop) = rest.strip_prefix("get/") {
        let song_time = sim.song_time;
        let (track, clip) = clip_ref(sim, t, c)?;
        let mut out = vec![u(t), u(c)];
        out.extend(get(track, clip, c, prop, a, song_time)?);
        return reply(out);
    }
    if let Some(prop) = rest.strip_prefix("set/") {
        set(clip_mut(sim, t, c)?, prop, a)?;
        return done();
    }
    match rest {
        "fire" => {
            clip_ref(sim, t, c)?;
            let song_time = sim.song_time;
            if let Some(track) = sim.doc.tracks.get_mut(t) {
                fire_slot(track, c, song_time);
            }
            sim.is_playing = true;
            done()
        }
        "stop" => {
            clip_ref(sim, t, c)?;
            if let Some(track) = sim.doc.tracks.get_mut(t) {
                if track.playing_slot == c as i32 {
                    track.playing_slot = -1;
                }
            }
            done()
        }
        "duplicate_loop" => {
            let clip = clip_mut(sim, t, c)?;
            let len = clip.loop_end - clip.loop_start;
            let copies: Vec<Note> = clip
                .notes
                .iter()
                .filter(|n| n.start >= clip.loop_start && n.start < clip.loop_end)
                .map(|n| Note {
                    start: n.start + len,
                    ..n.clone()
                })
                .collect();
            clip.notes.extend(copies);
            clip.loop_end += len;
            clip.end_marker = clip.end_marker.max(clip.loop_end);
            done()
        }
        "add/notes" => {
            let clip = clip_mut(sim, t, c)?;
            if clip.is_audio {
                return fail("cannot add notes to an audio clip");
            }
            let count = a.len() - 2;
            if count == 0 || count % 5 != 0 {
                return fail(format!("notes must come in groups of 5 (pitch, start_time, duration, velocity, mute), got {count} values"));
            }
            let mut notes = Vec::new();
            for k in (2..a.len()).step_by(5) {
                let pitch = a.int(k, "pitch")?;
                if !(0..=127).contains(&pitch) {
                    return fail(format!("pitch must be 0..127, got {pitch}"));
                }
                let start = a.float(k + 1, "start_time")?;
                let duration = a.float(k + 2, "duration")?;
                if duration <= 0.0 {
                    return fail(format!("note duration must be positive, got {duration}"));
                }
                let velocity = a.float(k + 3, "velocity")?.clamp(0.0, 127.0);
                let mute = a.boolean(k + 4, "mute")?;
                notes.push(Note {
                    pitch,
                    start,
                    duration,
                    velocity,
                    mute,
                });
            }
            clip.notes.extend(notes);
            clip.notes
                .sort_by(|x, y| x.start.total_cmp(&y.start).then(x.pitch.cmp(&y.pitch)));
            done()
        }
        "remove/notes" => {
            let range = note_range(a)?;
            let clip = clip_mut(sim, t, c)?;
            clip.notes.retain(|n| !in_range(n, range));
            done()
        }
        _ => Err(Fail::Unknown),
    }
}

type Range = (i32, i32, f32, f32);

/// `[start_pitch, pitch_span, start_time, time_span]` after the two indices, or everything.
fn note_range(a: &Args) -> Result<Range, Fail> {
    match a.len() {
        2 => Ok((0, 128, -16384.0, 32768.0)),
        6 => Ok((
            a.int(2, "start_pitch")?,
            a.int(3, "pitch_span")?,
            a.float(4, "start_time")?,
            a.float(5, "time_span")?,
        )),
        n => fail(format!("give either no range or all four of start_pitch, pitch_span, start_time, time_span (got {} range values)", n.saturating_sub(2))),
    }
}

fn in_range(n: &Note, (p0, ps, t0, ts): Range) -> bool {
    n.pitch >= p0 && n.pitch < p0 + ps && n.start >= t0 && n.start < t0 + ts
}

fn get(
    track: &Track,
    clip: &Clip,
    c: usize,
    prop: &str,
    a: &Args,
    song_time: f64,
) -> Result<Vec<OscType>, Fail> {
    let playing = track.playing_slot == c as i32;
    let one = |v: OscType| Ok(vec![v]);
    let audio_only = |v: OscType| {
        if clip.is_audio {
            Ok(vec![v])
        } else {
            fail(format!("{prop} is only available on audio clips"))
        }
    };
    match prop {
        "notes" => {
            if clip.is_audio {
                return fail("an audio clip has no notes");
            }
            let range = note_range(a)?;
            Ok(clip
                .notes
                .iter()
                .filter(|n| in_range(n, range))
                .flat_map(|n| {
                    [
                        i(n.pitch),
                        f(n.start),
                        f(n.duration),
                        f(n.velocity),
                        b(n.mute),
                    ]
                })
                .collect())
        }
        "name" => one(s(&clip.name)),
        "color" => one(i(clip.color)),
        "color_index" => one(i(clip.color_index)),
        "length" => one(f(clip.length())),
        "loop_start" => one(f(clip.loop_start)),
        "loop_end" => one(f(clip.loop_end)),
        "looping" => one(b(clip.looping)),
        "start_marker" => one(f(clip.start_marker)),
        "end_marker" => one(f(clip.end_marker)),
        "is_audio_clip" => one(b(clip.is_audio)),
        "is_midi_clip" => one(b(!clip.is_audio)),
        "is_playing" => one(b(playing)),
        "is_overdubbing" | "is_recording" | "will_record_on_start" | "has_groove" => one(b(false)),
        "playing_position" => {
            let len = f64::from(clip.length()).max(1e-6);
            let pos = if playing {
                f64::from(clip.loop_start) + (song_time - track.launched_at).max(0.0) % len
            } else {
                0.0
            };
            one(f(pos as f32))
        }
        "launch_mode" => one(i(clip.launch_mode)),
        "launch_quantization" => one(i(clip.launch_quantization)),
        "legato" => one(b(clip.legato)),
        "muted" => one(b(clip.muted)),
        "velocity_amount" => one(f(clip.velocity_amount)),
        "position" => one(f(clip.loop_start)),
        "start_time" => one(f(0.0)),
        "gain" => audio_only(f(clip.gain)),
        "pitch_coarse" => audio_only(i(clip.pitch_coarse)),
        "pitch_fine" => audio_only(f(clip.pitch_fine)),
        "warping" => audio_only(b(clip.warping)),
        "warp_mode" => audio_only(i(clip.warp_mode)),
        "ram_mode" => audio_only(b(clip.ram_mode)),
        "file_path" => audio_only(s(&clip.file_path)),
        "sample_length" => audio_only(i((clip.length() * 22050.0) as i32)),
        _ => Err(Fail::Unknown),
    }
}

fn set(clip: &mut Clip, prop: &str, a: &Args) -> Result<(), Fail> {
    let audio = clip.is_audio;
    let need_audio = || {
        if audio {
            Ok(())
        } else {
            fail(format!("{prop} can only be set on audio clips"))
        }
    };
    match prop {
        "name" => clip.name = a.string(2, "name")?,
        "color" => clip.color = a.int(2, "color")? & 0xFF_FFFF,
        "color_index" => clip.color_index = a.int(2, "color_index")?.clamp(0, 69),
        "loop_start" => {
            let v = a.float(2, "loop_start")?;
            if v >= clip.loop_end {
                return fail(format!(
                    "loop_start {v} must be before loop_end {}",
                    clip.loop_end
                ));
            }
            clip.loop_start = v;
        }
        "loop_end" => {
            let v = a.float(2, "loop_end")?;
            if v <= clip.loop_start {
                return fail(format!(
                    "loop_end {v} must be after loop_start {}",
                    clip.loop_start
                ));
            }
            clip.loop_end = v;
        }
        "looping" => clip.looping = a.boolean(2, "looping")?,
        "start_marker" => {
            let v = a.float(2, "start_marker")?;
            if v >= clip.end_marker {
                return fail(format!(
                    "start_marker {v} must be before end_marker {}",
                    clip.end_marker
                ));
            }
            clip.start_marker = v;
        }
        "end_marker" => {
            let v = a.float(2, "end_marker")?;
            if v <= clip.start_marker {
                return fail(format!(
                    "end_marker {v} must be after start_marker {}",
                    clip.start_marker
                ));
            }
            clip.end_marker = v;
        }
        "launch_mode" => clip.launch_mode = a.int(2, "launch_mode")?.clamp(0, 3),
        "launch_quantization" => {
            clip.launch_quantization = a.int(2, "launch_quantization")?.clamp(0, 14)
        }
        "legato" => clip.legato = a.boolean(2, "legato")?,
        "muted" => clip.muted = a.boolean(2, "muted")?,
        "velocity_amount" => clip.velocity_amount = a.float(2, "velocity_amount")?.clamp(0.0, 1.0),
        "position" => {
            let v = a.float(2, "position")?;
            let len = clip.loop_end - clip.loop_start;
            clip.loop_start = v;
            clip.loop_end = v + len;
        }
        "gain" => {
            need_audio()?;
            clip.gain = a.float(2, "gain")?.clamp(0.0, 1.0);
        }
        "pitch_coarse" => {
            need_audio()?;
            clip.pitch_coarse = a.int(2, "semitones")?.clamp(-48, 48);
        }
        "pitch_fine" => {
            need_audio()?;
            clip.pitch_fine = a.float(2, "cents")?.clamp(-50.0, 50.0);
        }
        "warping" => {
            need_audio()?;
            clip.warping = a.boolean(2, "warping")?;
        }
        "warp_mode" => {
            need_audio()?;
            let v = a.int(2, "warp_mode")?;
            if !(0..=6).contains(&v) || v == 5 {
                return fail(format!("warp_mode must be 0-4 or 6, got {v}"));
            }
            clip.warp_mode = v;
        }
        "ram_mode" => {
            need_audio()?;
            clip.ram_mode = a.boolean(2, "ram_mode")?;
        }
        _ => return Err(Fail::Unknown),
    }
    Ok(())
}
