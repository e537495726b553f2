//! The fuzz targets' bodies. `targets.rs` depends only on tripline's own crates so that
//! `crates/tripline/tests/reliability_fuzz_seeds.rs` can include it and run every seed
//! corpus (`fuzz/seeds/<target>/`) as an ordinary test.

#[path = "targets.rs"]
pub mod targets;
