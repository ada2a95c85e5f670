//! The simulator's core: the state beside the set (transport, view, undo history, listeners),
//! routing of one OSC message to its handler, wildcard queries, `start_listen`/`stop_listen`,
//! undo checkpoints and the clock tick that moves the play head and sends beats.

use std::net::IpAddr;

use rosc::{OscMessage, OscType};
use serde_json::{json, Value};

use super::args::{done, fail, reply, s, Args, Fail, Reply};
use super::state::{doc_json, Doc};
use super::{clip, other, song, track};

/// The address table AbletonOSC documents; wildcard queries expand over its `get` addresses.
const API_TABLE: &str = include_str!("../abletonosc-api.tsv");

/// Most undo steps kept.
const UNDO_LIMIT: usize = 100;

/// One `start_listen` registration.
#[derive(Debug, Clone)]
pub(crate) struct Listener {
    /// The getter whose value is pushed (`/live/track/get/volume`).
    pub get_addr: String,
    /// The object indices given to `start_listen`.
    pub params: Vec<OscType>,
    /// Who asked (replies go to this IP on the reply port).
    pub dest: IpAddr,
    /// The value sent last.
    pub last: Option<Vec<OscType>>,
}

/// A message to send to `(IP, reply port)`.
pub(crate) type Outgoing = (IpAddr, OscMessage);

/// The whole simulated Live.
#[derive(Debug)]
pub(crate) struct Sim {
    pub doc: Doc,
    pub undo: Vec<Doc>,
    pub redo: Vec<Doc>,
    pub is_playing: bool,
    pub song_time: f64,
    last_beat_time: f64,
    pub metronome: bool,
    pub tap_times: Vec<std::time::Instant>,
    pub sel_track: usize,
    pub sel_scene: usize,
    pub sel_device: usize,
    pub log_level: String,
    listeners: Vec<Listener>,
    beat_listeners: Vec<IpAddr>,
}

impl Sim {
    /// A simulator around `doc`.
    pub fn new(doc: Doc) -> Self {
        Self {
            doc,
            undo: Vec::new(),
            redo: Vec::new(),
            is_playing: false,
            song_time: 0.0,
            last_beat_time: -1.0,
            metronome: false,
            tap_times: Vec::new(),
            sel_track: 0,
            sel_scene: 0,
            sel_device: 0,
            log_level: "info".to_string(),
            listeners: Vec::new(),
            beat_listeners: Vec::new(),
        }
    }

    /// Handle one message from `from`, pushing replies and listener updates onto `out`.
    pub fn handle(&mut self, from: IpAddr, msg: &OscMessage, out: &mut Vec<Outgoing>) {
        let addr = msg.addr.as_str();
        tracing::debug!(%addr, args = ?msg.args, "sim: message");
        let result = if addr.contains('*') {
            self.wildcard(from, msg, out)
        } else if let Some((class, prop)) = split_listen(addr, "start_listen") {
            self.start_listen(from, &class, &prop, &msg.args, out)
        } else if let Some((class, prop)) = split_listen(addr, "stop_listen") {
            self.stop_listen(from, &class, &prop, &msg.args)
        } else {
            let before = undoable(addr).then(|| self.doc.clone());
            let result = self.dispatch(addr, &msg.args);
            if let (Some(before), Ok(_)) = (before, &result) {
                if before != self.doc {
                    self.undo.push(before);
                    if self.undo.len() > UNDO_LIMIT {
                        self.undo.remove(0);
                    }
                    self.redo.clear();
                }
            }
            result
        };
        match result {
            Ok(Some(values)) => out.push((
                from,
                OscMessage {
                    addr: msg.addr.clone(),
                    args: values,
                },
            )),
            Ok(None) => {}
            Err(Fail::Unknown) => {
                tracing::info!(%addr, "sim: unknown OSC address");
                out.push((from, error_msg(format!("Unknown OSC address: {addr}"))));
            }
            Err(Fail::Msg(text)) => {
                tracing::info!(%addr, %text, "sim: error handling message");
                out.push((
                    from,
                    error_msg(format!("Error handling OSC message {addr}: {text}")),
                ));
            }
        }
        self.poll_listeners(out);
    }

