//! What agents see in `tools/list`: a description of each of the 128 catalog tools in our own
//! words, the input schema built from the catalog's parameters, and annotations that agree
//! with the tool's risk category.

use serde_json::{json, Map, Value};

use crate::policy::catalog::{CatalogTool, Category};

/// Tools that AbletonOSC cannot do, with the reason given to the agent.
pub const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "load_instrument_or_effect",
        "AbletonOSC has no access to Live's browser, so nothing can be loaded onto a track",
    ),
    (
        "load_drum_kit",
        "AbletonOSC has no access to Live's browser, so no drum kit can be loaded",
    ),
    (
        "load_item_to_track",
        "AbletonOSC has no access to Live's browser, so nothing can be loaded onto a track",
    ),
    (
        "load_item_to_return",
        "AbletonOSC has no access to Live's browser or to return tracks",
    ),
    (
        "get_browser_tree",
        "AbletonOSC has no access to Live's browser",
    ),
    (
        "get_browser_items_at_path",
        "AbletonOSC has no access to Live's browser",
    ),
    ("browse_path", "AbletonOSC has no access to Live's browser"),
    (
        "search_browser",
        "AbletonOSC has no access to Live's browser",
    ),
    ("freeze_track", "AbletonOSC has no freeze command"),
    ("flatten_track", "AbletonOSC has no flatten command"),
    (
        "get_groove_pool",
        "AbletonOSC does not expose the groove pool",
    ),
    (
        "apply_groove",
        "AbletonOSC does not expose the groove pool or a clip's groove setting",
    ),
    ("commit_groove", "AbletonOSC does not expose grooves"),
    (
        "get_warp_markers",
        "AbletonOSC does not expose warp markers",
    ),
    ("add_warp_marker", "AbletonOSC does not expose warp markers"),
    (
        "delete_warp_marker",
        "AbletonOSC does not expose warp markers",
    ),
    (
        "get_clip_automation",
        "AbletonOSC does not expose clip automation envelopes",
    ),
    (
        "set_clip_automation",
        "AbletonOSC does not expose clip automation envelopes",
    ),
    (
        "clear_clip_automation",
        "AbletonOSC does not expose clip automation envelopes",
    ),
    (
        "get_master_info",
        "AbletonOSC does not expose the master track",
    ),
    (
        "set_master_volume",
        "AbletonOSC does not expose the master track",
    ),
    (
        "set_master_pan",
        "AbletonOSC does not expose the master track",
    ),
    (
        "get_return_tracks",
        "AbletonOSC does not expose return tracks (only the send levels into them)",
    ),
    (
        "get_return_track_info",
        "AbletonOSC does not expose return tracks (only the send levels into them)",
    ),
    (
        "set_return_volume",
        "AbletonOSC does not expose return tracks",
    ),
    ("set_return_pan", "AbletonOSC does not expose return tracks"),
    ("move_device_left", "AbletonOSC cannot move devices"),
    ("move_device_right", "AbletonOSC cannot move devices"),
    ("delete_device", "AbletonOSC cannot delete devices"),
    ("create_group_track", "AbletonOSC cannot group tracks"),
    ("get_rack_chains", "AbletonOSC does not expose rack chains"),
    (
        "select_rack_chain",
        "AbletonOSC does not expose rack chains",
    ),
    ("get_cpu_load", "AbletonOSC does not report Live's CPU load"),
    (
        "get_session_path",
        "AbletonOSC does not report where the set is saved",
    ),
    (
        "is_session_modified",
        "AbletonOSC does not report whether the set has unsaved changes",
    ),
    ("focus_view", "AbletonOSC cannot show or focus Live's views"),
];

/// The reason a tool is unsupported, if it is.
pub fn unsupported(name: &str) -> Option<&'static str> {
    UNSUPPORTED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, why)| *why)
}

