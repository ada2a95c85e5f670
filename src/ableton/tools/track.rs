//! Track tools: overview, creating, deleting and duplicating tracks, name/colour/mute/solo/arm,
//! mixer (volume, pan, sends), routing, monitoring and folding.

use futures::future::try_join_all;
use serde_json::{json, Value};

use super::args::{
    arg_error, done, of, oi, os, round, state_error, Args, Live, ToolError, ToolResult,
};

/// Runs a track tool, or `None` if `name` is not one.
pub async fn call(live: Live<'_>, name: &str, a: Args<'_>) -> Option<ToolResult> {
    Some(match name {
        "get_track_info" => info(live, a).await,
        "get_track_color" => get_color(live, a).await,
        "set_track_color" => set_color(live, a).await,
        "create_midi_track" => create(live, a, "midi").await,
        "create_audio_track" => create(live, a, "audio").await,
        "delete_track" => delete(live, a).await,
        "duplicate_track" => duplicate(live, a).await,
        "set_track_name" => set_name(live, a).await,
        "set_track_mute" => set_flag(live, a, "mute", "mute", "muted", "unmuted").await,
        "set_track_solo" => set_flag(live, a, "solo", "solo", "soloed", "unsoloed").await,
        "set_track_arm" => set_arm(live, a).await,
        "set_track_volume" => set_level(live, a, "volume", "volume", 0.0, 1.0).await,
        "set_track_pan" => set_level(live, a, "panning", "pan", -1.0, 1.0).await,
        "unarm_all" => unarm_all(live).await,
        "get_send_level" => get_send(live, a).await,
        "set_send_level" => set_send(live, a).await,
        "get_track_input_routing" => routing(live, a, "input").await,
        "get_track_output_routing" => routing(live, a, "output").await,
        "get_available_inputs" => available(live, a, "input").await,
        "get_available_outputs" => available(live, a, "output").await,
        "set_track_input_routing" => set_routing(live, a, "input").await,
        "set_track_output_routing" => set_routing(live, a, "output").await,
        "get_track_monitoring" => monitoring(live, a).await,
        "set_track_monitoring" => set_monitoring(live, a).await,
        "fold_track" => fold(live, a, true).await,
        "unfold_track" => fold(live, a, false).await,
        _ => return None,
    })
}

/// Reads the `track_index` argument and checks the track exists.
async fn track(live: Live<'_>, a: Args<'_>) -> Result<i32, ToolError> {
    let t = a.index("track_index")?;
    live.track(t).await?;
    Ok(t)
}

async fn info(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let t = track(live, a).await?;
    let ti = || vec![oi(t)];
    let name = live.text("/live/track/get/name", ti()).await?;
    let mute = live.flag("/live/track/get/mute", ti()).await?;
    let solo = live.flag("/live/track/get/solo", ti()).await?;
    let can_arm = live.flag("/live/track/get/can_be_armed", ti()).await?;
    let arm = if can_arm {
        live.flag("/live/track/get/arm", ti()).await?
    } else {
        false
    };
    let volume = live.num("/live/track/get/volume", ti()).await?;
    let pan = live.num("/live/track/get/panning", ti()).await?;
    let midi = live.flag("/live/track/get/has_midi_input", ti()).await?;
    let audio = live.flag("/live/track/get/has_audio_input", ti()).await?;
    let color = live.int("/live/track/get/color", ti()).await?;
    let playing = live.int("/live/track/get/playing_slot_index", ti()).await?;
    let device_names = live.texts("/live/track/get/devices/name", ti()).await?;
    let device_classes = live
        .texts("/live/track/get/devices/class_name", ti())
        .await?;
    let devices: Vec<Value> = device_names
        .iter()
        .enumerate()
        .map(|(i, n)| json!({"index": i, "name": n, "class_name": device_classes.get(i)}))
        .collect();
    let clip_names = live.get("/live/track/get/clips/name", ti()).await?;
    let clip_lengths = live.nums("/live/track/get/clips/length", ti()).await?;
    let slots: Vec<Value> = clip_names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let has_clip = !matches!(n, rosc::OscType::Nil);
            json!({
                "index": i,
                "has_clip": has_clip,
                "name": if has_clip { json!(super::args::as_text(n)) } else { Value::Null },
                "length": if has_clip { json!(clip_lengths.get(i).map(|l| round(*l))) } else { Value::Null },
            })
        })
        .collect();
    let kind = if midi {
        "midi"
    } else if audio {
        "audio"
    } else {
        "other"
    };
    done(
        format!(
            "Track {t} \"{name}\" ({kind}): volume {}, pan {}, {} device(s), {} clip(s){}{}{}",
            round(volume),
            round(pan),
            devices.len(),
            slots
                .iter()
                .filter(|s| s["has_clip"] == json!(true))
                .count(),
            if mute { ", muted" } else { "" },
            if solo { ", soloed" } else { "" },
            if arm { ", armed" } else { "" },
        ),
        json!({
            "index": t, "name": name, "type": kind, "color": color,
            "mute": mute, "solo": solo, "arm": arm, "can_be_armed": can_arm,
            "volume": round(volume), "panning": round(pan),
            "playing_slot_index": playing,
            "devices": devices, "clip_slots": slots,
        }),
    )
}

