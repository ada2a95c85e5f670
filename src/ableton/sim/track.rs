//! `/live/track/...`: mixer (volume, panning, sends, mute, solo, arm), name and colours,
//! routing and monitoring, group/fold flags, per-track list queries over clips and devices,
//! and `stop_all_clips`.

use rosc::OscType;

use super::args::{b, done, f, fail, i, pick, pick_mut, reply, s, u, Args, Fail, Reply};
use super::engine::Sim;
use super::state::Track;

const MIDI_INPUTS: [&str; 3] = ["All Ins", "Computer Keyboard", "No Input"];
const AUDIO_INPUTS: [&str; 3] = ["Ext. In", "Resampling", "No Input"];
const OUTPUTS: [&str; 2] = ["Master", "Sends Only"];

/// Handle `/live/track/<rest>`; the first argument is always the track index.
pub(crate) fn handle(sim: &mut Sim, rest: &str, a: &Args) -> Reply {
    let index = a.index(0, "track_id")?;
    if rest == "stop_all_clips" {
        let track = pick_mut(&mut sim.doc.tracks, index, "track")?;
        track.playing_slot = -1;
        track.fired_slot = -1;
        return done();
    }
    if let Some(prop) = rest.strip_prefix("get/") {
        let track = pick(&sim.doc.tracks, index, "track")?;
        let mut out = vec![u(index)];
        out.extend(get(track, prop, a)?);
        return reply(out);
    }
    if let Some(prop) = rest.strip_prefix("set/") {
        let returns = sim.doc.returns.len();
        let track = pick_mut(&mut sim.doc.tracks, index, "track")?;
        set(track, prop, a, returns)?;
        return done();
    }
    Err(Fail::Unknown)
}

fn get(t: &Track, prop: &str, a: &Args) -> Result<Vec<OscType>, Fail> {
    let inputs: &[&str] = if t.is_midi {
        &MIDI_INPUTS
    } else {
        &AUDIO_INPUTS
    };
    let one = |v: OscType| Ok(vec![v]);
    match prop {
        "name" => one(s(&t.name)),
        "color" => one(i(t.color)),
        "color_index" => one(i(t.color_index)),
        "mute" => one(b(t.mute)),
        "solo" => one(b(t.solo)),
        "arm" => one(b(t.arm)),
        "volume" => one(f(t.volume)),
        "panning" => one(f(t.panning)),
        "send" => {
            let send = a.index(1, "send_id")?;
            let value = *pick(&t.sends, send, "send")?;
            Ok(vec![u(send), f(value)])
        }
        "can_be_armed" => one(b(true)),
        "current_monitoring_state" => one(i(t.monitoring)),
        // Only group tracks can fold; Live raises for others and AbletonOSC answers nil.
        "fold_state" => one(OscType::Nil),
        "is_foldable" | "is_grouped" => one(b(false)),
        "is_visible" => one(b(true)),
        "has_midi_input" => one(b(t.is_midi)),
        "has_audio_input" => one(b(!t.is_midi)),
        "has_midi_output" => one(b(false)),
        "has_audio_output" => one(b(true)),
        "input_routing_type" => one(s(&t.input_routing_type)),
        "input_routing_channel" => one(s(&t.input_routing_channel)),
        "output_routing_type" => one(s(&t.output_routing_type)),
        "output_routing_channel" => one(s(&t.output_routing_channel)),
        "available_input_routing_types" => Ok(inputs.iter().map(|v| s(v)).collect()),
        "available_input_routing_channels" => Ok(if t.is_midi {
            std::iter::once("All Channels".to_string())
                .chain((1..=16).map(|c| format!("Ch. {c}")))
                .map(OscType::String)
                .collect()
        } else {
            ["1/2", "1", "2"].iter().map(|v| s(v)).collect()
        }),
        "available_output_routing_types" => Ok(OUTPUTS.iter().map(|v| s(v)).collect()),
        "available_output_routing_channels" => Ok(vec![s("Track In")]),
        "output_meter_left" | "output_meter_right" | "output_meter_level" => one(f(0.0)),
        "playing_slot_index" => one(i(t.playing_slot)),
        "fired_slot_index" => one(i(t.fired_slot)),
        "num_devices" => one(u(t.devices.len())),
        "devices/name" => Ok(t.devices.iter().map(|d| s(&d.name)).collect()),
        "devices/type" => Ok(t.devices.iter().map(|d| i(d.kind)).collect()),
        "devices/class_name" => Ok(t.devices.iter().map(|d| s(&d.class_name)).collect()),
        "clips/name" | "clips/length" | "clips/color" => Ok(t
            .slots
            .iter()
            .map(|slot| match &slot.clip {
                None => OscType::Nil,
                Some(c) => match prop {
                    "clips/name" => s(&c.name),
                    "clips/length" => f(c.length()),
                    _ => i(c.color),
                },
            })
            .collect()),
        "arrangement_clips/name" | "arrangement_clips/length" | "arrangement_clips/start_time" => {
            Ok(Vec::new())
        }
        _ => Err(Fail::Unknown),
    }
}