/// Our description of a tool.
pub fn describe(name: &str) -> &'static str {
    match name {
        "health_check" => "Checks that Ableton Live answers over AbletonOSC and reports its version.",
        "get_playback_position" => "Reads the song position (beats and bar), whether Live is playing, and the tempo.",
        "get_session_info" => "Summarises the set: tempo, time signature, transport, loop, metronome, track names and scene count.",
        "get_track_info" => "Reads a track: name, mute/solo/arm, volume, pan, its devices and the clips in its slots.",
        "get_track_color" => "Reads a track's colour (RGB integer).",
        "get_clip_color" => "Reads a session clip's colour (RGB integer).",
        "get_scene_color" => "Reads a scene's colour (RGB integer).",
        "get_clip_loop" => "Reads a clip's loop start and end (beats) and its length.",
        "get_send_level" => "Reads how much of a track goes to one of its sends (0–1).",
        "create_midi_track" => "Adds a MIDI track at an index (-1 = at the end).",
        "create_audio_track" => "Adds an audio track at an index (-1 = at the end).",
        "set_track_name" => "Renames a track.",
        "set_track_mute" => "Mutes or unmutes a track.",
        "set_track_solo" => "Solos or unsolos a track.",
        "set_track_arm" => "Arms or disarms a track for recording.",
        "set_track_volume" => "Sets a track's fader (0–1; 0.85 is 0 dB).",
        "set_track_pan" => "Sets a track's pan (-1 left … 1 right).",
        "create_clip" => "Creates an empty MIDI clip of a length in beats in an empty session slot.",
        "delete_clip" => "Deletes the clip in a session slot.",
        "get_clip_notes" => "Reads every MIDI note of a clip (pitch, start, duration, velocity, mute).",
        "add_notes_to_clip" => "Adds MIDI notes to a clip; each note has pitch, start_time, duration, velocity and mute.",
        "set_clip_name" => "Renames a clip.",
        "set_tempo" => "Sets the song tempo in BPM (20–999).",
        "load_instrument_or_effect" => "Loads an instrument or effect from Live's browser onto a track (not available over AbletonOSC).",
        "fire_clip" => "Launches a session clip.",
        "stop_clip" => "Stops a session clip.",
        "start_playback" => "Starts the transport.",
        "stop_playback" => "Stops the transport.",
        "get_device_parameters" => "Reads a device's name and every parameter (name, value, range, quantized).",
        "set_device_parameter" => "Sets one device parameter to a value within its range.",
        "get_all_scenes" => "Lists every scene with its name and colour.",
        "create_scene" => "Adds a scene at an index (-1 = at the end).",
        "delete_scene" => "Deletes a scene and the clips in it.",
        "fire_scene" => "Launches a scene.",
        "stop_scene" => "Stops the clips of one scene that are playing.",
        "set_scene_name" => "Renames a scene.",
        "set_scene_color" => "Sets a scene's colour (RGB integer).",
        "duplicate_scene" => "Duplicates a scene with its clips, below it.",
        "delete_track" => "Deletes a track with its clips and devices.",
        "duplicate_track" => "Duplicates a track with its clips and devices.",
        "freeze_track" => "Freezes a track (not available over AbletonOSC).",
        "flatten_track" => "Flattens a frozen track (not available over AbletonOSC).",
        "unarm_all" => "Disarms every armed track.",
        "move_device_left" => "Moves a device one place left (not available over AbletonOSC).",
        "move_device_right" => "Moves a device one place right (not available over AbletonOSC).",
        "set_track_color" => "Sets a track's colour (RGB integer).",
        "toggle_device" => "Switches a device on or off (its Device On parameter).",
        "delete_device" => "Deletes a device (not available over AbletonOSC).",
        "duplicate_clip" => "Copies a clip into the next empty slot below it on the same track.",
        "set_clip_color" => "Sets a clip's colour (RGB integer).",
        "set_clip_loop" => "Sets a clip's loop start and end in beats (looping itself cannot be switched off over AbletonOSC).",
        "remove_notes" => "Removes the notes of a clip within a time and pitch range.",
        "remove_all_notes" => "Removes every note of a clip.",
        "transpose_notes" => "Transposes every note of a clip by semitones.",
        "undo" => "Undoes the last change in Live.",
        "redo" => "Redoes the last undone change in Live.",
        "get_return_tracks" => "Lists the return tracks (not available over AbletonOSC).",
        "get_return_track_info" => "Reads a return track (not available over AbletonOSC).",
        "set_send_level" => "Sets how much of a track goes to one of its sends (0–1).",
        "set_return_volume" => "Sets a return track's volume (not available over AbletonOSC).",
        "set_return_pan" => "Sets a return track's pan (not available over AbletonOSC).",
        "get_current_view" => "Reads what is selected in Live: track, scene, clip slot and device.",
        "focus_view" => "Shows a view of Live (not available over AbletonOSC).",
        "select_track" => "Selects a track in Live.",
        "select_scene" => "Selects a scene in Live.",
        "select_clip" => "Selects a session clip slot in Live.",
        "start_recording" => "Starts recording into the arrangement (record on, transport playing).",
        "stop_recording" => "Stops arrangement recording (transport keeps playing).",
        "toggle_session_record" => "Switches session recording on or off.",
        "toggle_arrangement_record" => "Switches arrangement recording on or off.",
        "set_overdub" => "Switches arrangement MIDI overdub on or off.",
        "capture_midi" => "Captures the MIDI Live heard recently into a clip.",
        "get_arrangement_length" => "Reads the length of the arrangement in beats.",
        "set_arrangement_loop" => "Sets the arrangement loop region (beats) and switches it on or off.",
        "jump_to_time" => "Moves the song position to a time in beats.",
        "get_locators" => "Lists the arrangement locators (cue points) with names and times.",
        "create_locator" => "Adds a locator at a time in beats, optionally named.",
        "delete_locator" => "Deletes a locator by its index in get_locators.",
        "get_track_input_routing" => "Reads where a track takes its input from (type and channel).",
        "get_track_output_routing" => "Reads where a track sends its output (type and channel).",
        "get_available_inputs" => "Lists the input types and channels a track can use.",
        "get_available_outputs" => "Lists the output types and channels a track can use.",
        "set_track_input_routing" => "Sets a track's input type and, optionally, channel.",
        "set_track_output_routing" => "Sets a track's output type and, optionally, channel.",
        "get_cpu_load" => "Reads Live's CPU load (not available over AbletonOSC).",
        "get_session_path" => "Reads where the set is saved (not available over AbletonOSC).",
        "is_session_modified" => "Reads whether the set has unsaved changes (not available over AbletonOSC).",
        "get_metronome_state" => "Reads whether the metronome is on.",
        "set_metronome" => "Switches the metronome on or off.",
        "get_scale_notes" => "Lists the MIDI notes and names of a scale from a root note (computed; does not touch Live).",
        "quantize_clip_notes" => "Moves every note start of a clip to the nearest grid line (grid in beats).",
        "humanize_clip_timing" => "Shifts note starts of a clip by small random amounts (up to `amount` beats); pass `seed` to repeat a result.",
        "humanize_clip_velocity" => "Varies note velocities of a clip randomly (by up to `amount` × 127); pass `seed` to repeat a result.",
        "generate_drum_pattern" => "Writes a drum pattern (General MIDI drum notes) into a clip, creating it if the slot is empty. Styles: basic, rock, house, hiphop, trap, breakbeat.",
        "generate_bassline" => "Writes a bassline in a scale from a root note into a clip, creating it if the slot is empty.",
        "get_browser_tree" => "Lists Live's browser categories (not available over AbletonOSC).",
        "get_browser_items_at_path" => "Lists browser items at a path (not available over AbletonOSC).",
        "load_drum_kit" => "Loads a drum rack and kit from the browser (not available over AbletonOSC).",
        "get_master_info" => "Reads the master track (not available over AbletonOSC).",
        "set_master_volume" => "Sets the master volume (not available over AbletonOSC).",
        "set_master_pan" => "Sets the master pan (not available over AbletonOSC).",
        "browse_path" => "Walks the browser along a path (not available over AbletonOSC).",
        "search_browser" => "Searches Live's browser (not available over AbletonOSC).",
        "load_item_to_track" => "Loads a browser item onto a track (not available over AbletonOSC).",
        "load_item_to_return" => "Loads a browser item onto a return track (not available over AbletonOSC).",
        "get_clip_gain" => "Reads an audio clip's gain (0–1).",
        "get_clip_pitch" => "Reads an audio clip's transposition in semitones and cents.",
        "set_clip_gain" => "Sets an audio clip's gain (0–1).",
        "set_clip_pitch" => "Transposes an audio clip by semitones (-48–48).",
        "set_clip_warp_mode" => "Sets an audio clip's warp mode: beats, tones, texture, repitch, complex or complex_pro.",
        "get_clip_warp_info" => "Reads whether an audio clip is warped, its warp mode and sample length.",
        "get_warp_markers" => "Lists a clip's warp markers (not available over AbletonOSC).",
        "add_warp_marker" => "Adds a warp marker (not available over AbletonOSC).",
        "delete_warp_marker" => "Deletes a warp marker (not available over AbletonOSC).",
        "get_clip_automation" => "Reads a clip's automation envelope (not available over AbletonOSC).",
        "set_clip_automation" => "Writes a clip's automation envelope (not available over AbletonOSC).",
        "clear_clip_automation" => "Clears a clip's automation envelope (not available over AbletonOSC).",
        "create_group_track" => "Groups tracks (not available over AbletonOSC).",
        "fold_track" => "Folds a group track.",
        "unfold_track" => "Unfolds a group track.",
        "set_track_monitoring" => "Sets a track's monitoring: in, auto or off.",
        "get_track_monitoring" => "Reads a track's monitoring: in, auto or off.",
        "get_device_by_name" => "Finds a device on a track by (part of) its name and reads its parameters.",
        "get_rack_chains" => "Lists a rack's chains (not available over AbletonOSC).",
        "select_rack_chain" => "Selects a rack chain (not available over AbletonOSC).",
        "get_groove_pool" => "Lists the groove pool (not available over AbletonOSC).",
        "apply_groove" => "Applies a groove to a clip (not available over AbletonOSC).",
        "commit_groove" => "Commits a clip's groove (not available over AbletonOSC).",
        _ => "An Ableton Live tool.",
    }
}

