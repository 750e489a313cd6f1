//! The side-by-side on NATS core, part of `cargo xtask bench` (not of
//! `--check`: wall and CPU time move with the machine's load, so they are
//! compared in one run, never with a baseline). Each framework of
//! `bench/nats` runs as its own process on the local NATS server, in
//! alternating rounds; the medians go into the table.

use std::process::Command;

/// The frameworks `natscost` runs, and what each does.
const FRAMEWORKS: &[(&str, &str)] = &[
    (
        "faststream",
        "this project: code-first subscriber, FastStream's headers on every message",
    ),
    (
        "ruststream",
        "RustStream 0.7.7 + ruststream-nats 0.7.1: no headers",
    ),
    (
        "ruststream-headers",
        "RustStream, each message with the same two headers (`correlation_id`, `content-type`)",
    ),
];

/// Messages per run, and runs per framework.
const MESSAGES: u64 = 200_000;
const ROUNDS: usize = 5;

/// Runs the rounds; returns the table (median wall and CPU nanoseconds
/// per message of each framework).
pub fn side_by_side() -> Result<String, String> {
    if std::net::TcpStream::connect("127.0.0.1:4222").is_err() {
        return Err(
            "the NATS side-by-side needs a NATS server on 127.0.0.1:4222 (nats-server); `--check` runs without it"
                .into(),
        );
    }
    let program = crate::bench::release_build("faststream-bench-nats", "natscost", false)?;
    let mut runs: Vec<(Vec<u64>, Vec<u64>)> = vec![(Vec::new(), Vec::new()); FRAMEWORKS.len()];
    for round in 1..=ROUNDS {
        for (i, (name, _)) in FRAMEWORKS.iter().enumerate() {
            let out = Command::new(&program)
                .args([*name, &MESSAGES.to_string()])
                .output()
                .map_err(|e| format!("cannot run natscost: {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "natscost {name} failed ({}):\n{}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            let text = String::from_utf8_lossy(&out.stdout);
            let (wall, cpu) =
                parse(&text).ok_or_else(|| format!("natscost {name} printed `{}`", text.trim()))?;
            eprintln!(
                "NATS core, round {round}: {name:>18}: {wall} ns wall, {cpu} ns CPU per message"
            );
            runs[i].0.push(wall);
            runs[i].1.push(cpu);
        }
    }
    Ok(table(&runs))
}

/// `natscost`'s output: wall and CPU nanoseconds per message.
fn parse(text: &str) -> Option<(u64, u64)> {
    let mut fields = text.split_whitespace().map(str::parse::<u64>);
    Some((fields.next()?.ok()?, fields.next()?.ok()?))
}

fn median(values: &[u64]) -> u64 {
    let mut v = values.to_vec();
    v.sort_unstable();
    v[v.len() / 2]
}

fn table(runs: &[(Vec<u64>, Vec<u64>)]) -> String {
    let mut out = format!(
        "NATS core, {MESSAGES} messages a run, {ROUNDS} rounds, medians (CPU: this process, user and system):\n\n| framework | what it does | wall per message | CPU per message |\n|---|---|---|---|\n"
    );
    let medians: Vec<(u64, u64)> = runs.iter().map(|(w, c)| (median(w), median(c))).collect();
    for ((name, what), (wall, cpu)) in FRAMEWORKS.iter().zip(&medians) {
        out.push_str(&format!(
            "| `{name}` | {what} | {:.2} µs | {:.2} µs |\n",
            *wall as f64 / 1000.0,
            *cpu as f64 / 1000.0
        ));
    }
    let ratio = |i: usize| medians[0].1 as f64 / medians[i].1.max(1) as f64;
    out.push_str(&format!(
        "\nCPU per message against RustStream: {:.2}x without headers, {:.2}x with the same headers.\n",
        ratio(1),
        ratio(2)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_and_medians() {
        assert_eq!(parse("2009 1600\n"), Some((2009, 1600)));
        assert_eq!(parse("oops"), None);
        assert_eq!(median(&[5, 1, 3]), 3);
        let runs = vec![
            (vec![2000, 2100, 1900], vec![1600, 1500, 1700]),
            (vec![1000; 3], vec![800; 3]),
            (vec![2000; 3], vec![3200; 3]),
        ];
        let t = table(&runs);
        assert!(t.contains("| `faststream` |"), "{t}");
        assert!(
            t.contains("2.00x without headers, 0.50x with the same headers"),
            "{t}"
        );
    }
}
