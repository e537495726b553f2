//! The built-in rule pack and lists, compiled into the binary from `rules/` and `lists/`.

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));
