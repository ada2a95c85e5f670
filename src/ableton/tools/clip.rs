//! Clip and clip-slot tools: creating, deleting, duplicating, launching and stopping clips,
//! name, colour, loop, gain, pitch and warp settings, and reading, adding and removing notes.

use serde_json::{json, Value};

use super::args::{
    arg_error, done, of, oi, os, round, state_error, Args, Live, ToolError, ToolResult,
};
use super::notes::{self, Note};

/// Runs a clip tool, or `None` if `name` is not one.
pub async fn call(live: Live<'_>, name: &str, a: Args<'_>) -> Option<ToolResult> {
    Some(match name {
        "create_clip" => create(live, a).await,
        "delete_clip" => delete(live, a).await,
        "duplicate_clip" => duplicate(live, a).await,
        "fire_clip" => launch(live, a, "fire", "Launched").await,
        "stop_clip" => launch(live, a, "stop", "Stopped").await,
        "set_clip_name" => set_name(live, a).await,
        "get_clip_color" => get_color(live, a).await,
        "set_clip_color" => set_color(live, a).await,
        "get_clip_loop" => get_loop(live, a).await,
        "set_clip_loop" => set_loop(live, a).await,
        "get_clip_notes" => get_notes(live, a).await,
        "add_notes_to_clip" => add_notes(live, a).await,
        "remove_notes" => remove_notes(live, a).await,
        "remove_all_notes" => remove_all(live, a).await,
        "get_clip_gain" => gain(live, a).await,
        "set_clip_gain" => set_gain(live, a).await,
        "get_clip_pitch" => pitch(live, a).await,
        "set_clip_pitch" => set_pitch(live, a).await,
        "get_clip_warp_info" => warp_info(live, a).await,
        "set_clip_warp_mode" => set_warp_mode(live, a).await,
        _ => return None,
    })
}

/// Reads `track_index` and `clip_index` and checks the slot holds a clip.
pub async fn clip(live: Live<'_>, a: Args<'_>) -> Result<(i32, i32), ToolError> {
    let t = a.index("track_index")?;
    let c = a.index("clip_index")?;
    live.clip(t, c).await?;
    Ok((t, c))
}

/// Reads `track_index` and `clip_index` and checks the slot holds a MIDI clip.
pub async fn midi_clip(live: Live<'_>, a: Args<'_>) -> Result<(i32, i32), ToolError> {
    let (t, c) = clip(live, a).await?;
    if !live
        .flag("/live/clip/get/is_midi_clip", vec![oi(t), oi(c)])
        .await?
    {
        return Err(state_error(format!(
            "the clip in track {t}, slot {c} is an audio clip; notes need a MIDI clip"
        )));
    }
    Ok((t, c))
}

async fn audio_clip(live: Live<'_>, a: Args<'_>) -> Result<(i32, i32), ToolError> {
    let (t, c) = clip(live, a).await?;
    if !live
        .flag("/live/clip/get/is_audio_clip", vec![oi(t), oi(c)])
        .await?
    {
        return Err(state_error(format!(
            "the clip in track {t}, slot {c} is a MIDI clip; this applies to audio clips only"
        )));
    }
    Ok((t, c))
}

/// All notes of a clip.
pub async fn read_notes(live: Live<'_>, t: i32, c: i32) -> Result<Vec<Note>, ToolError> {
    let values = live.get("/live/clip/get/notes", vec![oi(t), oi(c)]).await?;
    Ok(notes::from_osc(&values))
}

/// Replaces all notes of a clip with `new` (remove all, then add).
pub async fn replace_notes(live: Live<'_>, t: i32, c: i32, new: &[Note]) -> Result<(), ToolError> {
    live.cmd("/live/clip/remove/notes", vec![oi(t), oi(c)])
        .await?;
    write_notes(live, t, c, new).await
}

/// Adds notes to a clip, in batches that fit a UDP datagram.
pub async fn write_notes(live: Live<'_>, t: i32, c: i32, new: &[Note]) -> Result<(), ToolError> {
    for batch in new.chunks(200) {
        let mut args = vec![oi(t), oi(c)];
        args.extend(notes::to_osc(batch));
        live.cmd("/live/clip/add/notes", args).await?;
    }
    Ok(())
}