async fn get_color(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let t = track(live, a).await?;
    let color = live.int("/live/track/get/color", vec![oi(t)]).await?;
    done(
        format!("Track {t} colour is #{color:06X}"),
        json!({"track_index": t, "color": color}),
    )
}

async fn set_color(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let color = a.int_in("color", 0, 0xFF_FFFF)? as i32;
    let t = track(live, a).await?;
    live.cmd("/live/track/set/color", vec![oi(t), oi(color)])
        .await?;
    let now = live.int("/live/track/get/color", vec![oi(t)]).await?;
    done(
        format!("Track {t} colour set to #{now:06X}"),
        json!({"track_index": t, "color": now}),
    )
}

async fn create(live: Live<'_>, a: Args<'_>, kind: &str) -> ToolResult {
    let index = a.int("index")?;
    let before = live.num_tracks().await?;
    if index < -1 || index > i64::from(before) {
        return Err(arg_error(format!(
            "argument `index` must be -1 (at the end) or 0–{before}, got {index}"
        )));
    }
    live.cmd(
        &format!("/live/song/create_{kind}_track"),
        vec![oi(index as i32)],
    )
    .await?;
    let after = live.num_tracks().await?;
    if after <= before {
        return Err(state_error(format!("Live did not add a {kind} track")));
    }
    let at = if index < 0 { after - 1 } else { index as i32 };
    let name = live.text("/live/track/get/name", vec![oi(at)]).await?;
    done(
        format!("Created {kind} track {at} \"{name}\""),
        json!({"index": at, "name": name, "type": kind, "track_count": after}),
    )
}

async fn delete(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let t = track(live, a).await?;
    let name = live.text("/live/track/get/name", vec![oi(t)]).await?;
    live.cmd("/live/song/delete_track", vec![oi(t)]).await?;
    let left = live.num_tracks().await?;
    done(
        format!("Deleted track {t} \"{name}\""),
        json!({"deleted": {"index": t, "name": name}, "track_count": left}),
    )
}

async fn duplicate(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let t = track(live, a).await?;
    live.cmd("/live/song/duplicate_track", vec![oi(t)]).await?;
    let name = live.text("/live/track/get/name", vec![oi(t + 1)]).await?;
    let count = live.num_tracks().await?;
    done(
        format!("Duplicated track {t} as track {} \"{name}\"", t + 1),
        json!({"source_index": t, "new_index": t + 1, "name": name, "track_count": count}),
    )
}

async fn set_name(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let name = a.str("name")?.to_string();
    let t = track(live, a).await?;
    live.cmd("/live/track/set/name", vec![oi(t), os(&name)])
        .await?;
    let now = live.text("/live/track/get/name", vec![oi(t)]).await?;
    done(
        format!("Track {t} renamed to \"{now}\""),
        json!({"track_index": t, "name": now}),
    )
}