/// Live refuses a mixer value outside the parameter's range ("Invalid value").
fn in_range(v: f32, min: f32, max: f32, what: &str) -> Result<f32, Fail> {
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        fail(format!(
            "invalid value: {what} must be within {min}..{max}, got {v}"
        ))
    }
}

fn set(t: &mut Track, prop: &str, a: &Args, returns: usize) -> Result<(), Fail> {
    match prop {
        "name" => t.name = a.string(1, "name")?,
        "color" => t.color = a.int(1, "color")? & 0xFF_FFFF,
        "color_index" => {
            let v = a.int(1, "color_index")?;
            if !(0..70).contains(&v) {
                return fail(format!("color_index must be 0..69, got {v}"));
            }
            t.color_index = v;
        }
        "mute" => t.mute = a.boolean(1, "mute")?,
        "solo" => t.solo = a.boolean(1, "solo")?,
        "arm" => t.arm = a.boolean(1, "armed")?,
        "volume" => t.volume = in_range(a.float(1, "volume")?, 0.0, 1.0, "volume")?,
        "panning" => t.panning = in_range(a.float(1, "panning")?, -1.0, 1.0, "panning")?,
        "send" => {
            let send = a.index(1, "send_id")?;
            let value = in_range(a.float(2, "value")?, 0.0, 1.0, "send value")?;
            if send >= returns.max(t.sends.len()) {
                return fail(format!(
                    "send index {send} out of range (there are {} sends)",
                    t.sends.len()
                ));
            }
            *pick_mut(&mut t.sends, send, "send")? = value;
        }
        "current_monitoring_state" => {
            let v = a.int(1, "state")?;
            if !(0..=2).contains(&v) {
                return fail(format!(
                    "monitoring state must be 0 (In), 1 (Auto) or 2 (Off), got {v}"
                ));
            }
            t.monitoring = v;
        }
        "fold_state" => {
            a.boolean(1, "fold_state")?;
            return fail("track is not a group track, so it cannot be folded");
        }
        "input_routing_type"
        | "output_routing_type"
        | "input_routing_channel"
        | "output_routing_channel" => {
            let v = a.string(1, "routing")?;
            let allowed: Vec<String> = match prop {
                "input_routing_type" => get(t, "available_input_routing_types", a)?,
                "output_routing_type" => get(t, "available_output_routing_types", a)?,
                "input_routing_channel" => get(t, "available_input_routing_channels", a)?,
                _ => get(t, "available_output_routing_channels", a)?,
            }
            .into_iter()
            .filter_map(|x| {
                if let OscType::String(s) = x {
                    Some(s)
                } else {
                    None
                }
            })
            .collect();
            if !allowed.contains(&v) {
                return fail(format!("{v:?} is not one of {allowed:?}"));
            }
            match prop {
                "input_routing_type" => t.input_routing_type = v,
                "output_routing_type" => t.output_routing_type = v,
                "input_routing_channel" => t.input_routing_channel = v,
                _ => t.output_routing_channel = v,
            }
        }
        _ => return Err(Fail::Unknown),
    }
    Ok(())
}
