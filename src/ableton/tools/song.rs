//! Song-level tools: health, session overview, transport, tempo, recording, loop, locators
//! (cue points), metronome, undo/redo, selection in Live's view, and scale lookup.

use serde_json::{json, Value};

use super::args::{arg_error, done, of, oi, os, round, state_error, Args, Live, ToolResult};
use super::notes::{pitch_name, scale_notes};
use crate::ableton::osc::LiveStatus;

/// Runs a song tool, or `None` if `name` is not one.
pub async fn call(live: Live<'_>, name: &str, a: Args<'_>) -> Option<ToolResult> {
    Some(match name {
        "health_check" => health(live).await,
        "get_playback_position" => position(live).await,
        "get_session_info" => session_info(live).await,
        "set_tempo" => set_tempo(live, a).await,
        "start_playback" => {
            transport(live, "/live/song/start_playing", "Playback started", true).await
        }
        "stop_playback" => {
            transport(live, "/live/song/stop_playing", "Playback stopped", false).await
        }
        "undo" => undo_redo(live, "undo").await,
        "redo" => undo_redo(live, "redo").await,
        "start_recording" => recording(live, true).await,
        "stop_recording" => recording(live, false).await,
        "toggle_session_record" => toggle(live, "session_record", "Session recording").await,
        "toggle_arrangement_record" => toggle(live, "record_mode", "Arrangement recording").await,
        "set_overdub" => {
            set_flag(
                live,
                "arrangement_overdub",
                "MIDI overdub",
                a.bool("enabled"),
            )
            .await
        }
        "set_metronome" => set_flag(live, "metronome", "Metronome", a.bool("enabled")).await,
        "get_metronome_state" => metronome(live).await,
        "capture_midi" => capture(live).await,
        "get_arrangement_length" => arrangement_length(live).await,
        "set_arrangement_loop" => set_loop(live, a).await,
        "jump_to_time" => jump(live, a).await,
        "get_locators" => locators(live).await.and_then(|l| {
            let text = format!("{} locator(s)", l.len());
            done(text, json!({ "locators": l }))
        }),
        "create_locator" => create_locator(live, a).await,
        "delete_locator" => delete_locator(live, a).await,
        "get_current_view" => current_view(live).await,
        "select_track" => select_track(live, a).await,
        "select_scene" => select_scene(live, a).await,
        "select_clip" => select_clip(live, a).await,
        "get_scale_notes" => scale(a),
        _ => return None,
    })
}

async fn health(live: Live<'_>) -> ToolResult {
    match live.osc.check().await {
        LiveStatus::Connected { version } => done(
            format!("Ableton Live {version} answers over AbletonOSC"),
            json!({"connected": true, "live_version": version, "live_address": live.osc.live_addr().to_string()}),
        ),
        LiveStatus::NotResponding { detail } => Err(state_error(detail)),
        LiveStatus::Unknown => Err(state_error("Live's status is unknown")),
    }
}

async fn position(live: Live<'_>) -> ToolResult {
    let time = live.num("/live/song/get/current_song_time", vec![]).await?;
    let playing = live.flag("/live/song/get/is_playing", vec![]).await?;
    let tempo = live.num("/live/song/get/tempo", vec![]).await?;
    let numerator = live
        .num("/live/song/get/signature_numerator", vec![])
        .await?
        .max(1.0);
    let bar = (time / numerator).floor() as i64 + 1;
    let beat = time - (bar - 1) as f64 * numerator + 1.0;
    done(
        format!(
            "{} at beat {} (bar {bar}, beat {}), {} BPM",
            if playing { "Playing" } else { "Stopped" },
            round(time),
            round(beat),
            round(tempo)
        ),
        json!({"current_time": round(time), "bar": bar, "beat_in_bar": round(beat), "is_playing": playing, "tempo": round(tempo)}),
    )
}

