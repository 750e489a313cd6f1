//! How the generated API feels at compile time: implementing the handler
//! trait compiles; the common mistakes give the errors pinned in
//! `tests/ui/*.stderr` (`TRYBUILD=overwrite` rewrites them).

#[test]
fn generated_traits_compile_and_fail_readably() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/implements_handler.rs");
    t.compile_fail("tests/ui/not_a_handler.rs");
    t.compile_fail("tests/ui/missing_method.rs");
    t.compile_fail("tests/ui/wrong_return.rs");
}
