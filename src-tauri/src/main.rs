// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use clap::Parser;

fn main() {
    let options = nursecare_desktop::options::Options::parse();
    nursecare_desktop::run(options);
}
