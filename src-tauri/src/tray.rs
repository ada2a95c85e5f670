//! The tray icon and its menu, drawn from a [`TrayState`]: the icon's look, a status line,
//! the pending approvals (a click opens the Approvals screen), Pause all agents / Resume,
//! Open livegate and Quit.

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Runtime};

use crate::tray_state::{Look, TrayState};

/// The menu items' ids, as [`tauri::menu::MenuEvent`]s carry them.
pub mod ids {
    /// The status line (not clickable).
    pub const STATUS: &str = "status";
    /// The pending approvals line: opens the Approvals screen.
    pub const PENDING: &str = "pending";
    /// Pause all agents / Resume agents.
    pub const PAUSE: &str = "pause";
    /// Shows the window.
    pub const OPEN: &str = "open";
    /// Stops livegate.
    pub const QUIT: &str = "quit";
}

/// The icon for each look (64×64 PNG, drawn from `icons/src/tray-*.svg`).
pub fn icon_bytes(look: Look) -> &'static [u8] {
    match look {
        Look::Ok => include_bytes!("../icons/tray-ok.png"),
        Look::Waiting => include_bytes!("../icons/tray-waiting.png"),
        Look::LiveDisconnected => include_bytes!("../icons/tray-disconnected.png"),
        Look::Paused => include_bytes!("../icons/tray-paused.png"),
    }
}

/// The tray icon and the menu items that change.
pub struct Tray<R: Runtime> {
    icon: TrayIcon<R>,
    status: MenuItem<R>,
    pending: MenuItem<R>,
    pause: MenuItem<R>,
    look: Look,
}

impl<R: Runtime> Tray<R> {
    /// Builds the tray icon and its menu for `state`; `on_menu` gets every click.
    pub fn build<M, F>(manager: &M, state: &TrayState, on_menu: F) -> tauri::Result<Self>
    where
        M: Manager<R>,
        F: Fn(&AppHandle<R>, &str) + Send + Sync + 'static,
    {
        let status = MenuItem::with_id(
            manager,
            ids::STATUS,
            state.status_line(),
            false,
            None::<&str>,
        )?;
        let pending = MenuItem::with_id(
            manager,
            ids::PENDING,
            state.pending_line(),
            state.pending() > 0,
            None::<&str>,
        )?;
        let pause =
            MenuItem::with_id(manager, ids::PAUSE, state.pause_label(), true, None::<&str>)?;
        let open = MenuItem::with_id(manager, ids::OPEN, "Open livegate", true, None::<&str>)?;
        let quit = MenuItem::with_id(manager, ids::QUIT, "Quit livegate", true, None::<&str>)?;
        let menu = Menu::with_items(
            manager,
            &[
                &status,
                &pending,
                &PredefinedMenuItem::separator(manager)?,
                &pause,
                &open,
                &PredefinedMenuItem::separator(manager)?,
                &quit,
            ],
        )?;
        let look = state.look();
        let icon = TrayIconBuilder::with_id("livegate")
            .icon(Image::from_bytes(icon_bytes(look))?)
            .tooltip(state.tooltip())
            .menu(&menu)
            .show_menu_on_left_click(true)
            .on_menu_event(move |app, event| on_menu(app, event.id().as_ref()))
            .build(manager)?;
        Ok(Self {
            icon,
            status,
            pending,
            pause,
            look,
        })
    }

    /// Redraws what changed for `state`.
    pub fn render(&mut self, state: &TrayState) -> tauri::Result<()> {
        let look = state.look();
        if look != self.look {
            self.icon
                .set_icon(Some(Image::from_bytes(icon_bytes(look))?))?;
            self.look = look;
        }
        self.icon.set_tooltip(Some(state.tooltip()))?;
        self.status.set_text(state.status_line())?;
        self.pending.set_text(state.pending_line())?;
        self.pending.set_enabled(state.pending() > 0)?;
        self.pause.set_text(state.pause_label())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_look_has_a_distinct_png_icon() {
        let mut seen = std::collections::HashSet::new();
        for look in Look::ALL {
            let bytes = icon_bytes(look);
            assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{look:?}");
            let image = Image::from_bytes(bytes).expect("decodes");
            assert_eq!((image.width(), image.height()), (64, 64), "{look:?}");
            assert!(
                seen.insert(image.rgba().to_vec()),
                "{look:?} looks like another state"
            );
        }
    }
}
