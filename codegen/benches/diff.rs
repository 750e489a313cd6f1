//! `faststream-gen diff` on the two largest valid corpus documents (by
//! lines): the comparison of the loaded documents, each with the other and
//! each with itself (loading is `--bench load`'s). Target: under 20 ms in
//! release builds.
//!
//! `cargo bench -p faststream-gen --bench diff`

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use faststream_gen::diff::{Side, diff};

#[path = "../tests/common/mod.rs"]
mod common;
use common::{corpus, corpus_options};

fn bench(c: &mut Criterion) {
    let Some(corpus) = corpus() else {
        return;
    };
    let options = corpus_options(&corpus);
    let text = std::fs::read_to_string(corpus.join("INDEX.tsv")).expect("INDEX.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let (p, l, v) = (col("local_path"), col("lines"), col("validation"));
    let mut docs: Vec<(PathBuf, usize)> = lines
        .map(|x| x.split('\t').collect::<Vec<_>>())
        .filter(|f| f[v] == "valid")
        .map(|f| (corpus.join(f[p]), f[l].parse().unwrap_or(0)))
        .collect();
    docs.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let checked: Vec<_> = docs
        .iter()
        .map(|(path, _)| faststream_gen::check_file(path, &options))
        .filter(|c| c.model.is_some())
        .take(2)
        .collect();
    for (i, c) in checked.iter().enumerate() {
        let path = c.loaded.sources.display_name(c.loaded.root);
        let shown = path
            .strip_prefix(&corpus.display().to_string())
            .unwrap_or(&path)
            .to_owned();
        eprintln!("document {}: {shown}", i + 1);
    }
    let (a, b) = (
        Side::new(&checked[0]).unwrap(),
        Side::new(&checked[1]).unwrap(),
    );
    let mut group = c.benchmark_group("diff");
    group.bench_function("largest vs second largest", |bench| {
        bench.iter(|| black_box(diff(&a, &b).len()));
    });
    group.bench_function("largest vs itself", |bench| {
        bench.iter(|| black_box(diff(&a, &a).len()));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
