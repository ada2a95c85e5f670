//! The admin token: the credential of the CLI and the desktop app for the admin API.
//!
//! Created at first start (32 random bytes, base64url) in `<config dir>/admin-token`, readable
//! only by its owner on Unix (mode 0600). Only livegate, the CLI and the desktop app read it;
//! the web UI never sees it (it signs in with a one-time login link instead). Tokens are
//! compared in constant time.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use rand::RngCore;
use subtle::ConstantTimeEq;

/// Characters of a token: 32 bytes in unpadded base64url.
const TOKEN_CHARS: usize = 43;

/// Why the admin token could not be read or created.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The file could not be read, written or protected.
    #[error("{action} the admin token file {path}: {source}")]
    Io {
        /// What livegate was doing.
        action: &'static str,
        /// The token file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// There is no token file: livegate has not been started in this home yet.
    #[error("there is no admin token at {0}: start livegate once (`livegate serve`) to create it")]
    Missing(PathBuf),
}

/// The admin token in force and the file it lives in.
pub struct AdminToken {
    value: String,
    file: PathBuf,
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminToken")
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

impl AdminToken {
    /// Reads the token in `file`, creating the file with a fresh token (mode 0600) when it
    /// does not exist or holds no usable token. A file others may read is made private.
    pub fn load_or_create(file: &Path) -> Result<Self, TokenError> {
        let value = match inspect(file)? {
            Found::Usable(value) => {
                protect(file)?;
                value
            }
            // A missing file is created only if no other livegate starting at the same
            // moment created it first (then that one's token is the token); a damaged one is
            // replaced. Whether it was missing comes from this read, not a later look, so a
            // file another starter just created is never mistaken for a damaged one.
            found => {
                let fresh = fresh();
                match write_private(file, &fresh, matches!(found, Found::Damaged))? {
                    Written::Ours => {
                        tracing::info!(file = %file.display(), "created the admin token");
                        fresh
                    }
                    Written::Theirs => read(file)?,
                }
            }
        };
        Ok(Self {
            value,
            file: file.to_path_buf(),
        })
    }

    /// The file the token lives in.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The token itself (for the desktop app, which runs livegate in-process).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// True when `candidate` is the token; takes the same time for every wrong token of the
    /// same length.
    pub fn verify(&self, candidate: &str) -> bool {
        candidate.len() == self.value.len()
            && bool::from(candidate.as_bytes().ct_eq(self.value.as_bytes()))
    }
}

/// Reads the token from `file` (for the CLI); [`TokenError::Missing`] when there is none yet.
pub fn read(file: &Path) -> Result<String, TokenError> {
    match inspect(file)? {
        Found::Usable(value) => Ok(value),
        Found::Absent | Found::Damaged => Err(TokenError::Missing(file.to_path_buf())),
    }
}

/// What the token file holds.
enum Found {
    /// A token.
    Usable(String),
    /// No file.
    Absent,
    /// A file without a usable token in it.
    Damaged,
}

fn inspect(file: &Path) -> Result<Found, TokenError> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Absent),
        Err(source) => {
            return Err(TokenError::Io {
                action: "reading",
                path: file.to_path_buf(),
                source,
            })
        }
    };
    let value = text.trim();
    let usable = value.len() == TOKEN_CHARS
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if usable {
        Ok(Found::Usable(value.to_string()))
    } else {
        tracing::warn!(file = %file.display(), "the admin token file holds no usable token; writing a new one");
        Ok(Found::Damaged)
    }
}

/// A new random token.
fn fresh() -> String {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whose token ended up in the file.
enum Written {
    /// The one just written.
    Ours,
    /// Another process created the file first.
    Theirs,
}

/// Writes the token to a private temporary file, then puts it in place: over `file` when
/// `replace`, else only if `file` still does not exist (a hard link fails when it does).
fn write_private(file: &Path, value: &str, replace: bool) -> Result<Written, TokenError> {
    let io = |action: &'static str| {
        move |source| TokenError::Io {
            action,
            path: file.to_path_buf(),
            source,
        }
    };
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(io("creating the folder of"))?;
    }
    let mut tmp = file.as_os_str().to_os_string();
    tmp.push(format!(
        ".{}-{:016x}.tmp",
        std::process::id(),
        rand::rng().next_u64()
    ));
    let tmp = PathBuf::from(tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut out = options.open(&tmp).map_err(io("creating"))?;
    out.write_all(format!("{value}\n").as_bytes())
        .and_then(|()| out.sync_all())
        .map_err(io("writing"))?;
    drop(out);
    protect(&tmp)?;
    let placed = if replace {
        std::fs::rename(&tmp, file).map(|()| Written::Ours)
    } else {
        let linked = match std::fs::hard_link(&tmp, file) {
            Ok(()) => Ok(Written::Ours),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(Written::Theirs),
            // No hard links on this file system: a plain rename, racing as little as it can.
            Err(_) if !file.exists() => std::fs::rename(&tmp, file).map(|()| Written::Ours),
            Err(_) => Ok(Written::Theirs),
        };
        let _ = std::fs::remove_file(&tmp);
        linked
    };
    placed.map_err(io("creating"))
}

/// Makes the file readable and writable by its owner only (Unix); elsewhere the per-user
/// config folder protects it.
fn protect(file: &Path) -> Result<(), TokenError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(file).map_err(|source| TokenError::Io {
            action: "inspecting",
            path: file.to_path_buf(),
            source,
        })?;
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(file = %file.display(), "the admin token file was readable by others; making it private");
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)).map_err(
                |source| TokenError::Io {
                    action: "protecting",
                    path: file.to_path_buf(),
                    source,
                },
            )?;
        }
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_private_and_read_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("config/admin-token");
        assert!(matches!(read(&file), Err(TokenError::Missing(_))));
        let token = AdminToken::load_or_create(&file).expect("created");
        assert_eq!(token.value().len(), TOKEN_CHARS);
        assert_eq!(read(&file).expect("readable"), token.value());
        let again = AdminToken::load_or_create(&file).expect("loaded");
        assert_eq!(again.value(), token.value(), "the token survives restarts");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            AdminToken::load_or_create(&file).expect("loaded");
            let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "made private again");
        }
    }

    #[test]
    fn verify_accepts_only_the_token() {
        let dir = tempfile::tempdir().expect("temp dir");
        let token = AdminToken::load_or_create(&dir.path().join("admin-token")).expect("created");
        assert!(token.verify(token.value()));
        let mut wrong = token.value().to_string();
        wrong.replace_range(0..1, if wrong.starts_with('A') { "B" } else { "A" });
        for bad in ["", "x", wrong.as_str(), &format!("{} ", token.value())] {
            assert!(!token.verify(bad), "{bad:?}");
        }
    }

    #[test]
    fn livegates_starting_together_agree_on_one_token() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("admin-token");
        let tokens: Vec<String> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| AdminToken::load_or_create(&file).expect("token")))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread").value().to_string())
                .collect()
        });
        let on_disk = read(&file).expect("readable");
        assert!(
            tokens.iter().all(|t| *t == on_disk),
            "{tokens:?} vs {on_disk}"
        );
        let leftovers = std::fs::read_dir(dir.path()).expect("dir").count();
        assert_eq!(leftovers, 1, "no temporary files left behind");
    }

    #[test]
    fn a_damaged_file_gets_a_new_token() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("admin-token");
        std::fs::write(&file, "short\n").expect("write");
        let token = AdminToken::load_or_create(&file).expect("replaced");
        assert_ne!(token.value(), "short");
        assert_eq!(read(&file).expect("readable"), token.value());
    }
}