/// Whether calling an Execute tool twice has the same effect as once.
fn idempotent(name: &str) -> bool {
    matches!(
        name,
        "stop_clip"
            | "start_playback"
            | "stop_playback"
            | "stop_scene"
            | "start_recording"
            | "stop_recording"
            | "set_overdub"
            | "jump_to_time"
    )
}

/// The JSON schema of an array parameter's items.
fn items(param: &str) -> Value {
    match param {
        "notes" => json!({
            "type": "object",
            "properties": {
                "pitch": {"type": "integer", "minimum": 0, "maximum": 127},
                "start_time": {"type": "number", "minimum": 0, "description": "beats from the clip start"},
                "duration": {"type": "number", "exclusiveMinimum": 0, "default": 0.25},
                "velocity": {"type": "number", "minimum": 1, "maximum": 127, "default": 100},
                "mute": {"type": "boolean", "default": false}
            },
            "required": ["pitch", "start_time"]
        }),
        "track_indices" => json!({"type": "integer", "minimum": 0}),
        "envelope_data" => json!({
            "type": "object",
            "properties": {"time": {"type": "number"}, "value": {"type": "number"}}
        }),
        _ => json!({"type": "string"}),
    }
}

/// The `inputSchema` of a catalog tool.
pub fn input_schema(tool: &CatalogTool) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for p in &tool.params {
        let mut prop = Map::new();
        prop.insert("type".into(), json!(p.kind));
        if p.kind == "array" {
            prop.insert("items".into(), items(&p.name));
        }
        if p.kind == "integer" && p.name.ends_with("_index") {
            prop.insert("minimum".into(), json!(0));
        }
        if let Some(default) = p.default.as_ref().filter(|d| !d.is_null()) {
            prop.insert("default".into(), default.clone());
        }
        if p.required {
            required.push(json!(p.name));
        }
        properties.insert(p.name.clone(), Value::Object(prop));
    }
    if matches!(
        tool.name.as_str(),
        "humanize_clip_timing" | "humanize_clip_velocity"
    ) {
        properties.insert(
            "seed".into(),
            json!({"type": "integer", "minimum": 0, "description": "makes the random variation repeatable"}),
        );
    }
    json!({"type": "object", "properties": properties, "required": required})
}

/// The MCP `annotations` matching a tool's category.
pub fn annotations(tool: &CatalogTool) -> Value {
    match tool.category {
        Category::Read => json!({"readOnlyHint": true}),
        Category::Write | Category::Financial => {
            json!({"readOnlyHint": false, "destructiveHint": false})
        }
        Category::Execute => json!({
            "readOnlyHint": false,
            "destructiveHint": false,
            "idempotentHint": idempotent(&tool.name)
        }),
        Category::Destructive => json!({"readOnlyHint": false, "destructiveHint": true}),
    }
}

/// One `tools/list` entry.
pub fn definition(tool: &CatalogTool) -> Value {
    json!({
        "name": tool.name,
        "description": describe(&tool.name),
        "inputSchema": input_schema(tool),
        "annotations": annotations(tool),
    })
}
