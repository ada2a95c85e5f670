//! livegate's desktop app (`livegate-desktop`): a thin Tauri shell around the livegate core.
//!
//! [`core`] starts livegate in-process; [`tray_state`] works out what the tray shows;
//! [`notifications`] turns approval requests into desktop notifications with Approve and
//! Deny; [`autostart`] keeps "start at login" in step with the settings; [`tray`] and [`app`]
//! draw it all with Tauri. Only the last two know about Tauri.

pub mod app;
pub mod autostart;
pub mod core;
pub mod notifications;
pub mod tray;
pub mod tray_state;
