//! OSC on the wire for AbletonOSC: encoding messages, decoding packets (bundles flattened),
//! and the key a reply is matched by: its address plus the object indices it repeats.

use rosc::{OscMessage, OscPacket, OscType};
use serde_json::{json, Value};

use super::OscError;

/// How many leading arguments of a query name the object, and are repeated in the reply:
/// none for song, view and application; the track or scene; track and clip (or device);
/// track, device and parameter for single-parameter queries.
pub fn id_count(address: &str) -> usize {
    let family = address
        .strip_prefix("/live/")
        .and_then(|a| a.split('/').next())
        .unwrap_or("");
    match family {
        "track" | "scene" => 1,
        "clip" | "clip_slot" => 2,
        "device" if address.contains("/parameter/") => 3,
        "device" => 2,
        _ => 0,
    }
}

/// An argument that identifies an object.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IdArg {
    /// An index.
    Int(i64),
    /// A name (AbletonOSC accepts some objects by name).
    Text(String),
}

impl IdArg {
    fn of(arg: &OscType) -> Option<Self> {
        match arg {
            OscType::Int(i) => Some(IdArg::Int(i64::from(*i))),
            OscType::Long(i) => Some(IdArg::Int(*i)),
            OscType::String(s) => Some(IdArg::Text(s.clone())),
            OscType::Float(f) if f.fract() == 0.0 => Some(IdArg::Int(*f as i64)),
            _ => None,
        }
    }
}

/// What a reply is matched by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// The OSC address.
    pub address: String,
    /// The object indices the reply repeats first.
    pub ids: Vec<IdArg>,
}

impl Key {
    /// The key a query's reply will carry.
    pub fn for_request(address: &str, args: &[OscType]) -> Self {
        let ids = args
            .iter()
            .take(id_count(address))
            .filter_map(IdArg::of)
            .collect();
        Self {
            address: address.to_string(),
            ids,
        }
    }

    /// Whether a message is the reply this key waits for.
    pub fn matches(&self, message: &OscMessage) -> bool {
        message.addr == self.address
            && message.args.len() >= self.ids.len()
            && self
                .ids
                .iter()
                .zip(&message.args)
                .all(|(id, arg)| IdArg::of(arg).as_ref() == Some(id))
    }
}

/// Encodes one message.
pub fn encode(address: &str, args: Vec<OscType>) -> Result<Vec<u8>, OscError> {
    let packet = OscPacket::Message(OscMessage {
        addr: address.to_string(),
        args,
    });
    rosc::encoder::encode(&packet)
        .map_err(|e| OscError::Send(format!("cannot encode {address}: {e}")))
}

/// Decodes a packet into its messages (bundles, nested too, flattened in order).
pub fn decode(bytes: &[u8]) -> Result<Vec<OscMessage>, String> {
    let (_, packet) = rosc::decoder::decode_udp(bytes).map_err(|e| e.to_string())?;
    let mut messages = Vec::new();
    let mut stack = vec![packet];
    while let Some(packet) = stack.pop() {
        match packet {
            OscPacket::Message(m) => messages.push(m),
            OscPacket::Bundle(b) => stack.extend(b.content.into_iter().rev()),
        }
    }
    Ok(messages)
}

/// An OSC argument as JSON (for tool results).
pub fn arg_to_json(arg: &OscType) -> Value {
    match arg {
        OscType::Int(i) => json!(i),
        OscType::Long(i) => json!(i),
        OscType::Float(f) => json!(f64::from(*f)),
        OscType::Double(d) => json!(d),
        OscType::String(s) => json!(s),
        OscType::Bool(b) => json!(b),
        OscType::Nil | OscType::Inf => Value::Null,
        other => json!(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_match_by_address_and_repeated_ids() {
        let key = Key::for_request("/live/track/get/volume", &[OscType::Int(2)]);
        let reply = |args| OscMessage {
            addr: "/live/track/get/volume".into(),
            args,
        };
        assert!(key.matches(&reply(vec![OscType::Int(2), OscType::Float(0.85)])));
        assert!(!key.matches(&reply(vec![OscType::Int(3), OscType::Float(0.85)])));
        let notes = Key::for_request(
            "/live/clip/get/notes",
            &[
                OscType::Int(0),
                OscType::Int(1),
                OscType::Int(60),
                OscType::Int(12),
            ],
        );
        assert_eq!(notes.ids.len(), 2, "the pitch range is not repeated");
        assert_eq!(id_count("/live/device/get/parameter/value"), 3);
        assert_eq!(id_count("/live/song/get/tempo"), 0);
    }

    #[test]
    fn bundles_flatten_and_garbage_is_an_error() {
        let inner = OscPacket::Message(OscMessage {
            addr: "/a".into(),
            args: vec![],
        });
        let bundle = OscPacket::Bundle(rosc::OscBundle {
            timetag: rosc::OscTime {
                seconds: 0,
                fractional: 1,
            },
            content: vec![
                inner.clone(),
                OscPacket::Message(OscMessage {
                    addr: "/b".into(),
                    args: vec![],
                }),
            ],
        });
        let bytes = rosc::encoder::encode(&bundle).expect("encodes");
        let addrs: Vec<String> = decode(&bytes)
            .expect("decodes")
            .into_iter()
            .map(|m| m.addr)
            .collect();
        assert_eq!(addrs, ["/a", "/b"]);
        assert!(decode(b"\x00\x01garbage").is_err());
        assert!(decode(&[]).is_err());
    }
}
