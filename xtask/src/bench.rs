//! `cargo xtask bench [--check] [--save] [--write]`: what one message
//! costs, in instructions (callgrind) and heap allocations (DHAT), for each
//! scenario of `bench/examples/msgcost.rs`, RustStream's among them.
//!
//! Each scenario runs as its own process at N and at 2N messages; the
//! difference of the two totals over N is the cost of one message (the
//! start-up and the exit are in both totals and cancel: the two-point
//! method RustStream's own benchmarks use). The counts do not move with
//! the machine's load.
//!
//! - `--check` (what the test command runs): fail when a scenario of
//!   `bench/baseline.json` costs more than 2% more instructions, or more
//!   allocations, per message than the baseline says.
//! - `--save`: write the figures as the new baseline (a commit of its own
//!   that says why).
//! - `--write`: put the tables, with the machine and the date, into
//!   docs/BENCHMARKS.md.
//!
//! Without `--check` it also runs the side-by-side with RustStream on NATS
//! core (wall and CPU time, [`crate::natscost`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{cargo, root, run, target_dir};

/// The scenarios and the smaller of their two message counts.
const SCENARIOS: &[(&str, u64, &str)] = &[
    ("consume", 2_000, "code-first subscriber, publish + consume"),
    ("publish", 2_000, "publish to an address with no subscriber"),
    ("request", 1_000, "code-first request/reply"),
    (
        "generated",
        1_000,
        "generated route: message enum, parameter, headers, typed reply",
    ),
    (
        "batch",
        2_000,
        "code-first batch subscriber, batches of 100",
    ),
    (
        "ruststream-consume",
        2_000,
        "RustStream 0.7.7: consume_json's service, same work",
    ),
];

/// How much more an instruction count may be than its baseline.
const TOLERANCE: f64 = 0.02;
/// How much more an allocation count per message may be (rounding only).
const ALLOCATION_SLACK: f64 = 0.01;

/// One scenario's cost per message.
#[derive(Debug, Clone, Copy)]
struct Cost {
    instructions: f64,
    allocations: f64,
}