    /// Route a message to the handler of its object class.
    pub fn dispatch(&mut self, addr: &str, args: &[OscType]) -> Reply {
        let Some(rest) = addr.strip_prefix("/live/") else {
            return Err(Fail::Unknown);
        };
        let (class, rest) = rest.split_once('/').unwrap_or((rest, ""));
        let a = Args::new(args);
        match class {
            "test" if rest.is_empty() => reply(vec![s("ok")]),
            "startup" if rest.is_empty() => done(),
            "song" => song::handle(self, rest, &a),
            "track" => track::handle(self, rest, &a),
            "clip_slot" => clip::handle_slot(self, rest, &a),
            "clip" => clip::handle(self, rest, &a),
            "scene" => other::scene(self, rest, &a),
            "device" => other::device(self, rest, &a),
            "view" => other::view(self, rest, &a),
            "application" => other::application(rest),
            "api" => other::api(self, rest, &a),
            "midimap" => other::midimap(self, rest, &a),
            _ => Err(Fail::Unknown),
        }
    }

    fn wildcard(&mut self, from: IpAddr, msg: &OscMessage, out: &mut Vec<Outgoing>) -> Reply {
        let pattern: Vec<&str> = msg.addr.split('/').collect();
        let mut matched = false;
        for line in API_TABLE.lines().skip(1) {
            let Some(candidate) = line.split('\t').next() else {
                continue;
            };
            if !candidate.contains("/get/") || !segments_match(&pattern, candidate) {
                continue;
            }
            matched = true;
            // As AbletonOSC does, getters that fail for these arguments are skipped.
            if let Ok(Some(values)) = self.dispatch(candidate, &msg.args) {
                out.push((
                    from,
                    OscMessage {
                        addr: candidate.to_string(),
                        args: values,
                    },
                ));
            }
        }
        if matched {
            done()
        } else {
            Err(Fail::Unknown)
        }
    }

    fn start_listen(
        &mut self,
        from: IpAddr,
        class: &str,
        prop: &str,
        params: &[OscType],
        out: &mut Vec<Outgoing>,
    ) -> Reply {
        if class == "song" && prop == "beat" {
            if !self.beat_listeners.contains(&from) {
                self.beat_listeners.push(from);
            }
            return done();
        }
        let get_addr = format!("/live/{class}/get/{prop}");
        let value = self.dispatch(&get_addr, params)?;
        let Some(value) = value else {
            return fail(format!("{prop} cannot be listened to"));
        };
        self.listeners
            .retain(|l| !(l.get_addr == get_addr && l.params == params && l.dest == from));
        out.push((
            from,
            OscMessage {
                addr: get_addr.clone(),
                args: value.clone(),
            },
        ));
        self.listeners.push(Listener {
            get_addr,
            params: params.to_vec(),
            dest: from,
            last: Some(value),
        });
        done()
    }

    fn stop_listen(&mut self, from: IpAddr, class: &str, prop: &str, params: &[OscType]) -> Reply {
        if class == "song" && prop == "beat" {
            self.beat_listeners.retain(|ip| *ip != from);
            return done();
        }
        let get_addr = format!("/live/{class}/get/{prop}");
        let before = self.listeners.len();
        self.listeners
            .retain(|l| !(l.get_addr == get_addr && l.params == params && l.dest == from));
        if before == self.listeners.len() {
            tracing::warn!(%get_addr, ?params, "sim: stop_listen without a listener");
        }
        done()
    }

    /// Push every listened value that changed since it was last sent.
    pub fn poll_listeners(&mut self, out: &mut Vec<Outgoing>) {
        let mut listeners = std::mem::take(&mut self.listeners);
        for listener in &mut listeners {
            if let Ok(Some(value)) = self.dispatch(&listener.get_addr, &listener.params) {
                if listener.last.as_ref() != Some(&value) {
                    out.push((
                        listener.dest,
                        OscMessage {
                            addr: listener.get_addr.clone(),
                            args: value.clone(),
                        },
                    ));
                    listener.last = Some(value);
                }
            }
        }
        self.listeners = listeners;
    }