fn notes_json(notes: &[Note]) -> Value {
    Value::Array(notes.iter().map(Note::to_json).collect())
}

/// Creates a MIDI clip of `length` beats in an empty slot.
pub async fn create_in(live: Live<'_>, t: i32, c: i32, length: f64) -> Result<(), ToolError> {
    live.cmd(
        "/live/clip_slot/create_clip",
        vec![oi(t), oi(c), of(length)],
    )
    .await
}

async fn create(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let length = a.num_in("length", 0.0625, 4096.0)?;
    let t = a.index("track_index")?;
    let c = a.index("clip_index")?;
    live.track(t).await?;
    live.scene(c, "clip_index").await?;
    if live
        .flag("/live/clip_slot/get/has_clip", vec![oi(t), oi(c)])
        .await?
    {
        return Err(state_error(format!(
            "track {t}, slot {c} already holds a clip"
        )));
    }
    if !live
        .flag("/live/track/get/has_midi_input", vec![oi(t)])
        .await?
    {
        return Err(state_error(format!(
            "track {t} is not a MIDI track; clips can only be created on MIDI tracks"
        )));
    }
    create_in(live, t, c, length).await?;
    let now = live
        .num("/live/clip/get/length", vec![oi(t), oi(c)])
        .await?;
    done(
        format!("Created a {}-beat clip in track {t}, slot {c}", round(now)),
        json!({"track_index": t, "clip_index": c, "length": round(now)}),
    )
}

async fn delete(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let (t, c) = clip(live, a).await?;
    let name = live.text("/live/clip/get/name", vec![oi(t), oi(c)]).await?;
    live.cmd("/live/clip_slot/delete_clip", vec![oi(t), oi(c)])
        .await?;
    done(
        format!("Deleted clip \"{name}\" in track {t}, slot {c}"),
        json!({"track_index": t, "clip_index": c, "deleted": name}),
    )
}

async fn duplicate(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let (t, c) = clip(live, a).await?;
    let scenes = live.num_scenes().await?;
    let mut target = None;
    for s in c + 1..scenes {
        if !live
            .flag("/live/clip_slot/get/has_clip", vec![oi(t), oi(s)])
            .await?
        {
            target = Some(s);
            break;
        }
    }
    let Some(s) = target else {
        return Err(state_error(format!(
            "no empty slot below slot {c} on track {t}; add a scene first"
        )));
    };
    live.cmd(
        "/live/clip_slot/duplicate_clip_to",
        vec![oi(t), oi(c), oi(t), oi(s)],
    )
    .await?;
    done(
        format!("Copied the clip in track {t}, slot {c} to slot {s}"),
        json!({"track_index": t, "clip_index": c, "new_clip_index": s}),
    )
}

async fn launch(live: Live<'_>, a: Args<'_>, what: &str, label: &str) -> ToolResult {
    let (t, c) = clip(live, a).await?;
    live.cmd(&format!("/live/clip/{what}"), vec![oi(t), oi(c)])
        .await?;
    done(
        format!("{label} the clip in track {t}, slot {c}"),
        json!({"track_index": t, "clip_index": c, "action": what}),
    )
}

async fn set_name(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let name = a.str("name")?.to_string();
    let (t, c) = clip(live, a).await?;
    live.cmd("/live/clip/set/name", vec![oi(t), oi(c), os(&name)])
        .await?;
    let now = live.text("/live/clip/get/name", vec![oi(t), oi(c)]).await?;
    done(
        format!("Clip in track {t}, slot {c} renamed to \"{now}\""),
        json!({"track_index": t, "clip_index": c, "name": now}),
    )
}

async fn get_color(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let (t, c) = clip(live, a).await?;
    let color = live.int("/live/clip/get/color", vec![oi(t), oi(c)]).await?;
    done(
        format!("Clip colour is #{color:06X}"),
        json!({"track_index": t, "clip_index": c, "color": color}),
    )
}

async fn set_color(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let color = a.int_in("color", 0, 0xFF_FFFF)? as i32;
    let (t, c) = clip(live, a).await?;
    live.cmd("/live/clip/set/color", vec![oi(t), oi(c), oi(color)])
        .await?;
    let now = live.int("/live/clip/get/color", vec![oi(t), oi(c)]).await?;
    done(
        format!("Clip colour set to #{now:06X}"),
        json!({"track_index": t, "clip_index": c, "color": now}),
    )
}

