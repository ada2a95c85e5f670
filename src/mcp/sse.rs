//! A small `text/event-stream` parser, shared by every client side (HTTP upstreams, the stdio
//! bridge), as the WHATWG "server-sent events" section describes
//! it: lines end with CRLF, LF or CR (possibly split across chunks), `data:` lines of one
//! event are joined with newlines, a blank line dispatches the event, lines starting with
//! `:` are comments (keep-alives). [`SseReader`] runs the parser over an HTTP body stream.

use std::collections::VecDeque;
use std::pin::Pin;

use bytes::Bytes;
use futures::{Stream, StreamExt};

/// The largest event livegate accepts, in bytes: far above any sane MCP message, low
/// enough that a broken server cannot make livegate buffer without end.
const MAX_EVENT_BYTES: usize = 64 << 20;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field; `message` when the server did not set one.
    pub event: String,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
}

/// Incremental parser: feed it body chunks, get whole events back.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    data: String,
    has_data: bool,
    event: String,
    after_cr: bool,
    started: bool,
}

impl SseParser {
    /// Parses one chunk; returns the events it completed, or an error if an event grew
    /// beyond `MAX_EVENT_BYTES` (64 MiB).
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, String> {
        let mut events = Vec::new();
        for &byte in chunk {
            if std::mem::take(&mut self.after_cr) && byte == b'\n' {
                continue; // the LF of a CRLF whose CR ended the line already
            }
            match byte {
                b'\r' | b'\n' => {
                    self.after_cr = byte == b'\r';
                    if let Some(event) = self.end_line() {
                        events.push(event);
                    }
                }
                _ => {
                    if self.line.len() + self.data.len() >= MAX_EVENT_BYTES {
                        return Err(format!("an event is larger than {MAX_EVENT_BYTES} bytes"));
                    }
                    self.line.push(byte);
                }
            }
        }
        Ok(events)
    }

    /// Handles one complete line; a blank one dispatches the event collected so far.
    fn end_line(&mut self) -> Option<SseEvent> {
        let raw = std::mem::take(&mut self.line);
        let mut line = String::from_utf8_lossy(&raw).into_owned();
        if !std::mem::replace(&mut self.started, true) {
            if let Some(rest) = line.strip_prefix('\u{feff}') {
                line = rest.to_string();
            }
        }
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_str(), ""),
        };
        match field {
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
                self.has_data = true;
            }
            "event" => self.event = value.to_string(),
            // `id` and `retry` only matter for resuming a stream, which livegate does not do.
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = std::mem::take(&mut self.event);
        let mut data = std::mem::take(&mut self.data);
        if !std::mem::take(&mut self.has_data) {
            return None;
        }
        if data.ends_with('\n') {
            data.pop();
        }
        let event = if event.is_empty() {
            "message".to_string()
        } else {
            event
        };
        Some(SseEvent { event, data })
    }
}

/// The body stream of an HTTP response, as returned by `reqwest::Response::bytes_stream`.
type Body = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// Why an event stream could not be read on.
#[derive(Debug)]
pub enum SseError {
    /// The connection failed while reading.
    Broken(reqwest::Error),
    /// An event was larger than livegate accepts.
    TooLarge(String),
}

/// Reads events from an HTTP response body.
pub struct SseReader {
    body: Body,
    parser: SseParser,
    pending: VecDeque<SseEvent>,
}

impl SseReader {
    /// A reader over `response`'s body.
    pub fn new(response: reqwest::Response) -> Self {
        Self {
            body: Box::pin(response.bytes_stream()),
            parser: SseParser::default(),
            pending: VecDeque::new(),
        }
    }

    /// The next event; `None` when the server closed the stream.
    pub async fn next(&mut self) -> Result<Option<SseEvent>, SseError> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Ok(Some(event));
            }
            match self.body.next().await {
                None => return Ok(None),
                Some(Err(e)) => return Err(SseError::Broken(e)),
                Some(Ok(chunk)) => self
                    .pending
                    .extend(self.parser.feed(&chunk).map_err(SseError::TooLarge)?),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_pieces(text: &str, piece: usize) -> Vec<SseEvent> {
        let mut parser = SseParser::default();
        let mut events = Vec::new();
        for chunk in text.as_bytes().chunks(piece) {
            events.extend(parser.feed(chunk).expect("small events"));
        }
        events
    }

    #[test]
    fn events_are_parsed_whatever_the_chunking_and_line_endings() {
        let text = "\u{feff}: keep-alive\r\nevent: message\r\ndata: {\"a\":\r\ndata:  1}\r\n\r\nid: 7\rdata: two\r\rdata:x\n\n";
        for piece in [1, 2, 3, 5, 1000] {
            let events = parse_in_pieces(text, piece);
            assert_eq!(
                events,
                vec![
                    SseEvent {
                        event: "message".into(),
                        data: "{\"a\":\n 1}".into()
                    },
                    SseEvent {
                        event: "message".into(),
                        data: "two".into()
                    },
                    SseEvent {
                        event: "message".into(),
                        data: "x".into()
                    },
                ],
                "chunks of {piece}"
            );
        }
    }

    #[test]
    fn events_without_data_are_not_dispatched_and_types_are_kept() {
        let events = parse_in_pieces("event: ping\n\nevent: endpoint\ndata\n\n", 4);
        assert_eq!(
            events,
            vec![SseEvent {
                event: "endpoint".into(),
                data: String::new()
            }]
        );
    }

    #[test]
    fn an_unfinished_event_is_not_dispatched() {
        assert!(parse_in_pieces("data: half", 3).is_empty());
    }
}
