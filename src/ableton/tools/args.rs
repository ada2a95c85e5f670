//! The plumbing every tool shares: reading and checking a call's arguments (errors name the
//! argument), the tool error type, the result of a successful call, and [`Live`], thin typed
//! helpers over the OSC client that turn OSC values into numbers, flags and text.

use rosc::OscType;
use serde_json::{Map, Value};

use crate::ableton::osc::{arg_to_json, OscClient, OscError};

/// Why a tool call did not do what was asked; always reported as a tool result with
/// `isError: true`, never as a JSON-RPC error.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// An argument is missing, has the wrong type or is out of range.
    #[error("{0}")]
    Arg(String),
    /// Live did not answer or refused.
    #[error("{0}")]
    Live(#[from] OscError),
    /// AbletonOSC offers no way to do this.
    #[error("{tool} is not available over AbletonOSC: {why}")]
    Unsupported {
        /// The tool's name.
        tool: String,
        /// What AbletonOSC lacks.
        why: String,
    },
    /// The request makes no sense for the set as it is (e.g. an empty clip slot).
    #[error("{0}")]
    State(String),
}

/// Shorthand for a result of a tool.
pub type ToolResult = Result<Done, ToolError>;

/// What a successful tool call returns: a human summary and the data read or changed.
#[derive(Debug, Clone)]
pub struct Done {
    /// One line or a few for the agent.
    pub text: String,
    /// The structured data (`structuredContent`).
    pub data: Value,
}

/// A successful result.
pub fn done(text: impl Into<String>, data: Value) -> ToolResult {
    Ok(Done {
        text: text.into(),
        data,
    })
}

/// An argument error.
pub fn arg_error(text: impl Into<String>) -> ToolError {
    ToolError::Arg(text.into())
}

/// A state error.
pub fn state_error(text: impl Into<String>) -> ToolError {
    ToolError::State(text.into())
}

/// A call's arguments (catalog defaults already filled in).
#[derive(Debug, Clone, Copy)]
pub struct Args<'a>(pub &'a Map<String, Value>);

impl Args<'_> {
    fn value(&self, name: &str) -> Result<&Value, ToolError> {
        match self.0.get(name) {
            Some(Value::Null) | None => {
                Err(arg_error(format!("missing required argument `{name}`")))
            }
            Some(v) => Ok(v),
        }
    }

    /// Whether the argument was given (and is not null).
    pub fn has(&self, name: &str) -> bool {
        !matches!(self.0.get(name), None | Some(Value::Null))
    }

    /// An integer argument (integral floats accepted).
    pub fn int(&self, name: &str) -> Result<i64, ToolError> {
        let v = self.value(name)?;
        v.as_i64()
            .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .ok_or_else(|| arg_error(format!("argument `{name}` must be an integer, got {v}")))
    }

    /// An integer argument within `min..=max`.
    pub fn int_in(&self, name: &str, min: i64, max: i64) -> Result<i64, ToolError> {
        let v = self.int(name)?;
        if v < min || v > max {
            return Err(arg_error(format!(
                "argument `{name}` must be between {min} and {max}, got {v}"
            )));
        }
        Ok(v)
    }

    /// A zero-based index argument (as `i32` for OSC).
    pub fn index(&self, name: &str) -> Result<i32, ToolError> {
        let v = self.int(name)?;
        i32::try_from(v)
            .ok()
            .filter(|v| *v >= 0)
            .ok_or_else(|| arg_error(format!("argument `{name}` must be an index ≥ 0, got {v}")))
    }

    /// A number argument.
    pub fn num(&self, name: &str) -> Result<f64, ToolError> {
        let v = self.value(name)?;
        v.as_f64()
            .filter(|f| f.is_finite())
            .ok_or_else(|| arg_error(format!("argument `{name}` must be a number, got {v}")))
    }

    /// A number argument within `min..=max`.
    pub fn num_in(&self, name: &str, min: f64, max: f64) -> Result<f64, ToolError> {
        let v = self.num(name)?;
        if v < min || v > max {
            return Err(arg_error(format!(
                "argument `{name}` must be between {min} and {max}, got {v}"
            )));
        }
        Ok(v)
    }

    /// A string argument.
    pub fn str(&self, name: &str) -> Result<&str, ToolError> {
        let v = self.value(name)?;
        v.as_str()
            .ok_or_else(|| arg_error(format!("argument `{name}` must be a string, got {v}")))
    }

    /// A boolean argument (`true`/`false`, 0/1 accepted).
    pub fn bool(&self, name: &str) -> Result<bool, ToolError> {
        let v = self.value(name)?;
        v.as_bool()
            .or_else(|| match v.as_i64() {
                Some(0) => Some(false),
                Some(1) => Some(true),
                _ => None,
            })
            .ok_or_else(|| arg_error(format!("argument `{name}` must be true or false, got {v}")))
    }

    /// An array argument.
    pub fn array(&self, name: &str) -> Result<&Vec<Value>, ToolError> {
        let v = self.value(name)?;
        v.as_array()
            .ok_or_else(|| arg_error(format!("argument `{name}` must be an array, got {v}")))
    }
}