async fn loop_state(live: Live<'_>, t: i32, c: i32) -> Result<Value, ToolError> {
    let start = live
        .num("/live/clip/get/loop_start", vec![oi(t), oi(c)])
        .await?;
    let end = live
        .num("/live/clip/get/loop_end", vec![oi(t), oi(c)])
        .await?;
    let length = live
        .num("/live/clip/get/length", vec![oi(t), oi(c)])
        .await?;
    Ok(json!({
        "track_index": t, "clip_index": c,
        "loop_start": round(start), "loop_end": round(end), "length": round(length),
    }))
}

async fn get_loop(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let (t, c) = clip(live, a).await?;
    let data = loop_state(live, t, c).await?;
    done(
        format!("Clip loop {}–{}", data["loop_start"], data["loop_end"]),
        data,
    )
}

async fn set_loop(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let start = a.num_in("loop_start", 0.0, 1e6)?;
    let end = a.num("loop_end")?;
    if end <= start {
        return Err(arg_error(format!(
            "argument `loop_end` ({end}) must be after `loop_start` ({start})"
        )));
    }
    if !a.bool("looping")? {
        return Err(arg_error(
            "argument `looping`: switching a clip's looping off is not available over AbletonOSC; only the loop region can be set",
        ));
    }
    let (t, c) = clip(live, a).await?;
    let current_end = live
        .num("/live/clip/get/loop_end", vec![oi(t), oi(c)])
        .await?;
    // Live refuses a start at or after the end, so move whichever keeps start < end.
    if start >= current_end {
        live.cmd("/live/clip/set/loop_end", vec![oi(t), oi(c), of(end)])
            .await?;
        live.cmd("/live/clip/set/loop_start", vec![oi(t), oi(c), of(start)])
            .await?;
    } else {
        live.cmd("/live/clip/set/loop_start", vec![oi(t), oi(c), of(start)])
            .await?;
        live.cmd("/live/clip/set/loop_end", vec![oi(t), oi(c), of(end)])
            .await?;
    }
    let data = loop_state(live, t, c).await?;
    done(
        format!(
            "Clip loop set to {}–{}",
            data["loop_start"], data["loop_end"]
        ),
        data,
    )
}

async fn get_notes(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let (t, c) = midi_clip(live, a).await?;
    let name = live.text("/live/clip/get/name", vec![oi(t), oi(c)]).await?;
    let length = live
        .num("/live/clip/get/length", vec![oi(t), oi(c)])
        .await?;
    let mut notes = read_notes(live, t, c).await?;
    notes.sort_by(|x, y| x.start.total_cmp(&y.start).then(x.pitch.cmp(&y.pitch)));
    done(
        format!(
            "{} note(s) in clip \"{name}\" ({} beats)",
            notes.len(),
            round(length)
        ),
        json!({"track_index": t, "clip_index": c, "name": name, "length": round(length), "notes": notes_json(&notes)}),
    )
}

async fn add_notes(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let new = a
        .array("notes")?
        .iter()
        .enumerate()
        .map(|(i, v)| Note::from_json(v, i))
        .collect::<Result<Vec<_>, _>>()?;
    if new.is_empty() {
        return Err(arg_error("argument `notes` is empty"));
    }
    let (t, c) = midi_clip(live, a).await?;
    write_notes(live, t, c, &new).await?;
    let total = read_notes(live, t, c).await?.len();
    done(
        format!(
            "Added {} note(s) to track {t}, slot {c} ({total} in the clip now)",
            new.len()
        ),
        json!({"track_index": t, "clip_index": c, "added": new.len(), "note_count": total}),
    )
}

