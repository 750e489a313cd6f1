//! Exporting the router of the largest corpus documents (Springwolf's
//! Kafka example, 2,500 lines; Slack's RTM API, 3.0): a router carrying
//! the bundled document with every operation registered, as a generated
//! router registers them, exported to AsyncAPI 3.0 JSON (the document
//! parsed, each operation's part copied, the model built and written).
//! Target: under 5 ms each in release builds.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use faststream::Router;

#[path = "../tests/common/mod.rs"]
mod common;

fn bench(c: &mut Criterion) {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let options = faststream_gen::LoadOptions::default().ref_root(&corpus);
    let docs = [
        (
            "springwolf-kafka-json",
            "wild/springwolf__springwolf-core/springwolf-examples/springwolf-kafka-example/src/test/resources/asyncapi.json",
        ),
        ("slack-rtm-v3", "official/v3/slack-rtm-asyncapi.yml"),
    ];
    let mut group = c.benchmark_group("export");
    for (name, rel) in docs {
        let path = corpus.join(rel);
        let checked = faststream_gen::check_file(&path, &options);
        let model = checked
            .model
            .unwrap_or_else(|| panic!("benchmark input {} did not load", path.display()));
        let document: &'static str =
            Box::leak(serde_json::to_string(&model).unwrap().into_boxed_str());
        let mut router = Router::new().with_document(document);
        for key in model.operations.keys() {
            router = router.publishes(key.clone());
        }
        let once = router.asyncapi().to_json().expect("exports");
        assert!(once.len() > 10_000, "{name}: {} bytes", once.len());
        group.bench_function(name, |b| {
            b.iter(|| black_box(router.asyncapi().to_json().unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
