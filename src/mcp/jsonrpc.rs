//! JSON-RPC 2.0 as MCP uses it: classifying incoming messages, and building responses and
//! errors. Ids, params and results are kept as JSON values so that fields livegate does
//! not interpret pass through unchanged.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Invalid JSON was received.
pub const PARSE_ERROR: i64 = -32700;
/// The JSON sent is not a valid request object.
pub const INVALID_REQUEST: i64 = -32600;
/// The method does not exist or is not available.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// Invalid method parameters (MCP also uses it for unknown tools).
pub const INVALID_PARAMS: i64 = -32602;
/// Internal error.
pub const INTERNAL_ERROR: i64 = -32603;

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("JSON-RPC error {code}: {message}")]
pub struct RpcError {
    /// The error code.
    pub code: i64,
    /// A short description.
    pub message: String,
    /// More about it, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcError {
    /// An error with a code and message.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// The same error with `data`.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// -32700: the body is not JSON.
    pub fn parse(detail: impl std::fmt::Display) -> Self {
        Self::new(PARSE_ERROR, format!("Parse error: {detail}"))
    }

    /// -32600: not a JSON-RPC 2.0 message.
    pub fn invalid_request(detail: impl Into<String>) -> Self {
        Self::new(
            INVALID_REQUEST,
            format!("Invalid request: {}", detail.into()),
        )
    }

    /// -32601: no such method.
    pub fn method_not_found(method: &str) -> Self {
        Self::new(METHOD_NOT_FOUND, format!("Method not found: {method}"))
    }

    /// -32602: bad params.
    pub fn invalid_params(detail: impl Into<String>) -> Self {
        Self::new(INVALID_PARAMS, detail.into())
    }

    /// -32603: something went wrong inside livegate or an upstream.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(INTERNAL_ERROR, detail.into())
    }
}

/// One JSON-RPC message, classified.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A request, which expects a response with the same id.
    Request {
        /// Its id (a string or a number).
        id: Value,
        /// The method.
        method: String,
        /// Its params, as sent.
        params: Option<Value>,
    },
    /// A notification: no id, no response.
    Notification {
        /// The method.
        method: String,
        /// Its params, as sent.
        params: Option<Value>,
    },
    /// A response carrying a result.
    Response {
        /// The id of the request it answers.
        id: Value,
        /// The result.
        result: Value,
    },
    /// A response carrying an error.
    Error {
        /// The id of the request it answers (null when unknown).
        id: Value,
        /// The error.
        error: RpcError,
    },
}

impl Message {
    /// Classifies a JSON value. The error is an `Invalid request` with the message's id,
    /// when it had a usable one, so that it can still be answered.
    pub fn parse(value: Value) -> Result<Self, (Value, RpcError)> {
        let Value::Object(mut obj) = value else {
            return Err((
                Value::Null,
                RpcError::invalid_request("expected a JSON object"),
            ));
        };
        let id = obj.remove("id");
        let reply_id = id.clone().filter(valid_id).unwrap_or(Value::Null);
        let fail = |detail: &str| Err((reply_id.clone(), RpcError::invalid_request(detail)));
        if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
            return fail("\"jsonrpc\" must be \"2.0\"");
        }
        if let Some(id) = &id {
            if !valid_id(id) {
                return fail("\"id\" must be a string or a number");
            }
        }
        let params = obj.remove("params");
        if params
            .as_ref()
            .is_some_and(|p| !p.is_object() && !p.is_array())
        {
            return fail("\"params\" must be an object or an array");
        }
        match (obj.remove("method"), id) {
            (Some(Value::String(method)), Some(id)) => Ok(Message::Request { id, method, params }),
            (Some(Value::String(method)), None) => Ok(Message::Notification { method, params }),
            (Some(_), _) => fail("\"method\" must be a string"),
            (None, Some(id)) => match (obj.remove("result"), obj.remove("error")) {
                (Some(result), None) => Ok(Message::Response { id, result }),
                (None, Some(error)) => match serde_json::from_value::<RpcError>(error) {
                    Ok(error) => Ok(Message::Error { id, error }),
                    Err(e) => fail(&format!("bad \"error\" object: {e}")),
                },
                _ => fail("a response has exactly one of \"result\" and \"error\""),
            },
            (None, None) => fail("missing \"method\""),
        }
    }

    /// The method of a request or notification.
    pub fn method(&self) -> Option<&str> {
        match self {
            Message::Request { method, .. } | Message::Notification { method, .. } => Some(method),
            _ => None,
        }
    }
}