async fn remove_notes(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let from_time = a.num_in("from_time", 0.0, 1e6)?;
    let span = a.num_in("time_span", 0.0, 1e6)?;
    let from_pitch = a.int_in("from_pitch", 0, 127)? as i32;
    let pitch_span = a.int_in("pitch_span", 1, 128)? as i32;
    let (t, c) = midi_clip(live, a).await?;
    let before = read_notes(live, t, c).await?.len();
    live.cmd(
        "/live/clip/remove/notes",
        vec![
            oi(t),
            oi(c),
            oi(from_pitch),
            oi(pitch_span),
            of(from_time),
            of(span),
        ],
    )
    .await?;
    let after = read_notes(live, t, c).await?.len();
    done(
        format!("Removed {} note(s)", before.saturating_sub(after)),
        json!({"track_index": t, "clip_index": c, "removed": before.saturating_sub(after), "note_count": after}),
    )
}

async fn remove_all(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let (t, c) = midi_clip(live, a).await?;
    let before = read_notes(live, t, c).await?.len();
    live.cmd("/live/clip/remove/notes", vec![oi(t), oi(c)])
        .await?;
    done(
        format!("Removed all {before} note(s) from track {t}, slot {c}"),
        json!({"track_index": t, "clip_index": c, "removed": before}),
    )
}

async fn gain(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let (t, c) = audio_clip(live, a).await?;
    let g = live.num("/live/clip/get/gain", vec![oi(t), oi(c)]).await?;
    done(
        format!("Clip gain {}", round(g)),
        json!({"track_index": t, "clip_index": c, "gain": round(g)}),
    )
}

async fn set_gain(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let value = a.num_in("gain", 0.0, 1.0)?;
    let (t, c) = audio_clip(live, a).await?;
    live.cmd("/live/clip/set/gain", vec![oi(t), oi(c), of(value)])
        .await?;
    gain(live, a).await
}

async fn pitch(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let (t, c) = audio_clip(live, a).await?;
    let coarse = live
        .int("/live/clip/get/pitch_coarse", vec![oi(t), oi(c)])
        .await?;
    let fine = live
        .num("/live/clip/get/pitch_fine", vec![oi(t), oi(c)])
        .await?;
    done(
        format!("Clip pitch {coarse} st {} ct", round(fine)),
        json!({"track_index": t, "clip_index": c, "semitones": coarse, "cents": round(fine)}),
    )
}

async fn set_pitch(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let value = a.int_in("pitch", -48, 48)? as i32;
    let (t, c) = audio_clip(live, a).await?;
    live.cmd("/live/clip/set/pitch_coarse", vec![oi(t), oi(c), oi(value)])
        .await?;
    pitch(live, a).await
}

/// Live's warp modes by number.
const WARP_MODES: [(i32, &str); 6] = [
    (0, "beats"),
    (1, "tones"),
    (2, "texture"),
    (3, "repitch"),
    (4, "complex"),
    (6, "complex_pro"),
];

async fn warp_info(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let (t, c) = audio_clip(live, a).await?;
    let warping = live
        .flag("/live/clip/get/warping", vec![oi(t), oi(c)])
        .await?;
    let mode = live
        .int("/live/clip/get/warp_mode", vec![oi(t), oi(c)])
        .await? as i32;
    let sample_length = live
        .num("/live/clip/get/sample_length", vec![oi(t), oi(c)])
        .await?;
    let name = WARP_MODES
        .iter()
        .find(|(n, _)| *n == mode)
        .map_or("unknown", |(_, s)| s);
    done(
        format!(
            "Warping {}, mode {name}",
            if warping { "on" } else { "off" }
        ),
        json!({"track_index": t, "clip_index": c, "warping": warping, "warp_mode": name, "warp_mode_number": mode, "sample_length": sample_length}),
    )
}

async fn set_warp_mode(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let wanted = a
        .str("warp_mode")?
        .trim()
        .to_lowercase()
        .replace([' ', '-'], "_");
    let wanted = if wanted == "re_pitch" {
        "repitch".to_string()
    } else {
        wanted
    };
    let Some((mode, _)) = WARP_MODES.iter().find(|(_, s)| *s == wanted) else {
        let names: Vec<&str> = WARP_MODES.iter().map(|(_, s)| *s).collect();
        return Err(arg_error(format!(
            "argument `warp_mode` must be one of {}, got \"{wanted}\"",
            names.join(", ")
        )));
    };
    let (t, c) = audio_clip(live, a).await?;
    live.cmd("/live/clip/set/warp_mode", vec![oi(t), oi(c), oi(*mode)])
        .await?;
    warp_info(live, a).await
}