    /// Advance the clock by `seconds`: move the play head, send beats, push listener updates.
    pub fn tick(&mut self, seconds: f64, out: &mut Vec<Outgoing>) {
        if !self.is_playing {
            return;
        }
        self.song_time += seconds * f64::from(self.doc.tempo) / 60.0;
        self.check_beat(out);
        self.poll_listeners(out);
    }

    /// Send `/live/song/get/beat` when the play head entered a new beat or jumped back.
    pub fn check_beat(&mut self, out: &mut Vec<Outgoing>) {
        let now = self.song_time;
        if now < self.last_beat_time || now.floor() > self.last_beat_time.floor() {
            let beat = OscType::Int(now.floor() as i32);
            for ip in &self.beat_listeners {
                out.push((
                    *ip,
                    OscMessage {
                        addr: "/live/song/get/beat".to_string(),
                        args: vec![beat.clone()],
                    },
                ));
            }
        }
        self.last_beat_time = now;
    }

    /// Make the next tick send the current beat (as the first beat after starting).
    pub fn restart_beats(&mut self) {
        self.last_beat_time = -1.0;
    }

    /// Set the play head (jumps, cue points, stop).
    pub fn set_song_time(&mut self, beats: f64) {
        self.song_time = beats.max(0.0);
    }

    /// The JSON view of everything.
    pub fn snapshot(&self) -> Value {
        let mut value = doc_json(&self.doc);
        if let Value::Object(map) = &mut value {
            map.insert("is_playing".into(), json!(self.is_playing));
            map.insert("current_song_time".into(), json!(self.song_time));
            map.insert("metronome".into(), json!(self.metronome));
            map.insert(
                "selection".into(),
                json!({
                    "track": self.sel_track, "scene": self.sel_scene, "device": self.sel_device,
                }),
            );
            map.insert("undo_depth".into(), json!(self.undo.len()));
            map.insert("redo_depth".into(), json!(self.redo.len()));
            map.insert("listeners".into(), json!(self.listeners.len()));
            map.insert("beat_listeners".into(), json!(self.beat_listeners.len()));
        }
        value
    }
}

/// `/live/error` with `text`, as AbletonOSC sends it (one string).
fn error_msg(text: String) -> OscMessage {
    OscMessage {
        addr: "/live/error".to_string(),
        args: vec![OscType::String(text)],
    }
}

/// `/live/<class>/<verb>/<prop>` → `(class, prop)`.
fn split_listen(addr: &str, verb: &str) -> Option<(String, String)> {
    let rest = addr.strip_prefix("/live/")?;
    let (class, rest) = rest.split_once('/')?;
    let prop = rest.strip_prefix(verb)?.strip_prefix('/')?;
    (!prop.is_empty()).then(|| (class.to_string(), prop.to_string()))
}

/// Whether a `*` pattern (split on `/`) matches an address, segment by segment.
fn segments_match(pattern: &[&str], candidate: &str) -> bool {
    let parts: Vec<&str> = candidate.split('/').collect();
    parts.len() == pattern.len() && pattern.iter().zip(&parts).all(|(p, c)| glob(p, c))
}

/// A segment glob where `*` matches any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            let Some(rest) = text.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len()).any(|k| rest.is_char_boundary(k) && glob(tail, &rest[k..]))
        }
    }
}

/// Whether a message edits the set (and so is an undo step when it changes something).
fn undoable(addr: &str) -> bool {
    const NOT: [&str; 9] = [
        "/live/view/",
        "/live/api/",
        "/live/song/set/current_song_time",
        "/live/song/set/metronome",
        "/live/song/set/nudge",
        "/live/song/undo",
        "/live/song/redo",
        "/live/song/cue_point/jump",
        "/live/midimap/",
    ];
    if NOT.iter().any(|p| addr.starts_with(p)) {
        return false;
    }
    [
        "/set/",
        "/create",
        "/delete",
        "/duplicate",
        "/add",
        "/remove",
        "/cue_point/",
        "tap_tempo",
    ]
    .iter()
    .any(|k| addr.contains(k))
}
