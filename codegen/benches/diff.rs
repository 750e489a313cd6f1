//! `faststream-gen diff` on the two largest valid corpus documents (by
//! lines): the comparison of the loaded documents, each with the other and
//! each with itself (loading is `--bench load`'s). Target: under 20 ms in
//! release builds. And `faststream-gen docs`: the page of the largest
//! (target: under 50 ms).
//!
//! `cargo bench -p faststream-gen --bench diff`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use faststream_gen::diff::{Side, diff};

#[path = "../tests/common/mod.rs"]
mod common;
use common::{corpus, largest_documents};

fn bench(c: &mut Criterion) {
    let Some(corpus) = corpus() else {
        return;
    };
    let checked = largest_documents(&corpus, 2);
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
    let doc = a.doc.clone();
    c.bench_function("docs/largest", |bench| {
        bench.iter(|| black_box(faststream_gen::asyncapi::html::render(&doc).len()));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
