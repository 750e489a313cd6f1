//! Loading and validating the largest corpus documents: the 2,500-line
//! Springwolf Kafka export and Ruter's document with its 127 referenced
//! files. Target: each under 20 ms in release builds.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use faststream_gen::{LoadOptions, check_file};

#[path = "../tests/common/mod.rs"]
mod common;
use common::corpus;

fn bench(c: &mut Criterion) {
    let Some(corpus) = corpus() else {
        return;
    };
    let options = LoadOptions::default().ref_root(&corpus);
    let docs = [
        (
            "springwolf-kafka-json",
            "wild/springwolf__springwolf-core/springwolf-examples/springwolf-kafka-example/src/test/resources/asyncapi.json",
        ),
        (
            "ruter-127-refs",
            "wild/RuterNo__adt-doc/asyncapi/asyncapi.yml",
        ),
        ("slack-rtm-v3", "official/v3/slack-rtm-asyncapi.yml"),
    ];
    let mut group = c.benchmark_group("load+validate");
    for (name, rel) in docs {
        let path = corpus.join(rel);
        assert!(
            path.is_file(),
            "benchmark input missing: {}",
            path.display()
        );
        let checked = check_file(&path, &options);
        assert!(checked.loaded.document.is_some(), "{name} did not load");
        group.bench_function(name, |b| {
            b.iter(|| black_box(check_file(black_box(&path), &options)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