pub fn bench(args: &[String]) -> Result<(), String> {
    let (mut check, mut save, mut write) = (false, false, false);
    for a in args {
        match a.as_str() {
            "--check" => check = true,
            "--save" => save = true,
            "--write" => write = true,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let valgrind = Command::new("valgrind").arg("--version").output();
    if !valgrind.is_ok_and(|o| o.status.success()) {
        return Err(
            "valgrind is required (callgrind and DHAT count what a message costs): install it (Debian: apt-get install valgrind)"
                .into(),
        );
    }
    let program = release_build("faststream-bench", "msgcost", true)?;
    let mut costs = BTreeMap::new();
    for (name, n, _) in SCENARIOS {
        let cost = measure(&program, name, *n)?;
        eprintln!(
            "{name:>20}: {:>8.1} instructions, {:>5.2} allocations per message",
            cost.instructions, cost.allocations
        );
        costs.insert(*name, cost);
    }
    let mut table = table(&costs);
    if !check {
        table.push('\n');
        table.push_str(&crate::natscost::side_by_side()?);
    }
    println!("{table}");
    let baseline_path = root().join("bench").join("baseline.json");
    if save {
        std::fs::write(&baseline_path, baseline_json(&costs))
            .map_err(|e| format!("{}: {e}", baseline_path.display()))?;
        eprintln!("wrote {}", baseline_path.display());
    }
    if write {
        write_doc(&root().join("docs").join("BENCHMARKS.md"), &table)?;
    }
    if check {
        compare(&baseline_path, &costs)?;
    }
    Ok(())
}

/// Builds `package` in release and returns the path of its `program`: an
/// example of it (`example`), else one of its binaries.
pub(crate) fn release_build(
    package: &str,
    program: &str,
    example: bool,
) -> Result<PathBuf, String> {
    let mut build = cargo();
    build.args(["build", "--release", "--quiet", "-p", package]);
    let mut path = target_dir().join("release");
    if example {
        build.args(["--example", program]);
        path.push("examples");
    }
    run(build)?;
    Ok(path.join(program))
}

/// Runs one scenario under both tools at `n` and `2n` messages.
fn measure(program: &Path, scenario: &str, n: u64) -> Result<Cost, String> {
    let count = |tool: &str, messages: u64| -> Result<u64, String> {
        let mut c = Command::new("valgrind");
        c.arg(format!("--tool={tool}"));
        match tool {
            "callgrind" => c.arg("--callgrind-out-file=/dev/null"),
            _ => c.arg("--dhat-out-file=/dev/null"),
        };
        c.arg(program).arg(scenario).arg(messages.to_string());
        let out = c
            .output()
            .map_err(|e| format!("cannot run valgrind: {e}"))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            return Err(format!(
                "msgcost {scenario} {messages} under {tool} failed ({}):\n{stderr}",
                out.status
            ));
        }
        read_total(tool, &stderr).ok_or_else(|| {
            format!("no total in {tool}'s output of msgcost {scenario} {messages}:\n{stderr}")
        })
    };
    let per = |tool: &str| -> Result<f64, String> {
        let (one, two) = (count(tool, n)?, count(tool, 2 * n)?);
        Ok((two as f64 - one as f64) / n as f64)
    };
    Ok(Cost {
        instructions: per("callgrind")?,
        allocations: per("dhat")?,
    })
}

/// The total a tool prints at exit: callgrind's `Collected : N`
/// (instructions), DHAT's `Total: B bytes in N blocks` (allocations).
fn read_total(tool: &str, stderr: &str) -> Option<u64> {
    let digits = |s: &str| s.replace(',', "").trim().parse::<u64>().ok();
    stderr.lines().find_map(|line| {
        let (_, rest) = line.split_once("== ")?;
        match tool {
            "callgrind" => digits(rest.strip_prefix("Collected :")?),
            _ => {
                let rest = rest.strip_prefix("Total:")?;
                let (_, blocks) = rest.split_once(" bytes in ")?;
                digits(blocks.strip_suffix(" blocks")?)
            }
        }
    })
}

fn table(costs: &BTreeMap<&str, Cost>) -> String {
    let mut out = String::from(
        "| scenario | what it does | instructions per message | allocations per message |\n|---|---|---|---|\n",
    );
    for (name, _, what) in SCENARIOS {
        if let Some(c) = costs.get(name) {
            out.push_str(&format!(
                "| `{name}` | {what} | {:.0} | {:.2} |\n",
                c.instructions, c.allocations
            ));
        }
    }
    if let (Some(ours), Some(peer)) = (costs.get("consume"), costs.get("ruststream-consume")) {
        out.push_str(&format!(
            "\nconsume against RustStream: {:.2}x the instructions, {:.2}x the allocations.\n",
            ours.instructions / peer.instructions,
            ours.allocations / peer.allocations.max(f64::MIN_POSITIVE)
        ));
    }
    out
}

fn baseline_json(costs: &BTreeMap<&str, Cost>) -> String {
    let mut out = String::from("{\n");
    let last = costs.len().saturating_sub(1);
    for (i, (name, c)) in costs.iter().enumerate() {
        out.push_str(&format!(
            "  \"{name}\": {{ \"instructions\": {:.1}, \"allocations\": {:.2} }}{}\n",
            c.instructions,
            c.allocations,
            if i == last { "" } else { "," }
        ));
    }
    out.push_str("}\n");
    out
}

/// The baseline's figures: `"name": { "instructions": x, "allocations": y }`
/// per line (the form `--save` writes).
fn read_baseline(text: &str) -> BTreeMap<String, Cost> {
    let number = |line: &str, key: &str| -> Option<f64> {
        let at = line.find(&format!("\"{key}\":"))? + key.len() + 3;
        let rest = &line[at..];
        let end = rest.find([',', '}']).unwrap_or(rest.len());
        rest[..end].trim().parse().ok()
    };
    text.lines()
        .filter_map(|line| {
            let name = line.trim().strip_prefix('"')?.split('"').next()?.to_owned();
            Some((
                name,
                Cost {
                    instructions: number(line, "instructions")?,
                    allocations: number(line, "allocations")?,
                },
            ))
        })
        .collect()
}

fn compare(path: &PathBuf, costs: &BTreeMap<&str, Cost>) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "{}: {e} (make one with `cargo xtask bench --save`)",
            path.display()
        )
    })?;
    let baseline = read_baseline(&text);
    let mut worse = Vec::new();
    for (name, base) in &baseline {
        let Some(now) = costs.get(name.as_str()) else {
            worse.push(format!("{name}: in the baseline, but no such scenario"));
            continue;
        };
        if now.instructions > base.instructions * (1.0 + TOLERANCE) {
            worse.push(format!(
                "{name}: {:.0} instructions per message, {:.1}% over the baseline's {:.0}",
                now.instructions,
                (now.instructions / base.instructions - 1.0) * 100.0,
                base.instructions
            ));
        }
        if now.allocations > base.allocations + ALLOCATION_SLACK {
            worse.push(format!(
                "{name}: {:.2} allocations per message, the baseline {:.2}",
                now.allocations, base.allocations
            ));
        }
    }
    if worse.is_empty() {
        eprintln!(
            "bench: every scenario within {}% of bench/baseline.json's instructions and at or under its allocations",
            TOLERANCE * 100.0
        );
        Ok(())
    } else {
        Err(format!(
            "a message costs more than bench/baseline.json allows (raise it only on purpose, with `cargo xtask bench --save` in a commit that says why):\n  {}",
            worse.join("\n  ")
        ))
    }
}

