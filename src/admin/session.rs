//! Browser sessions: the web UI never sees the admin token. Whoever holds the token (the CLI,
//! the desktop app, `livegate serve` at start) makes a one-time login code; opening
//! `/login?code=…` exchanges it (once, within ten minutes) for a random session id, set as
//! the `livegate_admin` cookie (`HttpOnly; SameSite=Strict`). Codes and sessions live in
//! memory only, as SHA-256 hashes, so a restart signs every browser out.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine;
use parking_lot::Mutex;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The cookie that carries a browser session.
pub const COOKIE: &str = "livegate_admin";

/// How long a login code can be used.
pub const CODE_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// How long a browser session lasts (livegate restarting ends it sooner).
pub const SESSION_LIFETIME: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// At most this many unused codes and this many sessions are kept; the oldest go first.
const MAX_KEPT: usize = 256;

type Hash = [u8; 32];

/// One-time login codes and the browser sessions they opened.
#[derive(Debug)]
pub struct Sessions {
    code_lifetime: Duration,
    session_lifetime: Duration,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Unused codes and when they expire.
    codes: HashMap<Hash, Instant>,
    /// Open sessions and when they expire.
    sessions: HashMap<Hash, Instant>,
}

impl Default for Sessions {
    fn default() -> Self {
        Self::with_lifetimes(CODE_LIFETIME, SESSION_LIFETIME)
    }
}

impl Sessions {
    /// Codes valid for `code_lifetime`, sessions for `session_lifetime`.
    pub fn with_lifetimes(code_lifetime: Duration, session_lifetime: Duration) -> Self {
        Self {
            code_lifetime,
            session_lifetime,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// A fresh one-time login code.
    pub fn new_code(&self) -> String {
        let code = random_id();
        let mut inner = self.inner.lock();
        let now = Instant::now();
        keep_room(&mut inner.codes, now);
        inner.codes.insert(hash(&code), now + self.code_lifetime);
        code
    }

    /// Exchanges a code for a new session id; `None` when the code is unknown, used or
    /// expired. A code works once, whatever the outcome.
    pub fn redeem(&self, code: &str) -> Option<String> {
        let now = Instant::now();
        let mut inner = self.inner.lock();
        let expires = inner.codes.remove(&hash(code))?;
        if expires <= now {
            return None;
        }
        let session = random_id();
        keep_room(&mut inner.sessions, now);
        inner
            .sessions
            .insert(hash(&session), now + self.session_lifetime);
        Some(session)
    }

    /// True when `session` is an open session.
    pub fn is_valid(&self, session: &str) -> bool {
        let now = Instant::now();
        let mut inner = self.inner.lock();
        let key = hash(session);
        match inner.sessions.get(&key) {
            Some(expires) if *expires > now => true,
            Some(_) => {
                inner.sessions.remove(&key);
                false
            }
            None => false,
        }
    }
}

/// Drops expired entries, then the soonest to expire while there is no room for one more.
fn keep_room(map: &mut HashMap<Hash, Instant>, now: Instant) {
    map.retain(|_, expires| *expires > now);
    while map.len() >= MAX_KEPT {
        let Some(oldest) = map.iter().min_by_key(|(_, e)| **e).map(|(k, _)| *k) else {
            break;
        };
        map.remove(&oldest);
    }
}

/// 32 random bytes, base64url.
fn random_id() -> String {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn hash(text: &str) -> Hash {
    Sha256::digest(text.as_bytes()).into()
}

/// The value of cookie `name` in a `Cookie` header (`a=1; b=2`).
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key.trim() == name).then(|| value.trim())
    })
}

/// The `Set-Cookie` value for a new session.
pub fn session_cookie(session: &str) -> String {
    format!(
        "{COOKIE}={session}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        SESSION_LIFETIME.as_secs()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_opens_one_session_once() {
        let sessions = Sessions::default();
        let code = sessions.new_code();
        assert_ne!(code, sessions.new_code(), "codes are random");
        let session = sessions.redeem(&code).expect("first use");
        assert!(sessions.is_valid(&session));
        assert_eq!(sessions.redeem(&code), None, "single use");
        assert_eq!(sessions.redeem("made-up"), None);
        assert!(!sessions.is_valid(&code), "a code is not a session");
        assert!(!sessions.is_valid("made-up"));
    }

    #[test]
    fn codes_and_sessions_expire() {
        let sessions =
            Sessions::with_lifetimes(Duration::from_millis(30), Duration::from_millis(30));
        let late = sessions.new_code();
        let code = sessions.new_code();
        let session = sessions.redeem(&code).expect("in time");
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(sessions.redeem(&late), None, "expired code");
        assert!(!sessions.is_valid(&session), "expired session");
    }

    #[test]
    fn unused_codes_are_bounded() {
        let sessions = Sessions::default();
        for _ in 0..MAX_KEPT * 2 {
            sessions.new_code();
        }
        assert_eq!(sessions.inner.lock().codes.len(), MAX_KEPT);
        let newest = sessions.new_code();
        assert!(
            sessions.redeem(&newest).is_some(),
            "the newest code is kept"
        );
    }

    #[test]
    fn cookies_are_read_by_name() {
        let header = "theme=dark; livegate_admin=abc-123 ; other=x=y";
        assert_eq!(cookie_value(header, COOKIE), Some("abc-123"));
        assert_eq!(cookie_value(header, "other"), Some("x=y"));
        assert_eq!(cookie_value(header, "missing"), None);
        let set = session_cookie("s");
        for part in ["livegate_admin=s", "HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(set.contains(part), "{set}");
        }
    }
}