/// An OSC integer.
pub fn oi(v: i32) -> OscType {
    OscType::Int(v)
}

/// An OSC float.
pub fn of(v: f64) -> OscType {
    OscType::Float(v as f32)
}

/// An OSC string.
pub fn os(v: &str) -> OscType {
    OscType::String(v.to_string())
}

/// An OSC value as a number, if it is one.
pub fn as_f64(v: &OscType) -> Option<f64> {
    match v {
        OscType::Int(i) => Some(f64::from(*i)),
        OscType::Long(i) => Some(*i as f64),
        OscType::Float(f) => Some(f64::from(*f)),
        OscType::Double(d) => Some(*d),
        OscType::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

/// An OSC value as text (strings as is, other values as JSON).
pub fn as_text(v: &OscType) -> String {
    match v {
        OscType::String(s) => s.clone(),
        other => arg_to_json(other).to_string(),
    }
}

/// Rounds a float read from Live (single precision on the wire) for display and JSON.
pub fn round(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

/// Typed queries and commands over the OSC client.
#[derive(Debug, Clone, Copy)]
pub struct Live<'a> {
    /// The client.
    pub osc: &'a OscClient,
}

impl Live<'_> {
    /// All reply values (indices removed).
    pub async fn get(&self, address: &str, args: Vec<OscType>) -> Result<Vec<OscType>, ToolError> {
        Ok(self.osc.query(address, args).await?)
    }

    /// The first reply value.
    pub async fn one(&self, address: &str, args: Vec<OscType>) -> Result<OscType, ToolError> {
        self.get(address, args)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| state_error(format!("Live sent an empty reply to {address}")))
    }

    /// A number.
    pub async fn num(&self, address: &str, args: Vec<OscType>) -> Result<f64, ToolError> {
        let v = self.one(address, args).await?;
        as_f64(&v)
            .ok_or_else(|| state_error(format!("Live sent {v:?} for {address}, not a number")))
    }

    /// An integer.
    pub async fn int(&self, address: &str, args: Vec<OscType>) -> Result<i64, ToolError> {
        Ok(self.num(address, args).await?.round() as i64)
    }

    /// A flag.
    pub async fn flag(&self, address: &str, args: Vec<OscType>) -> Result<bool, ToolError> {
        Ok(self.num(address, args).await? != 0.0)
    }

    /// Text.
    pub async fn text(&self, address: &str, args: Vec<OscType>) -> Result<String, ToolError> {
        Ok(as_text(&self.one(address, args).await?))
    }

    /// A list of texts.
    pub async fn texts(&self, address: &str, args: Vec<OscType>) -> Result<Vec<String>, ToolError> {
        Ok(self.get(address, args).await?.iter().map(as_text).collect())
    }

    /// A list of numbers (non-numbers become 0).
    pub async fn nums(&self, address: &str, args: Vec<OscType>) -> Result<Vec<f64>, ToolError> {
        Ok(self
            .get(address, args)
            .await?
            .iter()
            .map(|v| as_f64(v).unwrap_or(0.0))
            .collect())
    }

    /// Sends a setter or action and waits until Live handled it.
    pub async fn cmd(&self, address: &str, args: Vec<OscType>) -> Result<(), ToolError> {
        tracing::debug!(address, "ableton command");
        Ok(self.osc.command(address, args).await?)
    }

    /// How many tracks the set has.
    pub async fn num_tracks(&self) -> Result<i32, ToolError> {
        Ok(self.int("/live/song/get/num_tracks", Vec::new()).await? as i32)
    }

    /// How many scenes the set has.
    pub async fn num_scenes(&self) -> Result<i32, ToolError> {
        Ok(self.int("/live/song/get/num_scenes", Vec::new()).await? as i32)
    }

    /// Checks that a track exists, with a clear error otherwise.
    pub async fn track(&self, track: i32) -> Result<(), ToolError> {
        let n = self.num_tracks().await?;
        if track >= n {
            return Err(arg_error(format!(
                "argument `track_index` is {track}, but the set has {n} track(s) (0–{})",
                n - 1
            )));
        }
        Ok(())
    }

    /// Checks that a scene exists.
    pub async fn scene(&self, scene: i32, arg: &str) -> Result<(), ToolError> {
        let n = self.num_scenes().await?;
        if scene >= n {
            return Err(arg_error(format!(
                "argument `{arg}` is {scene}, but the set has {n} scene(s) (0–{})",
                n - 1
            )));
        }
        Ok(())
    }

    /// Checks that a clip slot exists and holds a clip.
    pub async fn clip(&self, track: i32, clip: i32) -> Result<(), ToolError> {
        self.track(track).await?;
        self.scene(clip, "clip_index").await?;
        if !self
            .flag("/live/clip_slot/get/has_clip", vec![oi(track), oi(clip)])
            .await?
        {
            return Err(state_error(format!(
                "there is no clip in track {track}, slot {clip}"
            )));
        }
        Ok(())
    }
}
