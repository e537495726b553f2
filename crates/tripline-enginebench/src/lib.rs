//! The engine benchmark's library half: the seeded event generator ([`gen`]) and the
//! timed runs ([`measure`]). The binary (`tripline-enginebench`) wraps both;
//! `scripts/bench-engine.sh` runs it beside rsigma and DuckDB; `docs/benchmarks.md` has
//! the method and the figures.

pub mod gen;
pub mod measure;
