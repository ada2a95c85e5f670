//! Reaching Live at start-up: the real Live if it answers over AbletonOSC, otherwise (or
//! when asked) a simulated Live run in-process, so livegate works on a machine without
//! Ableton. The embedded simulator uses free loopback ports, so it never takes Live's ports.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use super::midi::{MidiConfig, MidiOut};
use super::osc::{LiveStatus, OscClient, OscConfig, OscError};
use super::sim::{self, Seed, SimConfig, SimHandle};
use super::tools::AbletonUpstream;
use crate::events::EventBus;
use crate::settings::{LiveSettings, SimulatorMode};

/// How long the start-up probe waits for the real Live before using the simulator.
const PROBE_TIMEOUT: Duration = Duration::from_millis(1_000);

/// How often a real Live's connection is checked.
const HEALTH_EVERY: Duration = Duration::from_secs(5);

/// The Live livegate talks to, kept alive as long as livegate runs.
pub struct LiveLink {
    /// The AbletonOSC client.
    pub osc: Arc<OscClient>,
    /// The simulated Live, when that is what livegate talks to.
    pub sim: Option<SimHandle>,
    /// One line for people: which Live, and what to do if it is not the one they wanted.
    pub description: String,
}

impl std::fmt::Debug for LiveLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveLink")
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

impl LiveLink {
    /// Connects to Live as `settings` say: the real one, the simulator, or (auto) the real
    /// one when it answers within a second, else the simulator with the demo set.
    pub async fn open(settings: &LiveSettings, bus: &EventBus) -> Result<Self, OscError> {
        let timeout = Duration::from_millis(settings.timeout_ms.max(100));
        if settings.simulator == SimulatorMode::Always {
            return Self::simulated(timeout, "the settings ask for the simulator").await;
        }
        let config = OscConfig {
            live: settings.osc,
            bind: settings.reply,
            timeout,
        };
        let osc = match OscClient::connect(config).await {
            Ok(osc) => osc,
            Err(e) if settings.simulator == SimulatorMode::Never => return Err(e),
            Err(e) => {
                let why = format!("livegate cannot receive Live's replies ({e})");
                return Self::simulated(timeout, &why).await;
            }
        };
        let description = match probe(&osc).await {
            LiveStatus::Connected { version } => format!("Ableton Live {version} at {}", settings.osc),
            _ if settings.simulator == SimulatorMode::Auto => {
                let why = format!("Ableton Live did not answer on {}", settings.osc);
                return Self::simulated(timeout, &why).await;
            }
            _ => format!(
                "Ableton Live over AbletonOSC at {} (not answering yet: start Live with AbletonOSC as a Control Surface)",
                settings.osc
            ),
        };
        osc.spawn_health_checks(HEALTH_EVERY, bus.clone());
        Ok(Self {
            osc,
            sim: None,
            description,
        })
    }

    /// Starts the simulator (demo set) on free loopback ports and connects to it.
    async fn simulated(timeout: Duration, why: &str) -> Result<Self, OscError> {
        let bind_error = |e: std::io::Error| OscError::Bind {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            reason: e.to_string(),
        };
        let reply_port = std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .map_err(bind_error)?
            .port();
        let sim = sim::start(SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            reply_port,
            seed: Seed::Demo,
        })
        .await
        .map_err(|e| OscError::Bind {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            reason: e.to_string(),
        })?;
        let osc = OscClient::connect(OscConfig {
            live: sim.local_addr(),
            bind: SocketAddr::from(([127, 0, 0, 1], reply_port)),
            timeout,
        })
        .await?;
        osc.check().await;
        let description = format!(
            "a simulated Live with a demo set ({why}); to use Ableton, start Live with AbletonOSC as a Control Surface and restart livegate"
        );
        Ok(Self {
            osc,
            sim: Some(sim),
            description,
        })
    }

    /// The built-in `ableton` upstream over this link, with MIDI out where it can be opened.
    pub fn upstream(&self, name: &str, midi_port: &str) -> AbletonUpstream {
        let midi = MidiOut::open(&MidiConfig {
            port_name: midi_port.to_string(),
            fallback_port: None,
        })
        .map_err(|e| e.to_string());
        match &midi {
            Ok(out) => tracing::info!(port = %out.describe(), "MIDI out ready"),
            Err(e) => {
                tracing::warn!(error = %e, "MIDI out is not available; the MIDI tools will say so")
            }
        }
        AbletonUpstream::new(name, Arc::clone(&self.osc)).with_midi(midi)
    }
}

