//! The MCP protocol revisions livegate speaks to agents, and how one is chosen.

use std::fmt;

/// An MCP protocol revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Revision {
    /// Handshake revision with JSON-RPC batches and no version header.
    V2025_03_26,
    /// Handshake revision: `MCP-Protocol-Version` header, no batches, structured content.
    V2025_06_18,
    /// Handshake revision: 403 for bad origins, icons, tasks.
    V2025_11_25,
    /// Stateless revision: no initialize or sessions; per-request `_meta` and headers.
    V2026_07_28,
}

impl Revision {
    /// Every revision, oldest first.
    pub const ALL: [Revision; 4] = [
        Revision::V2025_03_26,
        Revision::V2025_06_18,
        Revision::V2025_11_25,
        Revision::V2026_07_28,
    ];

    /// The newest revision that starts with `initialize`.
    pub const LATEST_HANDSHAKE: Revision = Revision::V2025_11_25;

    /// The date string used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Revision::V2025_03_26 => "2025-03-26",
            Revision::V2025_06_18 => "2025-06-18",
            Revision::V2025_11_25 => "2025-11-25",
            Revision::V2026_07_28 => "2026-07-28",
        }
    }

    /// Parses a wire date string.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// True for the revisions that start with `initialize` and may have sessions.
    pub fn is_handshake(self) -> bool {
        self != Revision::V2026_07_28
    }

    /// The revision to answer an `initialize` asking for `requested`: the same one when it
    /// is a handshake revision livegate speaks, else the latest handshake revision.
    pub fn negotiate(requested: &str) -> Self {
        match Self::parse(requested) {
            Some(r) if r.is_handshake() => r,
            _ => Self::LATEST_HANDSHAKE,
        }
    }

    /// Every supported revision's date string, newest first.
    pub fn supported() -> Vec<&'static str> {
        Self::ALL.iter().rev().map(|r| r.as_str()).collect()
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_keeps_known_handshake_revisions() {
        assert_eq!(Revision::negotiate("2025-03-26"), Revision::V2025_03_26);
        assert_eq!(Revision::negotiate("2025-06-18"), Revision::V2025_06_18);
        assert_eq!(Revision::negotiate("2024-11-05"), Revision::V2025_11_25);
        assert_eq!(Revision::negotiate("2026-07-28"), Revision::V2025_11_25);
        assert_eq!(Revision::supported()[0], "2026-07-28");
    }
}