/// Replaces the part of docs/BENCHMARKS.md between its `msgcost` markers
/// with the table, the machine and the date.
fn write_doc(path: &Path, table: &str) -> Result<(), String> {
    const START: &str = "<!-- msgcost: written by `cargo xtask bench --write` -->";
    const END: &str = "<!-- msgcost: end -->";
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (Some(a), Some(b)) = (text.find(START), text.find(END)) else {
        return Err(format!("{} has no msgcost markers", path.display()));
    };
    let machine = machine();
    let date = Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let section = format!("{START}\n\nMeasured on {date}, {machine}.\n\n{table}\n");
    let out = format!("{}{section}{}", &text[..a], &text[b..]);
    std::fs::write(path, out).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// The CPU model and core count, as /proc/cpuinfo says.
fn machine() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")?
                .split_once(':')
                .map(|(_, m)| m.trim())
        })
        .unwrap_or("an unknown CPU")
        .to_owned();
    let cores = info.lines().filter(|l| l.starts_with("processor")).count();
    format!("{model}, {cores} cores")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_are_read_from_the_tools_output() {
        let callgrind = "==123== Events    : Ir\n==123== Collected : 48,123,456\n==123==\n";
        assert_eq!(read_total("callgrind", callgrind), Some(48_123_456));
        let dhat =
            "==9== Total:     1,234 bytes in 56 blocks\n==9== At t-gmax: 1 bytes in 1 blocks\n";
        assert_eq!(read_total("dhat", dhat), Some(56));
    }

    #[test]
    fn the_baseline_round_trips_and_the_gate_fails_on_more() {
        let mut costs = BTreeMap::new();
        costs.insert(
            "consume",
            Cost {
                instructions: 8000.0,
                allocations: 14.0,
            },
        );
        let text = baseline_json(&costs);
        let read = read_baseline(&text);
        assert_eq!(read["consume"].instructions, 8000.0);
        assert_eq!(read["consume"].allocations, 14.0);
        let dir = std::env::temp_dir().join(format!("xtask-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("baseline.json");
        std::fs::write(&path, &text).unwrap();
        assert!(compare(&path, &costs).is_ok());
        let slower = |instructions, allocations| {
            let mut c = costs.clone();
            c.insert(
                "consume",
                Cost {
                    instructions,
                    allocations,
                },
            );
            c
        };
        assert!(compare(&path, &slower(8150.0, 14.0)).is_ok(), "within 2%");
        assert!(compare(&path, &slower(8170.0, 14.0)).is_err(), "over 2%");
        assert!(
            compare(&path, &slower(8000.0, 15.0)).is_err(),
            "one more allocation"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
