//! What one message costs, measured as RustStream measures its own: the
//! `msgcost` example runs one scenario over N messages in one process on a
//! current-thread runtime (one order of execution, so the same count on
//! every run), and `cargo xtask bench` runs it under callgrind and DHAT at
//! N and 2N messages and reads `(total(2N) - total(N)) / N` as the cost of
//! one message: start-up and exit are in both totals and cancel.
//!
//! `baseline.json` holds the figures the test command compares with
//! (`cargo xtask bench --check`): more than 2% more instructions, or any
//! more allocations, per message fails it. Raising it is a commit of its
//! own that says why.
