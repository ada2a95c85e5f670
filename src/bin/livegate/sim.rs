//! `livegate sim`: runs a simulated Ableton Live that speaks AbletonOSC over UDP, so the
//! gateway's Ableton tools (or any AbletonOSC client) can be tried without Ableton.

use std::net::SocketAddr;
use std::process::ExitCode;

use livegate::ableton::sim::{self, Seed, SimConfig};

/// The set the simulator starts with.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SeedArg {
    /// A new Live set (2 MIDI + 2 audio tracks, 2 returns, 8 scenes).
    Empty,
    /// A small demo song (Drums, Bass, Keys, Vox; 4 scenes; clips with notes).
    Demo,
}

/// Arguments of `livegate sim`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// UDP address to listen on for OSC (AbletonOSC's is 11000).
    #[arg(long, default_value = "127.0.0.1:11000")]
    listen: SocketAddr,
    /// Port replies are sent to, on the sender's IP (AbletonOSC's is 11001).
    #[arg(long, default_value_t = 11001)]
    reply_port: u16,
    /// The Live set to start with.
    #[arg(long = "seed-session", value_enum, default_value = "empty")]
    seed_session: SeedArg,
}

/// Runs the simulator until Ctrl-C.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let seed = match args.seed_session {
        SeedArg::Empty => Seed::Empty,
        SeedArg::Demo => Seed::Demo,
    };
    let config = SimConfig {
        listen: args.listen,
        reply_port: args.reply_port,
        seed,
    };
    let runtime = crate::runtime()?;
    runtime.block_on(async move {
        let handle = sim::start(config).await?;
        println!(
            "simulated Ableton Live (AbletonOSC) listening on udp://{}, replying to port {} on the sender's IP; press Ctrl-C to stop",
            handle.local_addr(),
            args.reply_port
        );
        tokio::signal::ctrl_c().await?;
        handle.stop().await;
        Ok(ExitCode::SUCCESS)
    })
}
