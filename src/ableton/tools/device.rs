//! Device tools: reading a device's parameters, setting one, switching a device on or off
//! (its "Device On" parameter), and finding a device on a track by name.

use futures::future::try_join_all;
use serde_json::{json, Value};

use super::args::{arg_error, done, of, oi, round, state_error, Args, Live, ToolError, ToolResult};

/// Runs a device tool, or `None` if `name` is not one.
pub async fn call(live: Live<'_>, name: &str, a: Args<'_>) -> Option<ToolResult> {
    Some(match name {
        "get_device_parameters" => parameters(live, a).await,
        "set_device_parameter" => set_parameter(live, a).await,
        "toggle_device" => toggle(live, a).await,
        "get_device_by_name" => by_name(live, a).await,
        _ => return None,
    })
}

/// Reads `track_index` and `device_index` and checks the device exists.
async fn device(live: Live<'_>, a: Args<'_>) -> Result<(i32, i32), ToolError> {
    let t = a.index("track_index")?;
    let d = a.index("device_index")?;
    live.track(t).await?;
    let n = live.int("/live/track/get/num_devices", vec![oi(t)]).await?;
    if i64::from(d) >= n {
        return Err(arg_error(format!(
            "argument `device_index` is {d}, but track {t} has {n} device(s)"
        )));
    }
    Ok((t, d))
}

/// A device's name, class and parameters.
async fn describe(live: Live<'_>, t: i32, d: i32) -> Result<Value, ToolError> {
    let ids = || vec![oi(t), oi(d)];
    let addresses = [
        "/live/device/get/parameters/name",
        "/live/device/get/parameters/value",
        "/live/device/get/parameters/min",
        "/live/device/get/parameters/max",
        "/live/device/get/parameters/is_quantized",
    ];
    let name = live.text("/live/device/get/name", ids()).await?;
    let class = live.text("/live/device/get/class_name", ids()).await?;
    let names = live.texts(addresses[0], ids()).await?;
    let lists = try_join_all(addresses[1..].iter().map(|ad| live.nums(ad, ids()))).await?;
    let at = |list: usize, i: usize| {
        lists
            .get(list)
            .and_then(|l| l.get(i))
            .copied()
            .unwrap_or(0.0)
    };
    let params: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            json!({
                "index": i, "name": n,
                "value": round(at(0, i)), "min": round(at(1, i)), "max": round(at(2, i)),
                "is_quantized": at(3, i) != 0.0,
            })
        })
        .collect();
    Ok(
        json!({"track_index": t, "device_index": d, "name": name, "class_name": class, "parameters": params}),
    )
}

async fn parameters(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let (t, d) = device(live, a).await?;
    let data = describe(live, t, d).await?;
    done(
        format!(
            "{} ({}) has {} parameter(s)",
            data["name"].as_str().unwrap_or(""),
            data["class_name"].as_str().unwrap_or(""),
            data["parameters"].as_array().map_or(0, Vec::len)
        ),
        data,
    )
}

async fn set_parameter(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let p = a.index("parameter_index")?;
    let value = a.num("value")?;
    let (t, d) = device(live, a).await?;
    let ids = || vec![oi(t), oi(d)];
    let names = live
        .texts("/live/device/get/parameters/name", ids())
        .await?;
    let Some(param) = names.get(p as usize) else {
        return Err(arg_error(format!(
            "argument `parameter_index` is {p}, but the device has {} parameter(s)",
            names.len()
        )));
    };
    let min = live.nums("/live/device/get/parameters/min", ids()).await?;
    let max = live.nums("/live/device/get/parameters/max", ids()).await?;
    let (lo, hi) = (
        min.get(p as usize).copied().unwrap_or(0.0),
        max.get(p as usize).copied().unwrap_or(1.0),
    );
    if value < lo - 1e-6 || value > hi + 1e-6 {
        return Err(arg_error(format!(
            "argument `value` {value} is outside {param}'s range {}–{}",
            round(lo),
            round(hi)
        )));
    }
    live.cmd(
        "/live/device/set/parameter/value",
        vec![oi(t), oi(d), oi(p), of(value)],
    )
    .await?;
    let now = live
        .num(
            "/live/device/get/parameter/value",
            vec![oi(t), oi(d), oi(p)],
        )
        .await?;
    let shown = live
        .text(
            "/live/device/get/parameter/value_string",
            vec![oi(t), oi(d), oi(p)],
        )
        .await
        .unwrap_or_default();
    done(
        format!("{param} set to {} ({shown})", round(now)),
        json!({"track_index": t, "device_index": d, "parameter_index": p, "name": param, "value": round(now), "display": shown}),
    )
}

async fn toggle(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let (t, d) = device(live, a).await?;
    let names = live
        .texts("/live/device/get/parameters/name", vec![oi(t), oi(d)])
        .await?;
    if names.first().map(String::as_str) != Some("Device On") {
        return Err(state_error(format!(
            "device {d} on track {t} has no \"Device On\" switch"
        )));
    }
    let on = live
        .num(
            "/live/device/get/parameter/value",
            vec![oi(t), oi(d), oi(0)],
        )
        .await?
        != 0.0;
    live.cmd(
        "/live/device/set/parameter/value",
        vec![oi(t), oi(d), oi(0), of(if on { 0.0 } else { 1.0 })],
    )
    .await?;
    let now = live
        .num(
            "/live/device/get/parameter/value",
            vec![oi(t), oi(d), oi(0)],
        )
        .await?
        != 0.0;
    let name = live
        .text("/live/device/get/name", vec![oi(t), oi(d)])
        .await?;
    done(
        format!("{name} switched {}", if now { "on" } else { "off" }),
        json!({"track_index": t, "device_index": d, "name": name, "enabled": now}),
    )
}

async fn by_name(live: Live<'_>, a: Args<'_>) -> ToolResult {
    let wanted = a.str("device_name")?.to_lowercase();
    let t = a.index("track_index")?;
    live.track(t).await?;
    let names = live
        .texts("/live/track/get/devices/name", vec![oi(t)])
        .await?;
    let found = names
        .iter()
        .position(|n| n.to_lowercase() == wanted)
        .or_else(|| {
            names
                .iter()
                .position(|n| n.to_lowercase().contains(&wanted))
        });
    let Some(d) = found else {
        return Err(state_error(format!(
            "no device named like \"{wanted}\" on track {t}; its devices: {}",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )));
    };
    let data = describe(live, t, d as i32).await?;
    done(format!("Found \"{}\" at device index {d}", names[d]), data)
}
