//! `/live/song/...`: transport, tempo and signature, record modes, undo/redo, cue points,
//! track and scene creation/deletion/duplication, and the list queries
//! (`num_tracks`, `track_names`, `track_data`, `cue_points`).

use rosc::OscType;

use super::args::{b, done, f, fail, i, pick, reply, s, u, Args, Fail, Reply};
use super::engine::Sim;
use super::state::{CuePoint, Scene, Track, PALETTE};

/// Handle `/live/song/<rest>`.
pub(crate) fn handle(sim: &mut Sim, rest: &str, a: &Args) -> Reply {
    if let Some(prop) = rest.strip_prefix("get/") {
        return get(sim, prop, a);
    }
    if let Some(prop) = rest.strip_prefix("set/") {
        return set(sim, prop, a);
    }
    match rest {
        "start_playing" => {
            sim.set_song_time(0.0);
            sim.restart_beats();
            sim.is_playing = true;
            done()
        }
        "continue_playing" => {
            sim.is_playing = true;
            done()
        }
        "stop_playing" => {
            sim.is_playing = false;
            stop_all(sim);
            done()
        }
        "stop_all_clips" => {
            stop_all(sim);
            done()
        }
        "capture_midi" | "trigger_session_record" => {
            if rest == "trigger_session_record" {
                sim.doc.session_record = !sim.doc.session_record;
            }
            done()
        }
        "tap_tempo" => tap_tempo(sim),
        "undo" => {
            if let Some(previous) = sim.undo.pop() {
                let current = std::mem::replace(&mut sim.doc, previous);
                keep_playing_state(&current, &mut sim.doc);
                sim.redo.push(current);
            }
            done()
        }
        "redo" => {
            if let Some(next) = sim.redo.pop() {
                let current = std::mem::replace(&mut sim.doc, next);
                keep_playing_state(&current, &mut sim.doc);
                sim.undo.push(current);
            }
            done()
        }
        "jump_by" => {
            let by = a.float(0, "time")?;
            sim.set_song_time(sim.song_time + f64::from(by));
            done()
        }
        "jump_to_next_cue" => {
            let now = sim.song_time as f32;
            let next = sim
                .doc
                .cue_points
                .iter()
                .map(|c| c.time)
                .filter(|t| *t > now)
                .fold(None, |m: Option<f32>, t| Some(m.map_or(t, |m| m.min(t))));
            if let Some(t) = next {
                sim.set_song_time(f64::from(t));
            }
            done()
        }
        "jump_to_prev_cue" => {
            let now = sim.song_time as f32;
            let prev = sim
                .doc
                .cue_points
                .iter()
                .map(|c| c.time)
                .filter(|t| *t < now)
                .fold(None, |m: Option<f32>, t| Some(m.map_or(t, |m| m.max(t))));
            if let Some(t) = prev {
                sim.set_song_time(f64::from(t));
            }
            done()
        }
        "cue_point/jump" => {
            let time = match a.raw().first() {
                Some(OscType::String(name)) => {
                    match sim.doc.cue_points.iter().find(|c| &c.name == name) {
                        Some(c) => c.time,
                        None => return fail(format!("no cue point named {name:?}")),
                    }
                }
                _ => pick(&sim.doc.cue_points, a.index(0, "cue_point")?, "cue_point")?.time,
            };
            sim.set_song_time(f64::from(time));
            done()
        }
        "cue_point/add_or_delete" => {
            let now = sim.song_time as f32;
            if let Some(pos) = sim
                .doc
                .cue_points
                .iter()
                .position(|c| (c.time - now).abs() < 1e-3)
            {
                sim.doc.cue_points.remove(pos);
            } else {
                let name = format!("{}", sim.doc.cue_points.len() + 1);
                sim.doc.cue_points.push(CuePoint { name, time: now });
                sim.doc.cue_points.sort_by(|x, y| x.time.total_cmp(&y.time));
            }
            done()
        }
        "cue_point/set/name" => {
            let index = a.index(0, "cue_point")?;
            let name = a.string(1, "name")?;
            let len = sim.doc.cue_points.len();
            match sim.doc.cue_points.get_mut(index) {
                Some(c) => c.name = name,
                None => {
                    return fail(format!(
                        "cue_point index {index} out of range (there are {len} cue_points)"
                    ))
                }
            }
            done()
        }
        "create_midi_track" | "create_audio_track" => {
            let midi = rest == "create_midi_track";
            let at = insert_index(a, sim.doc.tracks.len(), "track")?;
            let color = PALETTE[sim.doc.tracks.len() % PALETTE.len()];
            let kind = if midi { "MIDI" } else { "Audio" };
            let track = Track::new(
                &format!("{}-{kind}", at + 1),
                midi,
                sim.doc.scenes.len(),
                sim.doc.returns.len(),
                color,
            );
            sim.doc.tracks.insert(at, track);
            sim.sel_track = at;
            done()
        }
        "create_return_track" => {
            let letter = char::from(b'A' + (sim.doc.returns.len() % 26) as u8);
            let sends = sim.doc.returns.len() + 1;
            sim.doc.returns.push(Track::new(
                &format!("{letter}-Return"),
                false,
                0,
                sends,
                PALETTE[4],
            ));
            for track in sim.doc.tracks.iter_mut().chain(sim.doc.returns.iter_mut()) {
                track.sends.resize(sends, 0.0);
            }
            done()
        }
        "delete_track" => {
            let index = a.index(0, "track_index")?;
            pick(&sim.doc.tracks, index, "track")?;
            sim.doc.tracks.remove(index);
            sim.sel_track = sim.sel_track.min(sim.doc.tracks.len().saturating_sub(1));
            done()
        }
        "delete_return_track" => {
            let index = a.index(0, "track_index")?;
            pick(&sim.doc.returns, index, "return track")?;
            sim.doc.returns.remove(index);
            for track in sim.doc.tracks.iter_mut().chain(sim.doc.returns.iter_mut()) {
                if index < track.sends.len() {
                    track.sends.remove(index);
                }
            }
            done()
        }
        "duplicate_track" => {
            let index = a.index(0, "track_index")?;
            let mut copy = pick(&sim.doc.tracks, index, "track")?.clone();
            copy.name = format!("{} copy", copy.name);
            copy.playing_slot = -1;
            copy.fired_slot = -1;
            sim.doc.tracks.insert(index + 1, copy);
            sim.sel_track = index + 1;
            done()
        }
        "create_scene" => {
            let at = insert_index(a, sim.doc.scenes.len(), "scene")?;
            sim.doc.scenes.insert(at, Scene::new(""));
            for track in &mut sim.doc.tracks {
                track.slots.insert(at, super::state::ClipSlot::empty());
                if track.playing_slot >= at as i32 {
                    track.playing_slot += 1;
                }
            }
            sim.sel_scene = at;
            done()
        }
        "delete_scene" => {
            let index = a.index(0, "scene_index")?;
            pick(&sim.doc.scenes, index, "scene")?;
            if sim.doc.scenes.len() == 1 {
                return fail("cannot delete the last scene");
            }
            sim.doc.scenes.remove(index);
            for track in &mut sim.doc.tracks {
                if index < track.slots.len() {
                    track.slots.remove(index);
                }
                if track.playing_slot == index as i32 {
                    track.playing_slot = -1;
                } else if track.playing_slot > index as i32 {
                    track.playing_slot -= 1;
                }
            }
            sim.sel_scene = sim.sel_scene.min(sim.doc.scenes.len().saturating_sub(1));
            done()
        }
        "duplicate_scene" => {
            let index = a.index(0, "scene_index")?;
            let scene = pick(&sim.doc.scenes, index, "scene")?.clone();
            sim.doc.scenes.insert(index + 1, scene);
            for track in &mut sim.doc.tracks {
                let slot = track
                    .slots
                    .get(index)
                    .cloned()
                    .unwrap_or_else(super::state::ClipSlot::empty);
                track.slots.insert(index + 1, slot);
                if track.playing_slot > index as i32 {
                    track.playing_slot += 1;
                }
            }
            sim.sel_scene = index + 1;
            done()
        }
        _ => Err(Fail::Unknown),
    }
}