async fn session_info(live: Live<'_>) -> ToolResult {
    let tempo = live.num("/live/song/get/tempo", vec![]).await?;
    let numerator = live
        .int("/live/song/get/signature_numerator", vec![])
        .await?;
    let denominator = live
        .int("/live/song/get/signature_denominator", vec![])
        .await?;
    let playing = live.flag("/live/song/get/is_playing", vec![]).await?;
    let time = live.num("/live/song/get/current_song_time", vec![]).await?;
    let metronome = live.flag("/live/song/get/metronome", vec![]).await?;
    let looping = live.flag("/live/song/get/loop", vec![]).await?;
    let loop_start = live.num("/live/song/get/loop_start", vec![]).await?;
    let loop_length = live.num("/live/song/get/loop_length", vec![]).await?;
    let song_length = live.num("/live/song/get/song_length", vec![]).await?;
    let num_tracks = live.num_tracks().await?;
    let num_scenes = live.num_scenes().await?;
    let names = if num_tracks > 0 {
        live.texts("/live/song/get/track_names", vec![]).await?
    } else {
        Vec::new()
    };
    let tracks: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(i, n)| json!({"index": i, "name": n}))
        .collect();
    done(
        format!(
            "{} BPM, {numerator}/{denominator}, {}, {num_tracks} track(s), {num_scenes} scene(s)",
            round(tempo),
            if playing { "playing" } else { "stopped" }
        ),
        json!({
            "tempo": round(tempo),
            "signature_numerator": numerator,
            "signature_denominator": denominator,
            "is_playing": playing,
            "current_time": round(time),
            "metronome": metronome,
            "loop": {"enabled": looping, "start": round(loop_start), "length": round(loop_length)},
            "song_length": round(song_length),
            "track_count": num_tracks,
            "scene_count": num_scenes,
            "tracks": tracks,
        }),
    )
}

async fn set_tempo(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let tempo = a.num_in("tempo", 20.0, 999.0)?;
    live.cmd("/live/song/set/tempo", vec![of(tempo)]).await?;
    let now = live.num("/live/song/get/tempo", vec![]).await?;
    done(
        format!("Tempo set to {} BPM", round(now)),
        json!({"tempo": round(now)}),
    )
}

async fn transport(live: Live<'_>, address: &str, text: &str, _start: bool) -> ToolResult {
    live.cmd(address, vec![]).await?;
    let playing = live.flag("/live/song/get/is_playing", vec![]).await?;
    done(text, json!({"is_playing": playing}))
}

async fn undo_redo(live: Live<'_>, what: &str) -> ToolResult {
    let can = live
        .flag(&format!("/live/song/get/can_{what}"), vec![])
        .await?;
    if !can {
        return Err(state_error(format!("there is nothing to {what} in Live")));
    }
    live.cmd(&format!("/live/song/{what}"), vec![]).await?;
    done(format!("Live: {what} done"), json!({ "done": what }))
}

async fn recording(live: Live<'_>, on: bool) -> ToolResult {
    live.cmd("/live/song/set/record_mode", vec![oi(i32::from(on))])
        .await?;
    if on && !live.flag("/live/song/get/is_playing", vec![]).await? {
        live.cmd("/live/song/start_playing", vec![]).await?;
    }
    let record = live.flag("/live/song/get/record_mode", vec![]).await?;
    let playing = live.flag("/live/song/get/is_playing", vec![]).await?;
    done(
        if on {
            "Arrangement recording started"
        } else {
            "Arrangement recording stopped"
        },
        json!({"record_mode": record, "is_playing": playing}),
    )
}

async fn toggle(live: Live<'_>, property: &str, label: &str) -> ToolResult {
    let now = live
        .flag(&format!("/live/song/get/{property}"), vec![])
        .await?;
    live.cmd(
        &format!("/live/song/set/{property}"),
        vec![oi(i32::from(!now))],
    )
    .await?;
    let after = live
        .flag(&format!("/live/song/get/{property}"), vec![])
        .await?;
    done(
        format!("{label} {}", if after { "on" } else { "off" }),
        json!({ property: after }),
    )
}

async fn set_flag(
    live: Live<'_>,
    property: &str,
    label: &str,
    value: Result<bool, super::args::ToolError>,
) -> ToolResult {
    let on = value?;
    live.cmd(
        &format!("/live/song/set/{property}"),
        vec![oi(i32::from(on))],
    )
    .await?;
    let after = live
        .flag(&format!("/live/song/get/{property}"), vec![])
        .await?;
    done(
        format!("{label} {}", if after { "on" } else { "off" }),
        json!({ "enabled": after }),
    )
}

