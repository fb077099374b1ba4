//! Core-to-core latency (in progress).
fn main() {}