fn valid_id(id: &Value) -> bool {
    id.is_string() || id.is_number()
}

/// `{"jsonrpc":"2.0","id":…,"result":…}`.
pub fn response(id: Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// `{"jsonrpc":"2.0","id":…,"error":…}`.
pub fn error_response(id: Value, error: &RpcError) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": error})
}

/// `{"jsonrpc":"2.0","method":…,"params":…}`.
pub fn notification(method: &str, params: Option<Value>) -> Value {
    let mut obj = Map::new();
    obj.insert("jsonrpc".into(), json!("2.0"));
    obj.insert("method".into(), json!(method));
    if let Some(params) = params {
        obj.insert("params".into(), params);
    }
    Value::Object(obj)
}

/// `{"jsonrpc":"2.0","id":…,"method":…,"params":…}`.
pub fn request(id: Value, method: &str, params: Option<Value>) -> Value {
    let mut obj = Map::new();
    obj.insert("jsonrpc".into(), json!("2.0"));
    obj.insert("id".into(), id);
    obj.insert("method".into(), json!(method));
    if let Some(params) = params {
        obj.insert("params".into(), params);
    }
    Value::Object(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_classified() {
        let req = Message::parse(json!({"jsonrpc":"2.0","id":1,"method":"tools/list"}));
        assert_eq!(
            req,
            Ok(Message::Request {
                id: json!(1),
                method: "tools/list".into(),
                params: None
            })
        );
        let note = Message::parse(json!({"jsonrpc":"2.0","method":"notifications/initialized"}));
        assert!(matches!(note, Ok(Message::Notification { .. })));
        let resp = Message::parse(json!({"jsonrpc":"2.0","id":"a","result":{}}));
        assert!(matches!(resp, Ok(Message::Response { .. })));
        let err = Message::parse(json!({"jsonrpc":"2.0","id":2,"error":{"code":-1,"message":"x"}}));
        assert!(matches!(err, Ok(Message::Error { .. })));
    }

    #[test]
    fn bad_shapes_are_invalid_requests_answerable_by_id() {
        let cases = [
            (json!([1, 2]), Value::Null),
            (json!({"id": 1, "method": "x"}), json!(1)),
            (json!({"jsonrpc": "1.0", "id": 1, "method": "x"}), json!(1)),
            (
                json!({"jsonrpc": "2.0", "id": {"a": 1}, "method": "x"}),
                Value::Null,
            ),
            (json!({"jsonrpc": "2.0", "id": 3, "method": 5}), json!(3)),
            (
                json!({"jsonrpc": "2.0", "id": 4, "method": "x", "params": "p"}),
                json!(4),
            ),
            (json!({"jsonrpc": "2.0", "id": 5}), json!(5)),
            (json!({"jsonrpc": "2.0"}), Value::Null),
        ];
        for (msg, id) in cases {
            let (got_id, err) = Message::parse(msg.clone()).expect_err("invalid");
            assert_eq!(got_id, id, "{msg}");
            assert_eq!(err.code, INVALID_REQUEST, "{msg}");
        }
    }

    #[test]
    fn builders_make_jsonrpc_objects() {
        assert_eq!(
            error_response(json!(7), &RpcError::method_not_found("nope")),
            json!({"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"Method not found: nope"}})
        );
        assert_eq!(
            notification("n", None),
            json!({"jsonrpc":"2.0","method":"n"})
        );
    }
}
