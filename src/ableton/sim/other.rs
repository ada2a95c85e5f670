//! The smaller object classes: `/live/scene/...`, `/live/device/...`, `/live/view/...`,
//! `/live/application/...`, `/live/api/...` and `/live/midimap/...`.

use rosc::OscType;

use super::args::{b, done, f, fail, i, pick, pick_mut, reply, s, u, Args, Fail, Reply};
use super::clip::fire_slot;
use super::engine::Sim;

/// Handle `/live/scene/<rest>`.
pub(crate) fn scene(sim: &mut Sim, rest: &str, a: &Args) -> Reply {
    if rest == "fire_selected" {
        let index = sim.sel_scene;
        return fire_scene(sim, index);
    }
    let index = a.index(0, "scene_id")?;
    pick(&sim.doc.scenes, index, "scene")?;
    match rest {
        "fire" | "fire_as_selected" => {
            if rest == "fire_as_selected" {
                sim.sel_scene = index;
            }
            return fire_scene(sim, index);
        }
        _ => {}
    }
    if let Some(prop) = rest.strip_prefix("get/") {
        let is_empty = sim
            .doc
            .tracks
            .iter()
            .all(|t| t.slots.get(index).is_none_or(|s| s.clip.is_none()));
        let sc = pick(&sim.doc.scenes, index, "scene")?;
        let value = match prop {
            "name" => s(&sc.name),
            "color" => i(sc.color),
            "color_index" => i(sc.color_index),
            "is_empty" => b(is_empty),
            "is_triggered" => b(false),
            "tempo" => f(sc.tempo),
            "tempo_enabled" => b(sc.tempo_enabled),
            "time_signature_numerator" => i(sc.sig_num),
            "time_signature_denominator" => i(sc.sig_den),
            "time_signature_enabled" => b(sc.sig_enabled),
            _ => return Err(Fail::Unknown),
        };
        return reply(vec![u(index), value]);
    }
    if let Some(prop) = rest.strip_prefix("set/") {
        let sc = pick_mut(&mut sim.doc.scenes, index, "scene")?;
        match prop {
            "name" => sc.name = a.string(1, "name")?,
            "color" => sc.color = a.int(1, "color")? & 0xFF_FFFF,
            "color_index" => sc.color_index = a.int(1, "color_index")?.clamp(0, 69),
            "tempo" => {
                let v = a.float(1, "tempo")?;
                if !(20.0..=999.0).contains(&v) {
                    return fail(format!("tempo must be between 20 and 999 BPM, got {v}"));
                }
                sc.tempo = v;
                sc.tempo_enabled = true;
            }
            "tempo_enabled" => sc.tempo_enabled = a.boolean(1, "tempo_enabled")?,
            "time_signature_numerator" => sc.sig_num = a.int(1, "numerator")?.clamp(1, 99),
            "time_signature_denominator" => sc.sig_den = a.int(1, "denominator")?.clamp(1, 16),
            "time_signature_enabled" => sc.sig_enabled = a.boolean(1, "enabled")?,
            _ => return Err(Fail::Unknown),
        }
        return done();
    }
    Err(Fail::Unknown)
}

fn fire_scene(sim: &mut Sim, index: usize) -> Reply {
    let scene = pick(&sim.doc.scenes, index, "scene")?.clone();
    let song_time = sim.song_time;
    for track in &mut sim.doc.tracks {
        fire_slot(track, index, song_time);
    }
    if scene.tempo_enabled {
        sim.doc.tempo = scene.tempo;
    }
    if scene.sig_enabled {
        sim.doc.sig_num = scene.sig_num;
        sim.doc.sig_den = scene.sig_den;
    }
    sim.sel_scene = index;
    sim.is_playing = true;
    done()
}

