//! Where livegate keeps its state on disk ([`Paths`]) and the one settings file
//! (`settings.json`: listen address, upstreams, grants, security limits), read and written
//! by [`Settings`].

mod file;
mod paths;

pub use file::{
    GrantRecord, LiveSettings, Notifications, Retention, Settings, SimulatorMode, UpstreamConfig,
    DEFAULT_APPROVAL_TIMEOUT_S, DEFAULT_LISTEN, DEFAULT_MAX_BODY_BYTES,
};
pub use paths::{write_json_atomically, write_text_atomically, Paths, SettingsError, HOME_ENV};