async fn set_flag(
    live: Live<'_>,
    a: Args<'_>,
    property: &str,
    arg: &str,
    on: &str,
    off: &str,
) -> ToolResult {
    let value = a.bool(arg)?;
    let t = track(live, a).await?;
    live.cmd(
        &format!("/live/track/set/{property}"),
        vec![oi(t), oi(i32::from(value))],
    )
    .await?;
    let now = live
        .flag(&format!("/live/track/get/{property}"), vec![oi(t)])
        .await?;
    done(
        format!("Track {t} {}", if now { on } else { off }),
        json!({"track_index": t, property: now}),
    )
}

async fn set_arm(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let value = a.bool("arm")?;
    let t = track(live, a).await?;
    if !live
        .flag("/live/track/get/can_be_armed", vec![oi(t)])
        .await?
    {
        return Err(state_error(format!(
            "track {t} cannot be armed (a group or return track)"
        )));
    }
    set_flag(live, a, "arm", "arm", "armed", "disarmed")
        .await
        .map(|mut d| {
            d.data["arm"] = json!(value);
            d
        })
}

async fn set_level(
    live: Live<'_>,
    a: Args<'_>,
    property: &str,
    arg: &str,
    min: f64,
    max: f64,
) -> ToolResult {
    let value = a.num_in(arg, min, max)?;
    let t = track(live, a).await?;
    live.cmd(
        &format!("/live/track/set/{property}"),
        vec![oi(t), of(value)],
    )
    .await?;
    let now = live
        .num(&format!("/live/track/get/{property}"), vec![oi(t)])
        .await?;
    done(
        format!("Track {t} {arg} set to {}", round(now)),
        json!({"track_index": t, arg: round(now)}),
    )
}

async fn unarm_all(live: Live<'_>) -> ToolResult {
    let n = live.num_tracks().await?;
    let mut disarmed = Vec::new();
    for t in 0..n {
        if live
            .flag("/live/track/get/can_be_armed", vec![oi(t)])
            .await?
            && live.flag("/live/track/get/arm", vec![oi(t)]).await?
        {
            live.cmd("/live/track/set/arm", vec![oi(t), oi(0)]).await?;
            disarmed.push(t);
        }
    }
    done(
        format!("Disarmed {} track(s)", disarmed.len()),
        json!({ "disarmed": disarmed }),
    )
}

/// A send level; the reply repeats the send index after the track index.
async fn send_level(live: Live<'_>, t: i32, s: i32) -> Result<f64, ToolError> {
    let values = live.get("/live/track/get/send", vec![oi(t), oi(s)]).await?;
    values
        .get(1)
        .or(values.first())
        .and_then(super::args::as_f64)
        .ok_or_else(|| state_error(format!("Live sent no level for send {s} of track {t}")))
}

/// Reads `send_index` and checks the track has that send.
async fn send(live: Live<'_>, a: Args<'_>, t: i32) -> Result<i32, ToolError> {
    let s = a.index("send_index")?;
    match send_level(live, t, s).await {
        Ok(_) => Ok(s),
        Err(ToolError::Live(crate::ableton::osc::OscError::Live(e))) => Err(arg_error(format!(
            "argument `send_index` {s} does not exist on track {t}: {e}"
        ))),
        Err(e) => Err(e),
    }
}

async fn get_send(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let t = track(live, a).await?;
    let s = send(live, a, t).await?;
    let level = send_level(live, t, s).await?;
    done(
        format!("Track {t} send {s} is at {}", round(level)),
        json!({"track_index": t, "send_index": s, "level": round(level)}),
    )
}

async fn set_send(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let level = a.num_in("level", 0.0, 1.0)?;
    let t = track(live, a).await?;
    let s = send(live, a, t).await?;
    live.cmd("/live/track/set/send", vec![oi(t), oi(s), of(level)])
        .await?;
    let now = send_level(live, t, s).await?;
    done(
        format!("Track {t} send {s} set to {}", round(now)),
        json!({"track_index": t, "send_index": s, "level": round(now)}),
    )
}