/// Undo and redo restore edits, not playback: carry which clips play over to the restored set
/// (by track position, while the slot still holds a clip).
fn keep_playing_state(from: &super::state::Doc, to: &mut super::state::Doc) {
    for (k, track) in to.tracks.iter_mut().enumerate() {
        let (playing, fired, launched) = from.tracks.get(k).map_or((-1, -1, 0.0), |t| {
            (t.playing_slot, t.fired_slot, t.launched_at)
        });
        let has_clip = usize::try_from(playing)
            .ok()
            .and_then(|p| track.slots.get(p))
            .is_some_and(|slot| slot.clip.is_some());
        track.playing_slot = if has_clip { playing } else { -1 };
        track.fired_slot = fired;
        track.launched_at = launched;
    }
}

/// Where a `create_*` inserts: the given index, or the end for -1 / no argument.
fn insert_index(a: &Args, len: usize, what: &str) -> Result<usize, Fail> {
    if a.len() == 0 {
        return Ok(len);
    }
    let index = a.int(0, "index")?;
    if index == -1 {
        return Ok(len);
    }
    match usize::try_from(index) {
        Ok(at) if at <= len => Ok(at),
        _ => fail(format!(
            "{what} index {index} out of range (must be -1 or 0..={len})"
        )),
    }
}

