//! How the generated API feels at compile time: implementing the handler
//! trait compiles; the common mistakes give the errors pinned in
//! `cases/*.stderr` (`TRYBUILD=overwrite` rewrites them), and so do
//! the mistakes `#[derive(faststream::Message)]` refuses.

#[test]
fn generated_traits_compile_and_fail_readably() {
    let t = trybuild::TestCases::new();
    t.pass("cases/implements_handler.rs");
    t.compile_fail("cases/not_a_handler.rs");
    t.compile_fail("cases/missing_method.rs");
    t.compile_fail("cases/wrong_return.rs");
}

/// What `#[derive(faststream::Message)]` cannot describe, or a constraint
/// on a value it does not apply to, is a compile error that says so.
#[test]
fn the_message_derive_fails_readably() {
    let t = trybuild::TestCases::new();
    t.compile_fail("cases/derive_unknown_constraint.rs");
    t.compile_fail("cases/derive_constraint_on_wrong_type.rs");
    t.compile_fail("cases/derive_unchecked_format.rs");
    t.compile_fail("cases/derive_serde_with.rs");
    t.compile_fail("cases/derive_field_not_a_message.rs");
    t.compile_fail("cases/derive_two_names.rs");
}
