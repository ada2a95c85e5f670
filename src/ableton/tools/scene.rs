//! Scene tools: listing, creating, deleting, duplicating, launching and stopping scenes, and
//! their names and colours.

use futures::future::try_join_all;
use serde_json::json;

use super::args::{arg_error, done, oi, os, state_error, Args, Live, ToolError, ToolResult};

/// Runs a scene tool, or `None` if `name` is not one.
pub async fn call(live: Live<'_>, name: &str, a: Args<'_>) -> Option<ToolResult> {
    Some(match name {
        "get_all_scenes" => all(live).await,
        "create_scene" => create(live, a).await,
        "delete_scene" => delete(live, a).await,
        "duplicate_scene" => duplicate(live, a).await,
        "fire_scene" => fire(live, a).await,
        "stop_scene" => stop(live, a).await,
        "set_scene_name" => set_name(live, a).await,
        "get_scene_color" => get_color(live, a).await,
        "set_scene_color" => set_color(live, a).await,
        _ => return None,
    })
}

async fn scene(live: Live<'_>, a: Args<'_>) -> Result<i32, ToolError> {
    let s = a.index("scene_index")?;
    live.scene(s, "scene_index").await?;
    Ok(s)
}

async fn all(live: Live<'_>) -> ToolResult {
    let n = live.num_scenes().await?;
    let scenes = try_join_all((0..n).map(|s| async move {
        let name = live.text("/live/scene/get/name", vec![oi(s)]).await?;
        let color = live.int("/live/scene/get/color", vec![oi(s)]).await?;
        let empty = live.flag("/live/scene/get/is_empty", vec![oi(s)]).await?;
        Ok::<_, ToolError>(json!({"index": s, "name": name, "color": color, "is_empty": empty}))
    }))
    .await?;
    done(format!("{n} scene(s)"), json!({ "scenes": scenes }))
}

async fn create(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let index = a.int("index")?;
    let before = live.num_scenes().await?;
    if index < -1 || index > i64::from(before) {
        return Err(arg_error(format!(
            "argument `index` must be -1 (at the end) or 0–{before}, got {index}"
        )));
    }
    live.cmd("/live/song/create_scene", vec![oi(index as i32)])
        .await?;
    let after = live.num_scenes().await?;
    if after <= before {
        return Err(state_error("Live did not add a scene"));
    }
    let at = if index < 0 { after - 1 } else { index as i32 };
    done(
        format!("Created scene {at}"),
        json!({"index": at, "scene_count": after}),
    )
}

async fn delete(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let s = scene(live, a).await?;
    if live.num_scenes().await? <= 1 {
        return Err(state_error("the last scene of a set cannot be deleted"));
    }
    let name = live.text("/live/scene/get/name", vec![oi(s)]).await?;
    live.cmd("/live/song/delete_scene", vec![oi(s)]).await?;
    let left = live.num_scenes().await?;
    done(
        format!("Deleted scene {s} \"{name}\""),
        json!({"deleted": {"index": s, "name": name}, "scene_count": left}),
    )
}

async fn duplicate(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let s = scene(live, a).await?;
    live.cmd("/live/song/duplicate_scene", vec![oi(s)]).await?;
    let count = live.num_scenes().await?;
    done(
        format!("Duplicated scene {s} as scene {}", s + 1),
        json!({"source_index": s, "new_index": s + 1, "scene_count": count}),
    )
}

async fn fire(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let s = scene(live, a).await?;
    live.cmd("/live/scene/fire", vec![oi(s)]).await?;
    done(format!("Launched scene {s}"), json!({"scene_index": s}))
}

/// Stops the clips of the scene that are playing (AbletonOSC has no per-scene stop).
async fn stop(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let s = scene(live, a).await?;
    let tracks = live.num_tracks().await?;
    let mut stopped = Vec::new();
    for t in 0..tracks {
        let playing = live
            .int("/live/track/get/playing_slot_index", vec![oi(t)])
            .await?;
        let fired = live
            .int("/live/track/get/fired_slot_index", vec![oi(t)])
            .await?;
        if (playing == i64::from(s) || fired == i64::from(s))
            && live
                .flag("/live/clip_slot/get/has_clip", vec![oi(t), oi(s)])
                .await?
        {
            live.cmd("/live/clip/stop", vec![oi(t), oi(s)]).await?;
            stopped.push(t);
        }
    }
    done(
        format!("Stopped {} clip(s) of scene {s}", stopped.len()),
        json!({"scene_index": s, "stopped_tracks": stopped}),
    )
}

async fn set_name(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let name = a.str("name")?.to_string();
    let s = scene(live, a).await?;
    live.cmd("/live/scene/set/name", vec![oi(s), os(&name)])
        .await?;
    let now = live.text("/live/scene/get/name", vec![oi(s)]).await?;
    done(
        format!("Scene {s} renamed to \"{now}\""),
        json!({"scene_index": s, "name": now}),
    )
}

async fn get_color(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let s = scene(live, a).await?;
    let color = live.int("/live/scene/get/color", vec![oi(s)]).await?;
    done(
        format!("Scene {s} colour is #{color:06X}"),
        json!({"scene_index": s, "color": color}),
    )
}

async fn set_color(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let color = a.int_in("color", 0, 0xFF_FFFF)? as i32;
    let s = scene(live, a).await?;
    live.cmd("/live/scene/set/color", vec![oi(s), oi(color)])
        .await?;
    let now = live.int("/live/scene/get/color", vec![oi(s)]).await?;
    done(
        format!("Scene {s} colour set to #{now:06X}"),
        json!({"scene_index": s, "color": now}),
    )
}