fn stop_all(sim: &mut Sim) {
    for track in &mut sim.doc.tracks {
        track.playing_slot = -1;
        track.fired_slot = -1;
    }
}

fn tap_tempo(sim: &mut Sim) -> Reply {
    let now = std::time::Instant::now();
    sim.tap_times
        .retain(|t| now.duration_since(*t).as_secs_f64() < 2.0);
    sim.tap_times.push(now);
    if sim.tap_times.len() >= 2 {
        let first = sim.tap_times[0];
        let span = now.duration_since(first).as_secs_f64();
        let taps = (sim.tap_times.len() - 1) as f64;
        if span > 0.0 {
            sim.doc.tempo = ((60.0 * taps / span) as f32).clamp(20.0, 999.0);
        }
    }
    done()
}

fn get(sim: &mut Sim, prop: &str, a: &Args) -> Reply {
    let d = &sim.doc;
    let value = match prop {
        "tempo" => f(d.tempo),
        "signature_numerator" => i(d.sig_num),
        "signature_denominator" => i(d.sig_den),
        "is_playing" => b(sim.is_playing),
        "metronome" => b(sim.metronome),
        "current_song_time" => f(sim.song_time as f32),
        "can_undo" => b(!sim.undo.is_empty()),
        "can_redo" => b(!sim.redo.is_empty()),
        "arrangement_overdub" => b(d.arrangement_overdub),
        "back_to_arranger" => b(d.back_to_arranger),
        "clip_trigger_quantization" => i(d.clip_trigger_quantization),
        "midi_recording_quantization" => i(d.midi_recording_quantization),
        "groove_amount" => f(d.groove_amount),
        "loop" => b(d.loop_on),
        "loop_start" => f(d.loop_start),
        "loop_length" => f(d.loop_length),
        "nudge_up" => b(d.nudge_up),
        "nudge_down" => b(d.nudge_down),
        "punch_in" => b(d.punch_in),
        "punch_out" => b(d.punch_out),
        "record_mode" => b(d.record_mode),
        "session_record" => b(d.session_record),
        "session_record_status" => i(if d.session_record { 1 } else { 0 }),
        "root_note" => i(d.root_note),
        "scale_name" => s(&d.scale_name),
        "start_time" => f(0.0),
        "song_length" => {
            let end = d
                .cue_points
                .iter()
                .map(|c| c.time)
                .fold(d.loop_start + d.loop_length, f32::max);
            f(end.max(16.0))
        }
        "num_tracks" => u(d.tracks.len()),
        "num_scenes" => u(d.scenes.len()),
        "cue_points" => {
            return reply(
                d.cue_points
                    .iter()
                    .flat_map(|c| [s(&c.name), f(c.time)])
                    .collect(),
            );
        }
        "track_names" => {
            let (lo, hi) = range(a, d.tracks.len())?;
            return reply(d.tracks[lo..hi].iter().map(|t| s(&t.name)).collect());
        }
        "track_data" => return track_data(sim, a),
        _ => return Err(Fail::Unknown),
    };
    reply(vec![value])
}

/// `[index_min, index_max]` with -1 meaning "to the end", checked against `len`.
fn range(a: &Args, len: usize) -> Result<(usize, usize), Fail> {
    if a.len() == 0 {
        return Ok((0, len));
    }
    let lo = a.index(0, "index_min")?;
    let hi = match a.int(1, "index_max")? {
        -1 => len,
        v => usize::try_from(v)
            .or_else(|_| fail(format!("index_max must be -1 or >= 0, got {v}")))?,
    };
    if lo > hi || hi > len {
        return fail(format!(
            "track range {lo}..{hi} out of range (there are {len} tracks)"
        ));
    }
    Ok((lo, hi))
}

