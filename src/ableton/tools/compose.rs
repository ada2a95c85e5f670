//! Note edits and generators: read a clip's notes, compute in Rust (`notes`), write them back
//! (remove, then add). Transpose, quantize, humanize timing and velocity, drum patterns and
//! basslines. Humanizing is seeded: the seed used is returned, and passing it again repeats
//! the result.

use serde_json::json;

use super::args::{arg_error, done, oi, round, state_error, Args, Live, ToolError, ToolResult};
use super::clip::{create_in, midi_clip, read_notes, replace_notes, write_notes};
use super::notes::{self, Note};

/// Runs a composing tool, or `None` if `name` is not one.
pub async fn call(live: Live<'_>, name: &str, a: Args<'_>) -> Option<ToolResult> {
    Some(match name {
        "transpose_notes" => transpose(live, a).await,
        "quantize_clip_notes" => quantize(live, a).await,
        "humanize_clip_timing" => humanize(live, a, false).await,
        "humanize_clip_velocity" => humanize(live, a, true).await,
        "generate_drum_pattern" => generate(live, a, true).await,
        "generate_bassline" => generate(live, a, false).await,
        _ => return None,
    })
}

/// Reads a clip's notes, failing clearly when it has none.
async fn existing(live: Live<'_>, t: i32, c: i32) -> Result<Vec<Note>, ToolError> {
    let notes = read_notes(live, t, c).await?;
    if notes.is_empty() {
        return Err(state_error(format!(
            "the clip in track {t}, slot {c} has no notes"
        )));
    }
    Ok(notes)
}

async fn transpose(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let semitones = a.int_in("semitones", -127, 127)? as i32;
    let (t, c) = midi_clip(live, a).await?;
    let old = existing(live, t, c).await?;
    let new = notes::transpose(&old, semitones).map_err(state_error)?;
    replace_notes(live, t, c, &new).await?;
    done(
        format!(
            "Transposed {} note(s) by {semitones} semitone(s)",
            new.len()
        ),
        json!({"track_index": t, "clip_index": c, "semitones": semitones, "note_count": new.len()}),
    )
}

async fn quantize(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let grid = a.num_in("grid", 1.0 / 64.0, 16.0)?;
    let (t, c) = midi_clip(live, a).await?;
    let old = existing(live, t, c).await?;
    let new = notes::quantize(&old, grid);
    let moved = old
        .iter()
        .zip(&new)
        .filter(|(o, n)| (o.start - n.start).abs() > 1e-6)
        .count();
    replace_notes(live, t, c, &new).await?;
    done(
        format!(
            "Quantized {} note(s) to a {grid}-beat grid ({moved} moved)",
            new.len()
        ),
        json!({"track_index": t, "clip_index": c, "grid": grid, "note_count": new.len(), "moved": moved}),
    )
}

async fn humanize(live: Live<'_>, a: Args<'_>, velocity: bool) -> ToolResult {
    let amount = a.num_in("amount", 0.0, 1.0)?;
    let seed = if a.has("seed") {
        u64::try_from(a.int("seed")?).map_err(|_| arg_error("argument `seed` must be ≥ 0"))?
    } else {
        rand::random::<u32>().into()
    };
    let (t, c) = midi_clip(live, a).await?;
    let old = existing(live, t, c).await?;
    let new = if velocity {
        notes::humanize_velocity(&old, amount, seed)
    } else {
        notes::humanize_timing(&old, amount, seed)
    };
    replace_notes(live, t, c, &new).await?;
    let what = if velocity { "velocities" } else { "timing" };
    done(
        format!(
            "Humanized the {what} of {} note(s) (amount {amount}, seed {seed})",
            new.len()
        ),
        json!({"track_index": t, "clip_index": c, "amount": amount, "seed": seed, "note_count": new.len()}),
    )
}

async fn generate(live: Live<'_>, a: Args<'_>, drums: bool) -> ToolResult {
    let length = a.num_in("length", 0.25, 1024.0)?;
    let pattern = if drums {
        notes::drum_pattern(a.str("style")?, length)?
    } else {
        let root = a.int_in("root", 0, 127)? as i32;
        notes::bassline(root, a.str("scale_type")?, length)?
    };
    let t = a.index("track_index")?;
    let c = a.index("clip_index")?;
    live.track(t).await?;
    live.scene(c, "clip_index").await?;
    let created = !live
        .flag("/live/clip_slot/get/has_clip", vec![oi(t), oi(c)])
        .await?;
    if created {
        if !live
            .flag("/live/track/get/has_midi_input", vec![oi(t)])
            .await?
        {
            return Err(state_error(format!("track {t} is not a MIDI track")));
        }
        create_in(live, t, c, length).await?;
    } else {
        midi_clip(live, a).await?;
    }
    write_notes(live, t, c, &pattern).await?;
    let what = if drums {
        format!("{} drum pattern", a.str("style")?)
    } else {
        format!("{} bassline", a.str("scale_type")?)
    };
    done(
        format!(
            "Wrote a {}-beat {what} ({} notes) into track {t}, slot {c}{}",
            round(length),
            pattern.len(),
            if created { " (new clip)" } else { "" }
        ),
        json!({
            "track_index": t, "clip_index": c, "created_clip": created, "length": round(length),
            "notes": pattern.iter().map(Note::to_json).collect::<Vec<_>>(),
        }),
    )
}
