//! Generating code for the whole corpus (load + validate + generate +
//! format), in one criterion measurement, and a report of the five largest
//! documents' times and the peak memory of the process.
//!
//! `cargo bench -p faststream-gen --bench generate`

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::Criterion;
use faststream_gen::{LoadOptions, Settings, check_file, generate};

#[path = "../tests/common/mod.rs"]
mod common;
use common::{corpus, corpus_options as options};

/// (path, lines) of every document the official parser calls valid.
fn documents(corpus: &Path) -> Vec<(PathBuf, usize)> {
    let text = std::fs::read_to_string(corpus.join("INDEX.tsv")).expect("INDEX.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let (p, l, v) = (col("local_path"), col("lines"), col("validation"));
    lines
        .map(|x| x.split('\t').collect::<Vec<_>>())
        .filter(|f| f[v] == "valid")
        .map(|f| (corpus.join(f[p]), f[l].parse().unwrap_or(0)))
        .collect()
}

fn one(path: &Path, options: &LoadOptions, settings: &Settings) -> usize {
    let checked = check_file(path, options);
    let doc = checked.loaded.document.as_ref().expect("loads");
    generate(doc, settings, "bench")
        .expect("generates")
        .code
        .single
        .len()
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let Some(corpus) = corpus() else {
        return;
    };
    let options = options(&corpus);
    let settings = Settings::default();
    let docs = documents(&corpus);
    // Criterion's rule: only `cargo bench` (which passes --bench, and
    // not --test) measures; `cargo test --benches` runs a quick check.
    let test_mode =
        std::env::args().any(|a| a == "--test") || !std::env::args().any(|a| a == "--bench");

    let mut largest: Vec<&(PathBuf, usize)> = docs.iter().collect();
    largest.sort_by_key(|(_, lines)| std::cmp::Reverse(*lines));
    if !test_mode {
        println!("five largest documents (load + validate + generate, median of 20):");
        for (path, lines) in largest.iter().take(5) {
            let mut times: Vec<Duration> = (0..20)
                .map(|_| {
                    let t = Instant::now();
                    black_box(one(path, &options, &settings));
                    t.elapsed()
                })
                .collect();
            times.sort();
            let name = path.strip_prefix(&corpus).unwrap_or(path).display();
            println!(
                "  {:>8.2} ms  {lines:>5} lines  {name}",
                times[10].as_secs_f64() * 1e3
            );
        }
    }

    let mut c = Criterion::default().configure_from_args();
    c.bench_function(
        &format!("generate whole corpus ({} documents)", docs.len()),
        |b| {
            b.iter(|| {
                for (path, _) in &docs {
                    black_box(one(path, &options, &settings));
                }
            })
        },
    );
    c.final_summary();
    if let Some(kib) = peak_rss_kib() {
        println!(
            "peak memory (VmHWM) of the benchmark process: {:.1} MiB",
            kib as f64 / 1024.0
        );
    }
}