async fn routing(live: Live<'_>, a: Args<'_>, dir: &str) -> ToolResult {
    let t = track(live, a).await?;
    let kind = live
        .text(&format!("/live/track/get/{dir}_routing_type"), vec![oi(t)])
        .await?;
    let channel = live
        .text(
            &format!("/live/track/get/{dir}_routing_channel"),
            vec![oi(t)],
        )
        .await?;
    done(
        format!("Track {t} {dir}: {kind} / {channel}"),
        json!({"track_index": t, "routing_type": kind, "routing_channel": channel}),
    )
}

async fn options(
    live: Live<'_>,
    t: i32,
    dir: &str,
) -> Result<(Vec<String>, Vec<String>), ToolError> {
    let addresses = [
        format!("/live/track/get/available_{dir}_routing_types"),
        format!("/live/track/get/available_{dir}_routing_channels"),
    ];
    let mut lists = try_join_all(addresses.iter().map(|ad| live.texts(ad, vec![oi(t)]))).await?;
    let channels = lists.pop().unwrap_or_default();
    let types = lists.pop().unwrap_or_default();
    Ok((types, channels))
}

async fn available(live: Live<'_>, a: Args<'_>, dir: &str) -> ToolResult {
    let t = track(live, a).await?;
    let (types, channels) = options(live, t, dir).await?;
    done(
        format!("Track {t} {dir}s: {}", types.join(", ")),
        json!({"track_index": t, "routing_types": types, "routing_channels": channels}),
    )
}

async fn set_routing(live: Live<'_>, a: Args<'_>, dir: &str) -> ToolResult {
    let kind = a.str("routing_type")?.to_string();
    let channel = a.str("routing_channel")?.to_string();
    let t = track(live, a).await?;
    let (types, _) = options(live, t, dir).await?;
    if !types.contains(&kind) {
        return Err(arg_error(format!(
            "argument `routing_type` \"{kind}\" is not available on track {t}; choose one of: {}",
            types.join(", ")
        )));
    }
    live.cmd(
        &format!("/live/track/set/{dir}_routing_type"),
        vec![oi(t), os(&kind)],
    )
    .await?;
    if !channel.is_empty() {
        let (_, channels) = options(live, t, dir).await?;
        if !channels.contains(&channel) {
            return Err(arg_error(format!(
                "argument `routing_channel` \"{channel}\" is not available for {kind}; choose one of: {}",
                channels.join(", ")
            )));
        }
        live.cmd(
            &format!("/live/track/set/{dir}_routing_channel"),
            vec![oi(t), os(&channel)],
        )
        .await?;
    }
    routing(live, a, dir).await
}

const MONITORING: [&str; 3] = ["in", "auto", "off"];

async fn monitoring(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let t = track(live, a).await?;
    let state = live
        .int("/live/track/get/current_monitoring_state", vec![oi(t)])
        .await?;
    let name = MONITORING.get(state as usize).copied().unwrap_or("unknown");
    done(
        format!("Track {t} monitoring: {name}"),
        json!({"track_index": t, "monitoring": name}),
    )
}

async fn set_monitoring(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let wanted = a.str("monitoring")?.trim().to_lowercase();
    let state = MONITORING
        .iter()
        .position(|m| *m == wanted)
        .ok_or_else(|| {
            arg_error(format!(
                "argument `monitoring` must be in, auto or off, got \"{wanted}\""
            ))
        })?;
    let t = track(live, a).await?;
    live.cmd(
        "/live/track/set/current_monitoring_state",
        vec![oi(t), oi(state as i32)],
    )
    .await?;
    monitoring(live, a).await
}

async fn fold(live: Live<'_>, a: Args<'_>, folded: bool) -> ToolResult {
    let t = track(live, a).await?;
    if !live
        .flag("/live/track/get/is_foldable", vec![oi(t)])
        .await?
    {
        return Err(state_error(format!(
            "track {t} is not a group track, so it cannot be {}",
            if folded { "folded" } else { "unfolded" }
        )));
    }
    live.cmd(
        "/live/track/set/fold_state",
        vec![oi(t), oi(i32::from(folded))],
    )
    .await?;
    let now = live.flag("/live/track/get/fold_state", vec![oi(t)]).await?;
    done(
        format!("Track {t} {}", if now { "folded" } else { "unfolded" }),
        json!({"track_index": t, "folded": now}),
    )
}