async fn metronome(live: Live<'_>) -> ToolResult {
    let on = live.flag("/live/song/get/metronome", vec![]).await?;
    done(
        format!("Metronome {}", if on { "on" } else { "off" }),
        json!({ "enabled": on }),
    )
}

async fn capture(live: Live<'_>) -> ToolResult {
    live.cmd("/live/song/capture_midi", vec![]).await?;
    done(
        "Captured the recent MIDI input",
        json!({ "captured": true }),
    )
}

async fn arrangement_length(live: Live<'_>) -> ToolResult {
    let length = live.num("/live/song/get/song_length", vec![]).await?;
    done(
        format!("The arrangement is {} beats long", round(length)),
        json!({ "length": round(length) }),
    )
}

async fn set_loop(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let start = a.num_in("start", 0.0, 1e6)?;
    let end = a.num("end")?;
    if end <= start {
        return Err(arg_error(format!(
            "argument `end` ({end}) must be after `start` ({start})"
        )));
    }
    let enabled = a.bool("enabled")?;
    live.cmd("/live/song/set/loop_start", vec![of(start)])
        .await?;
    live.cmd("/live/song/set/loop_length", vec![of(end - start)])
        .await?;
    live.cmd("/live/song/set/loop", vec![oi(i32::from(enabled))])
        .await?;
    let s = live.num("/live/song/get/loop_start", vec![]).await?;
    let l = live.num("/live/song/get/loop_length", vec![]).await?;
    let on = live.flag("/live/song/get/loop", vec![]).await?;
    done(
        format!(
            "Arrangement loop {}–{} ({})",
            round(s),
            round(s + l),
            if on { "on" } else { "off" }
        ),
        json!({"start": round(s), "end": round(s + l), "enabled": on}),
    )
}

async fn jump(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let time = a.num_in("time", 0.0, 1e6)?;
    live.cmd("/live/song/set/current_song_time", vec![of(time)])
        .await?;
    let now = live.num("/live/song/get/current_song_time", vec![]).await?;
    done(
        format!("Moved to beat {}", round(now)),
        json!({ "current_time": round(now) }),
    )
}

/// The cue points as `[{index, name, time}]`, in Live's order.
async fn locators(live: Live<'_>) -> Result<Vec<Value>, super::args::ToolError> {
    let values = live.get("/live/song/get/cue_points", vec![]).await?;
    Ok(values
        .chunks_exact(2)
        .enumerate()
        .map(|(i, c)| {
            json!({
                "index": i,
                "name": super::args::as_text(&c[0]),
                "time": round(super::args::as_f64(&c[1]).unwrap_or(0.0)),
            })
        })
        .collect())
}

fn time_of(locator: &Value) -> f64 {
    locator.get("time").and_then(Value::as_f64).unwrap_or(-1.0)
}

async fn create_locator(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let time = a.num_in("time", 0.0, 1e6)?;
    let name = a.str("name")?.to_string();
    let before = locators(live).await?;
    if before.iter().any(|l| (time_of(l) - time).abs() < 1e-3) {
        return Err(state_error(format!(
            "there is already a locator at beat {time}"
        )));
    }
    let position = live.num("/live/song/get/current_song_time", vec![]).await?;
    live.cmd("/live/song/set/current_song_time", vec![of(time)])
        .await?;
    live.cmd("/live/song/cue_point/add_or_delete", vec![])
        .await?;
    let after = locators(live).await?;
    let created = after
        .iter()
        .find(|l| (time_of(l) - time).abs() < 1e-3)
        .cloned()
        .ok_or_else(|| {
            state_error(format!(
                "Live did not add a locator at beat {time} (is the song playing?)"
            ))
        })?;
    let index = created.get("index").and_then(Value::as_i64).unwrap_or(0) as i32;
    if !name.is_empty() {
        live.cmd("/live/song/cue_point/set/name", vec![oi(index), os(&name)])
            .await?;
    }
    live.cmd("/live/song/set/current_song_time", vec![of(position)])
        .await?;
    let created = locators(live)
        .await?
        .into_iter()
        .nth(index as usize)
        .unwrap_or(created);
    done(
        format!("Locator added at beat {time}"),
        json!({ "locator": created }),
    )
}

