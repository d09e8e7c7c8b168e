//! Integration tests, one binary: the engine and the binary against the in-process emulator.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod it;
