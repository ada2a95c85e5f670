//! The JSON view of the simulated set that `SimHandle::snapshot` returns: every track with
//! its mixer, devices (with parameters) and clip slots (clips with notes), returns, scenes
//! and cue points. Transport, view and undo depth are added by the engine.

use serde_json::{json, Value};

use super::state::{Clip, Doc, Track};

fn clip_json(clip: &Clip, is_playing: bool) -> Value {
    json!({
        "name": clip.name, "color": clip.color, "color_index": clip.color_index,
        "length": clip.length(), "looping": clip.looping,
        "loop_start": clip.loop_start, "loop_end": clip.loop_end,
        "start_marker": clip.start_marker, "end_marker": clip.end_marker,
        "is_audio_clip": clip.is_audio, "is_playing": is_playing,
        "notes": clip.notes.iter().map(|n| json!({
            "pitch": n.pitch, "start_time": n.start, "duration": n.duration,
            "velocity": n.velocity, "mute": n.mute,
        })).collect::<Vec<_>>(),
        "gain": clip.gain, "pitch_coarse": clip.pitch_coarse, "pitch_fine": clip.pitch_fine,
        "warping": clip.warping, "warp_mode": clip.warp_mode, "launch_mode": clip.launch_mode,
        "launch_quantization": clip.launch_quantization, "legato": clip.legato,
        "muted": clip.muted, "velocity_amount": clip.velocity_amount, "file_path": clip.file_path,
    })
}

/// The JSON view of one track.
pub(crate) fn track_json(track: &Track) -> Value {
    json!({
        "name": track.name, "color": track.color, "color_index": track.color_index,
        "is_midi": track.is_midi, "mute": track.mute, "solo": track.solo, "arm": track.arm,
        "volume": track.volume, "panning": track.panning, "sends": track.sends,
        "monitoring": track.monitoring, "fold_state": track.fold_state,
        "input_routing_type": track.input_routing_type,
        "output_routing_type": track.output_routing_type,
        "playing_slot_index": track.playing_slot, "fired_slot_index": track.fired_slot,
        "devices": track.devices.iter().map(|d| json!({
            "name": d.name, "class_name": d.class_name, "type": d.kind,
            "parameters": d.params.iter().map(|p| json!({
                "name": p.name, "value": p.value, "min": p.min, "max": p.max,
                "is_quantized": p.quantized,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "clip_slots": track.slots.iter().enumerate().map(|(i, s)| json!({
            "has_stop_button": s.has_stop_button,
            "clip": s.clip.as_ref().map(|c| clip_json(c, track.playing_slot == i as i32)),
        })).collect::<Vec<_>>(),
    })
}

/// The JSON view of the undoable set (transport and view are added by the caller).
pub(crate) fn doc_json(doc: &Doc) -> Value {
    json!({
        "tempo": doc.tempo,
        "signature_numerator": doc.sig_num,
        "signature_denominator": doc.sig_den,
        "loop": doc.loop_on, "loop_start": doc.loop_start, "loop_length": doc.loop_length,
        "record_mode": doc.record_mode, "arrangement_overdub": doc.arrangement_overdub,
        "session_record": doc.session_record,
        "tracks": doc.tracks.iter().map(track_json).collect::<Vec<_>>(),
        "return_tracks": doc.returns.iter().map(track_json).collect::<Vec<_>>(),
        "scenes": doc.scenes.iter().map(|s| json!({
            "name": s.name, "color": s.color, "color_index": s.color_index, "tempo": s.tempo,
            "tempo_enabled": s.tempo_enabled,
            "time_signature_numerator": s.sig_num, "time_signature_denominator": s.sig_den,
            "time_signature_enabled": s.sig_enabled,
        })).collect::<Vec<_>>(),
        "cue_points": doc.cue_points.iter().map(|c| json!({"name": c.name, "time": c.time}))
            .collect::<Vec<_>>(),
    })
}
