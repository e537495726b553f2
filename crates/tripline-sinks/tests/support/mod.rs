//! Shared test support.
#![allow(dead_code)]

/// The one way tests make certificates (a CA, server and client certificates), shared with
/// the receiver's and the binary's tests.
#[path = "../../../tripline-receive/tests/common/certs.rs"]
pub mod certs;