async fn delete_locator(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let index = a.index("locator_index")?;
    let all = locators(live).await?;
    let Some(target) = all.get(index as usize).cloned() else {
        return Err(arg_error(format!(
            "argument `locator_index` is {index}, but the set has {} locator(s)",
            all.len()
        )));
    };
    let position = live.num("/live/song/get/current_song_time", vec![]).await?;
    live.cmd(
        "/live/song/set/current_song_time",
        vec![of(time_of(&target))],
    )
    .await?;
    live.cmd("/live/song/cue_point/add_or_delete", vec![])
        .await?;
    live.cmd("/live/song/set/current_song_time", vec![of(position)])
        .await?;
    let left = locators(live).await?;
    if left.len() >= all.len() {
        return Err(state_error(format!(
            "Live did not delete the locator at beat {}",
            time_of(&target)
        )));
    }
    done(
        format!("Locator {index} deleted"),
        json!({"deleted": target, "remaining": left.len()}),
    )
}

async fn current_view(live: Live<'_>) -> ToolResult {
    use super::args::ToolError;
    // A selection that does not exist (no clip or device selected) is refused by Live: null.
    async fn opt(live: Live<'_>, address: &str) -> Result<Option<Vec<f64>>, ToolError> {
        match live.nums(address, vec![]).await {
            Ok(v) => Ok(Some(v)),
            Err(ToolError::Live(crate::ableton::osc::OscError::Live(_))) => Ok(None),
            Err(e) => Err(e),
        }
    }
    let track = opt(live, "/live/view/get/selected_track").await?;
    let scene = opt(live, "/live/view/get/selected_scene").await?;
    let clip = opt(live, "/live/view/get/selected_clip").await?;
    let device = opt(live, "/live/view/get/selected_device").await?;
    let first = |v: &Option<Vec<f64>>| v.as_ref().and_then(|v| v.first()).map(|x| *x as i64);
    let pair = |v: &Option<Vec<f64>>, a: &str, b: &str| {
        v.as_ref()
            .filter(|v| v.len() >= 2 && v[0] >= 0.0 && v[1] >= 0.0)
            .map(|v| json!({ a: v[0] as i64, b: v[1] as i64 }))
    };
    let data = json!({
        "selected_track": first(&track),
        "selected_scene": first(&scene),
        "selected_clip": pair(&clip, "track_index", "clip_index"),
        "selected_device": pair(&device, "track_index", "device_index"),
    });
    done(
        format!(
            "Selected: track {}, scene {}",
            first(&track).map_or("none".into(), |t| t.to_string()),
            first(&scene).map_or("none".into(), |s| s.to_string())
        ),
        data,
    )
}

async fn select_track(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let track = a.index("track_index")?;
    live.track(track).await?;
    live.cmd("/live/view/set/selected_track", vec![oi(track)])
        .await?;
    done(
        format!("Track {track} selected"),
        json!({ "selected_track": track }),
    )
}

async fn select_scene(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let scene = a.index("scene_index")?;
    live.scene(scene, "scene_index").await?;
    live.cmd("/live/view/set/selected_scene", vec![oi(scene)])
        .await?;
    done(
        format!("Scene {scene} selected"),
        json!({ "selected_scene": scene }),
    )
}

async fn select_clip(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let track = a.index("track_index")?;
    let clip = a.index("clip_index")?;
    live.track(track).await?;
    live.scene(clip, "clip_index").await?;
    live.cmd("/live/view/set/selected_clip", vec![oi(track), oi(clip)])
        .await?;
    done(
        format!("Clip slot {clip} of track {track} selected"),
        json!({"track_index": track, "clip_index": clip}),
    )
}

fn scale(a: Args<'_>) -> ToolResult {
    let root = a.int_in("root", 0, 127)? as i32;
    let scale_type = a.str("scale_type")?;
    let notes = scale_notes(root, scale_type)?;
    let names: Vec<String> = notes.iter().map(|p| pitch_name(*p)).collect();
    done(
        format!("{} {scale_type}: {}", pitch_name(root), names.join(" ")),
        json!({"root": root, "scale_type": scale_type, "notes": notes, "names": names}),
    )
}
