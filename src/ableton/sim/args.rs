//! Typed access to an OSC message's arguments, and the error a handler returns.
//!
//! AbletonOSC turns every exception raised while handling a message into a `/live/error`
//! reply; here a handler returns [`Fail::Msg`] with a readable reason instead, and
//! [`Fail::Unknown`] for an address nothing handles.

use rosc::OscType;

/// Why a message could not be handled.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Fail {
    /// No handler for this address.
    Unknown,
    /// The handler refused: bad index, wrong type, missing argument…
    Msg(String),
}

/// What a handler returns: `Some(args)` for a reply on the same address, `None` for none.
pub(crate) type Reply = Result<Option<Vec<OscType>>, Fail>;

/// Shorthand for a failure with a message.
pub(crate) fn fail<T>(msg: impl Into<String>) -> Result<T, Fail> {
    Err(Fail::Msg(msg.into()))
}

/// A reply carrying `values`.
pub(crate) fn reply(values: Vec<OscType>) -> Reply {
    Ok(Some(values))
}

/// No reply (a setter or an action).
pub(crate) fn done() -> Reply {
    Ok(None)
}

fn describe(arg: &OscType) -> String {
    match arg {
        OscType::Int(v) => format!("int {v}"),
        OscType::Long(v) => format!("int64 {v}"),
        OscType::Float(v) => format!("float {v}"),
        OscType::Double(v) => format!("double {v}"),
        OscType::String(v) => format!("string {v:?}"),
        OscType::Bool(v) => format!("bool {v}"),
        OscType::Nil => "nil".to_string(),
        other => format!("{other:?}"),
    }
}

/// The arguments of one message, read by position.
pub(crate) struct Args<'a> {
    list: &'a [OscType],
}

impl<'a> Args<'a> {
    /// Wrap a message's argument list.
    pub fn new(list: &'a [OscType]) -> Self {
        Self { list }
    }

    /// How many arguments there are.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// The raw arguments.
    pub fn raw(&self) -> &'a [OscType] {
        self.list
    }

    fn get(&self, i: usize, what: &str) -> Result<&'a OscType, Fail> {
        match self.list.get(i) {
            Some(v) => Ok(v),
            None => fail(format!(
                "missing argument {what} (argument {} of at least {})",
                i + 1,
                i + 1
            )),
        }
    }

    /// An int argument (int32 or int64 within range).
    pub fn int(&self, i: usize, what: &str) -> Result<i32, Fail> {
        match self.get(i, what)? {
            OscType::Int(v) => Ok(*v),
            OscType::Long(v) => {
                i32::try_from(*v).or_else(|_| fail(format!("{what} out of range: {v}")))
            }
            other => fail(format!("{what} must be an int, got {}", describe(other))),
        }
    }

    /// A non-negative index argument.
    pub fn index(&self, i: usize, what: &str) -> Result<usize, Fail> {
        let v = self.int(i, what)?;
        usize::try_from(v).or_else(|_| fail(format!("{what} must not be negative, got {v}")))
    }

    /// A float argument (ints are accepted, as Python would).
    pub fn float(&self, i: usize, what: &str) -> Result<f32, Fail> {
        match self.get(i, what)? {
            OscType::Float(v) if v.is_finite() => Ok(*v),
            OscType::Double(v) if v.is_finite() => Ok(*v as f32),
            OscType::Int(v) => Ok(*v as f32),
            OscType::Long(v) => Ok(*v as f32),
            other => fail(format!("{what} must be a number, got {}", describe(other))),
        }
    }

    /// A boolean argument: OSC true/false, or an int/float (non-zero is true).
    pub fn boolean(&self, i: usize, what: &str) -> Result<bool, Fail> {
        match self.get(i, what)? {
            OscType::Bool(v) => Ok(*v),
            OscType::Int(v) => Ok(*v != 0),
            OscType::Long(v) => Ok(*v != 0),
            OscType::Float(v) => Ok(*v != 0.0),
            other => fail(format!(
                "{what} must be a boolean (0/1), got {}",
                describe(other)
            )),
        }
    }

    /// A string argument.
    pub fn string(&self, i: usize, what: &str) -> Result<String, Fail> {
        match self.get(i, what)? {
            OscType::String(v) => Ok(v.clone()),
            other => fail(format!("{what} must be a string, got {}", describe(other))),
        }
    }
}

/// Pick `list[index]` or fail with a message naming the object and the valid range.
pub(crate) fn pick<'t, T>(list: &'t [T], index: usize, what: &str) -> Result<&'t T, Fail> {
    match list.get(index) {
        Some(v) => Ok(v),
        None => fail(format!(
            "{what} index {index} out of range (there are {} {what}s)",
            list.len()
        )),
    }
}

/// Mutable [`pick`].
pub(crate) fn pick_mut<'t, T>(
    list: &'t mut [T],
    index: usize,
    what: &str,
) -> Result<&'t mut T, Fail> {
    let len = list.len();
    match list.get_mut(index) {
        Some(v) => Ok(v),
        None => fail(format!(
            "{what} index {index} out of range (there are {len} {what}s)"
        )),
    }
}

/// OSC int.
pub(crate) fn i(v: i32) -> OscType {
    OscType::Int(v)
}

/// OSC int from an index.
pub(crate) fn u(v: usize) -> OscType {
    OscType::Int(i32::try_from(v).unwrap_or(i32::MAX))
}

/// OSC float.
pub(crate) fn f(v: f32) -> OscType {
    OscType::Float(v)
}

/// OSC true/false (AbletonOSC sends Python booleans as `T`/`F`).
pub(crate) fn b(v: bool) -> OscType {
    OscType::Bool(v)
}

/// OSC string.
pub(crate) fn s(v: &str) -> OscType {
    OscType::String(v.to_string())
}
