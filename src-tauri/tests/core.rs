//! The core as the desktop app starts it: the URLs the window opens, pausing from the tray
//! (saved like the CLI's `livegate pause`), and the tray's state following real events.

mod support;

use livegate::events::Event;
use livegate::settings::Settings;
use livegate_desktop::core::{Core, CoreError};
use livegate_desktop::tray_state::{LiveState, Look};
use support::Home;

async fn start() -> (Core, Home) {
    let home = Home::new(([127, 0, 0, 1], 0).into());
    let core = Core::start(home.paths.clone())
        .await
        .expect("livegate starts");
    (core, home)
}

#[tokio::test]
async fn the_window_signs_in_to_livegate_s_own_address() {
    let (core, _home) = start().await;
    let origin = format!("http://{}", core.addr);
    assert!(core.addr.ip().is_loopback());
    assert_eq!(core.origin(), origin);
    let link = core.window_url();
    assert!(
        link.starts_with(&format!("{origin}/login?code=")),
        "the window signs in with a one-time link: {link}"
    );
    assert_ne!(core.window_url(), link, "a fresh link each time");
    // The link works once: it signs in and leads to the UI.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let signed_in = http.get(&link).send().await.expect("login answers");
    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()["location"], "/");
    assert!(signed_in.headers().contains_key("set-cookie"));
    let again = http.get(&link).send().await.expect("login answers");
    assert_eq!(again.status(), 401, "a link works once");
    let state = core.tray_state();
    assert_eq!(
        state.live(),
        &LiveState::NotConfigured,
        "the test home has no Ableton upstream"
    );
    assert_eq!(state.look(), Look::Ok);
    core.stop().await;
    core.stop().await; // a second stop does nothing
}

#[tokio::test]
async fn pausing_is_applied_saved_and_announced() {
    let (core, home) = start().await;
    let mut events = core.bus.subscribe();
    core.set_paused(true).await.expect("paused");
    assert!(core.gateway.is_paused());
    let saved = Settings::load(&home.paths.settings_file()).expect("settings");
    assert!(saved.paused, "saved for the CLI and the next start");
    assert!(matches!(
        events.recv().await.expect("event"),
        Event::PausedChanged { paused: true }
    ));
    assert_eq!(core.tray_state().look(), Look::Paused);

    core.set_paused(false).await.expect("resumed");
    assert!(!core.gateway.is_paused());
    assert!(
        !Settings::load(&home.paths.settings_file())
            .expect("settings")
            .paused
    );
    core.stop().await;
}

#[tokio::test]
async fn a_pause_holds_even_when_it_cannot_be_saved_and_a_resume_does_not() {
    let (core, home) = start().await;
    std::fs::write(home.paths.settings_file(), "{ not json").expect("settings broken");
    let error = core.set_paused(true).await.expect_err("cannot save");
    assert!(matches!(&error, CoreError::Pause(e) if e.paused));
    assert!(
        error
            .to_string()
            .starts_with("agents are paused now but could not save"),
        "{error}"
    );
    assert!(core.gateway.is_paused());

    let error = core.set_paused(false).await.expect_err("cannot save");
    assert!(
        error.to_string().starts_with("agents stay paused"),
        "{error}"
    );
    assert!(core.gateway.is_paused(), "never less paused than it says");
    core.stop().await;
}
