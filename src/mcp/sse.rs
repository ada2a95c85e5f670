//! A small Server-Sent Events reader: bytes in, the `data` of each event out. Used by the
//! stdio bridge (and any client side) to read `text/event-stream` responses.

/// Collects bytes and yields complete events' data.
#[derive(Debug, Default)]
pub struct SseParser {
    buffer: Vec<u8>,
    data: Vec<String>,
}

impl SseParser {
    /// A parser with nothing buffered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes; returns the data of every event completed by them (multi-line `data:`
    /// fields joined with `\n`; comments, `event:`, `id:` and `retry:` lines skipped).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        self.buffer.extend_from_slice(bytes);
        let mut events = Vec::new();
        while let Some(end) = self.buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.buffer.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if !self.data.is_empty() {
                    events.push(self.data.join("\n"));
                    self.data.clear();
                }
            } else if let Some(value) = line.strip_prefix("data:") {
                self.data
                    .push(value.strip_prefix(' ').unwrap_or(value).to_string());
            }
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_and_lines() {
        let mut p = SseParser::new();
        assert!(p
            .feed(b": keep-alive\n\nevent: message\ndata: {\"a\":")
            .is_empty());
        assert_eq!(
            p.feed(b"1}\r\n\r\ndata: x\ndata: y\n\n"),
            ["{\"a\":1}", "x\ny"]
        );
        assert!(p.feed(b"id: 3\nretry: 10\n\n").is_empty());
    }
}