/// `track_data min max track.x clip.y clip_slot.z device.w ...`, flattened per track as
/// AbletonOSC does: each track property once, each clip/slot/device property once per object
/// (nil for an empty slot).
fn track_data(sim: &mut Sim, a: &Args) -> Reply {
    let (lo, hi) = range(a, sim.doc.tracks.len())?;
    let mut props = Vec::new();
    for k in 2..a.len() {
        props.push(a.string(k, "property")?);
    }
    let mut out = Vec::new();
    for t in lo..hi {
        for prop in &props {
            let Some((object, name)) = prop.split_once('.') else {
                return fail(format!(
                    "property {prop:?} must look like track.name or clip.length"
                ));
            };
            let index = u(t);
            match object {
                "track" => out.extend(sub(sim, &format!("/live/track/get/{name}"), vec![index], 1)?),
                "clip" | "clip_slot" => {
                    for slot in 0..sim.doc.tracks[t].slots.len() {
                        let has_clip = sim.doc.tracks[t].slots[slot].clip.is_some();
                        if object == "clip" && !has_clip {
                            out.push(OscType::Nil);
                        } else {
                            out.extend(sub(sim, &format!("/live/{object}/get/{name}"), vec![u(t), u(slot)], 2)?);
                        }
                    }
                }
                "device" => {
                    for dev in 0..sim.doc.tracks[t].devices.len() {
                        out.extend(sub(sim, &format!("/live/device/get/{name}"), vec![u(t), u(dev)], 2)?);
                    }
                }
                _ => return fail(format!("unknown object {object:?} in track_data (use track, clip, clip_slot or device)")),
            }
        }
    }
    reply(out)
}

/// Run a getter and drop its leading `skip` index values.
fn sub(sim: &mut Sim, addr: &str, args: Vec<OscType>, skip: usize) -> Result<Vec<OscType>, Fail> {
    match sim.dispatch(addr, &args) {
        Ok(Some(values)) => Ok(values.into_iter().skip(skip).collect()),
        Ok(None) => Ok(Vec::new()),
        Err(Fail::Unknown) => fail(format!("unknown property in track_data: {addr}")),
        Err(e) => Err(e),
    }
}

fn set(sim: &mut Sim, prop: &str, a: &Args) -> Reply {
    let d = &mut sim.doc;
    match prop {
        "tempo" => {
            let v = a.float(0, "tempo_bpm")?;
            if !(20.0..=999.0).contains(&v) {
                return fail(format!("tempo must be between 20 and 999 BPM, got {v}"));
            }
            d.tempo = v;
        }
        "signature_numerator" => {
            let v = a.int(0, "signature_numerator")?;
            if !(1..=99).contains(&v) {
                return fail(format!("signature_numerator must be 1..99, got {v}"));
            }
            d.sig_num = v;
        }
        "signature_denominator" => {
            let v = a.int(0, "signature_denominator")?;
            if ![1, 2, 4, 8, 16].contains(&v) {
                return fail(format!(
                    "signature_denominator must be 1, 2, 4, 8 or 16, got {v}"
                ));
            }
            d.sig_den = v;
        }
        "metronome" => sim.metronome = a.boolean(0, "metronome_on")?,
        "current_song_time" => {
            let v = a.float(0, "current_song_time")?;
            sim.set_song_time(f64::from(v));
        }
        "arrangement_overdub" => d.arrangement_overdub = a.boolean(0, prop)?,
        "back_to_arranger" => d.back_to_arranger = a.boolean(0, prop)?,
        "clip_trigger_quantization" => d.clip_trigger_quantization = a.int(0, prop)?,
        "midi_recording_quantization" => d.midi_recording_quantization = a.int(0, prop)?,
        "groove_amount" => d.groove_amount = a.float(0, prop)?.clamp(0.0, 1.31),
        "loop" => d.loop_on = a.boolean(0, prop)?,
        "loop_start" => d.loop_start = a.float(0, prop)?.max(0.0),
        "loop_length" => d.loop_length = a.float(0, prop)?.max(0.0),
        "nudge_up" => d.nudge_up = a.boolean(0, prop)?,
        "nudge_down" => d.nudge_down = a.boolean(0, prop)?,
        "punch_in" => d.punch_in = a.boolean(0, prop)?,
        "punch_out" => d.punch_out = a.boolean(0, prop)?,
        "record_mode" => d.record_mode = a.boolean(0, prop)?,
        "session_record" => d.session_record = a.boolean(0, prop)?,
        "root_note" => d.root_note = a.int(0, prop)?.rem_euclid(12),
        "scale_name" => d.scale_name = a.string(0, prop)?,
        _ => return Err(Fail::Unknown),
    }
    done()
}
