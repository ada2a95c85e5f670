//! Reads `tauri.conf.json` and the icons for the app's build.
fn main() {
    tauri_build::build()
}
