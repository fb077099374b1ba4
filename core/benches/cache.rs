//! Cache benchmarks (in progress).
fn main() {}