/// Handle `/live/device/<rest>`; arguments start with track and device indices.
pub(crate) fn device(sim: &mut Sim, rest: &str, a: &Args) -> Reply {
    let t = a.index(0, "track_id")?;
    let d = a.index(1, "device_id")?;
    let track = pick_mut(&mut sim.doc.tracks, t, "track")?;
    let dev = pick_mut(&mut track.devices, d, "device")?;
    let head = vec![u(t), u(d)];
    let with = |values: Vec<OscType>| {
        let mut out = head.clone();
        out.extend(values);
        reply(out)
    };
    match rest {
        "get/name" => with(vec![s(&dev.name)]),
        "get/class_name" => with(vec![s(&dev.class_name)]),
        "get/type" => with(vec![i(dev.kind)]),
        "get/num_parameters" => with(vec![u(dev.params.len())]),
        "get/parameters/name" => with(dev.params.iter().map(|p| s(&p.name)).collect()),
        "get/parameters/value" => with(dev.params.iter().map(|p| f(p.value)).collect()),
        "get/parameters/min" => with(dev.params.iter().map(|p| f(p.min)).collect()),
        "get/parameters/max" => with(dev.params.iter().map(|p| f(p.max)).collect()),
        "get/parameters/is_quantized" => with(dev.params.iter().map(|p| b(p.quantized)).collect()),
        "get/parameter/value" | "get/parameter/value_string" | "get/parameter/name" => {
            let p = a.index(2, "parameter_id")?;
            let param = pick(&dev.params, p, "parameter")?;
            let value = match rest {
                "get/parameter/value" => f(param.value),
                "get/parameter/name" => s(&param.name),
                _ => s(&param.value_string()),
            };
            with(vec![u(p), value])
        }
        "set/parameter/value" => {
            let p = a.index(2, "parameter_id")?;
            let v = a.float(3, "value")?;
            let param = pick_mut(&mut dev.params, p, "parameter")?;
            if v < param.min || v > param.max {
                return fail(format!(
                    "value {v} for parameter {p} ({}) is outside {}..{}",
                    param.name, param.min, param.max
                ));
            }
            param.value = if param.quantized { v.round() } else { v };
            done()
        }
        "set/parameters/value" => {
            let count = a.len() - 2;
            if count > dev.params.len() {
                return fail(format!(
                    "{count} values given but the device has {} parameters",
                    dev.params.len()
                ));
            }
            let mut values = Vec::new();
            for k in 0..count {
                values.push(a.float(k + 2, "value")?);
            }
            for (param, v) in dev.params.iter_mut().zip(values) {
                let v = v.clamp(param.min, param.max);
                param.value = if param.quantized { v.round() } else { v };
            }
            done()
        }
        _ => Err(Fail::Unknown),
    }
}

/// Handle `/live/view/<rest>`.
pub(crate) fn view(sim: &mut Sim, rest: &str, a: &Args) -> Reply {
    match rest {
        "get/selected_scene" => reply(vec![u(sim.sel_scene)]),
        "get/selected_track" => reply(vec![u(sim.sel_track)]),
        "get/selected_clip" => reply(vec![u(sim.sel_track), u(sim.sel_scene)]),
        "get/selected_device" => reply(vec![u(sim.sel_track), u(sim.sel_device)]),
        "set/selected_scene" => {
            let index = a.index(0, "scene_index")?;
            pick(&sim.doc.scenes, index, "scene")?;
            sim.sel_scene = index;
            done()
        }
        "set/selected_track" => {
            let index = a.index(0, "track_index")?;
            pick(&sim.doc.tracks, index, "track")?;
            sim.sel_track = index;
            sim.sel_device = 0;
            done()
        }
        "set/selected_clip" => {
            let t = a.index(0, "track_index")?;
            let c = a.index(1, "scene_index")?;
            pick(&pick(&sim.doc.tracks, t, "track")?.slots, c, "clip_slot")?;
            sim.sel_track = t;
            sim.sel_scene = c;
            done()
        }
        "set/selected_device" => {
            let t = a.index(0, "track_index")?;
            let d = a.index(1, "device_index")?;
            pick(&pick(&sim.doc.tracks, t, "track")?.devices, d, "device")?;
            sim.sel_track = t;
            sim.sel_device = d;
            done()
        }
        _ => Err(Fail::Unknown),
    }
}

/// Handle `/live/application/<rest>`: Live 12.1.
pub(crate) fn application(rest: &str) -> Reply {
    match rest {
        "get/version" => reply(vec![i(12), i(1)]),
        _ => Err(Fail::Unknown),
    }
}

/// Handle `/live/api/<rest>`.
pub(crate) fn api(sim: &mut Sim, rest: &str, a: &Args) -> Reply {
    match rest {
        "reload" => done(),
        "get/log_level" => reply(vec![s(&sim.log_level)]),
        "set/log_level" => {
            let level = a.string(0, "log_level")?;
            if !["debug", "info", "warning", "error", "critical"].contains(&level.as_str()) {
                return fail(format!(
                    "log_level must be debug, info, warning, error or critical, got {level:?}"
                ));
            }
            sim.log_level = level;
            done()
        }
        "show_message" => {
            let message = a.string(0, "message")?;
            tracing::info!(%message, "sim: show_message");
            done()
        }
        _ => Err(Fail::Unknown),
    }
}

/// Handle `/live/midimap/<rest>`: accepted and checked, but no MIDI is mapped.
pub(crate) fn midimap(sim: &mut Sim, rest: &str, a: &Args) -> Reply {
    if rest != "map_cc" {
        return Err(Fail::Unknown);
    }
    let t = a.index(0, "track_id")?;
    let d = a.index(1, "device_id")?;
    let p = a.index(2, "param_id")?;
    let channel = a.int(3, "channel")?;
    let cc = a.int(4, "cc")?;
    let dev = pick(&pick(&sim.doc.tracks, t, "track")?.devices, d, "device")?;
    pick(&dev.params, p, "parameter")?;
    if !(0..16).contains(&channel) || !(0..128).contains(&cc) {
        return fail(format!(
            "channel must be 0..15 and cc 0..127, got {channel} and {cc}"
        ));
    }
    done()
}
