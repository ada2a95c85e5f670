//! Policy decision benchmarks (filled in with the policy engine).
fn main() {}