/// Asks Live once, with a short timeout, whether it is there.
async fn probe(osc: &OscClient) -> LiveStatus {
    match tokio::time::timeout(PROBE_TIMEOUT, osc.check()).await {
        Ok(status) => status,
        Err(_) => LiveStatus::NotResponding {
            detail: "no answer within a second".to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::upstream::Upstream;
    use serde_json::json;

    fn free_udp_port() -> u16 {
        std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .map(|a| a.port())
            .expect("a free port")
    }

    fn settings(osc: SocketAddr, reply_port: u16, simulator: SimulatorMode) -> LiveSettings {
        LiveSettings {
            osc,
            reply: SocketAddr::from(([127, 0, 0, 1], reply_port)),
            timeout_ms: 500,
            simulator,
            midi_port: "livegate-test".into(),
        }
    }

    #[tokio::test]
    async fn auto_uses_a_live_that_answers() {
        // A "real" Live: a simulator the link did not start, on its own ports.
        let reply_port = free_udp_port();
        let live = sim::start(SimConfig {
            listen: "127.0.0.1:0".parse().expect("addr"),
            reply_port,
            seed: Seed::Empty,
        })
        .await
        .expect("sim starts");
        let link = LiveLink::open(
            &settings(live.local_addr(), reply_port, SimulatorMode::Auto),
            &EventBus::new(),
        )
        .await
        .expect("link");
        assert!(link.sim.is_none(), "{}", link.description);
        assert!(
            link.description.starts_with("Ableton Live 12"),
            "{}",
            link.description
        );
        let upstream = link.upstream("ableton", "livegate-test");
        let r = upstream
            .request(
                "tools/call",
                Some(json!({"name": "set_tempo", "arguments": {"tempo": 97.0}})),
            )
            .await
            .expect("tool result");
        assert_ne!(r["isError"], true, "{r}");
        assert_eq!(live.snapshot()["tempo"], 97.0);
    }

    #[tokio::test]
    async fn auto_falls_back_to_the_simulator_and_never_reports_a_silent_live() {
        let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("binds");
        let nowhere = silent.local_addr().expect("addr");
        let link = LiveLink::open(
            &settings(nowhere, free_udp_port(), SimulatorMode::Auto),
            &EventBus::new(),
        )
        .await
        .expect("link");
        assert!(link.sim.is_some());
        assert!(
            link.description.contains("did not answer"),
            "{}",
            link.description
        );
        let r = link
            .upstream("ableton", "livegate-test")
            .request(
                "tools/call",
                Some(json!({"name": "get_session_info", "arguments": {}})),
            )
            .await
            .expect("tool result");
        assert!(
            r["content"][0]["text"]
                .as_str()
                .unwrap_or("")
                .contains("4 track(s)"),
            "{r}"
        );

        let link = LiveLink::open(
            &settings(nowhere, free_udp_port(), SimulatorMode::Never),
            &EventBus::new(),
        )
        .await
        .expect("link");
        assert!(link.sim.is_none());
        let r = link
            .upstream("ableton", "livegate-test")
            .request(
                "tools/call",
                Some(json!({"name": "get_session_info", "arguments": {}})),
            )
            .await
            .expect("tool result");
        assert_eq!(r["isError"], true);
        assert!(
            r["content"][0]["text"]
                .as_str()
                .unwrap_or("")
                .contains("no reply from Ableton Live"),
            "{r}"
        );
    }
}
