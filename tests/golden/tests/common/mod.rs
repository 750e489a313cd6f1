//! What the tests that talk to FastStream share.

use std::path::PathBuf;

/// The interpreter of the virtualenv with FastStream that `cargo xtask ci`
/// (or `cargo xtask interop-setup`) makes, or the one `FASTSTREAM_PYTHON`
/// names; a missing one fails the test, naming the command that makes it.
pub fn python() -> PathBuf {
    let path = std::env::var_os("FASTSTREAM_PYTHON").map_or_else(
        || {
            PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
                .join("..")
                .join("faststream-venv")
                .join("bin")
                .join("python")
        },
        PathBuf::from,
    );
    assert!(
        path.exists(),
        "no Python with FastStream at {}: run `cargo xtask interop-setup` (or `cargo xtask ci`), \
         or set FASTSTREAM_PYTHON",
        path.display()
    );
    path
}
