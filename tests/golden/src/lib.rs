//! Generated code for the project's specs (`specs/*.yaml`), checked in.
//! `codegen/tests/golden.rs` regenerates each file and fails on any
//! difference; this crate compiles them with every warning denied.
#![deny(warnings)]

#[path = "../generated/cursed.rs"]
pub mod cursed;
#[path = "../generated/orders.rs"]
pub mod orders;
#[path = "../generated/shapes.rs"]
pub mod shapes;
