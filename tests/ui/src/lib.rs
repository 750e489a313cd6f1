//! The compile-time tests of the generated API and of
//! `#[derive(faststream::Message)]` (`tests/compile.rs`, cases in
//! `cases/`). Nothing here: the crate exists so that trybuild's copy of
//! its dependencies stays small.
