//! The smallest Tauri app: one window showing one line of text. Nothing else.
#![windows_subsystem = "windows"]

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("hello world");
}
