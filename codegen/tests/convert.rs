//! 2.6 -> 3.0 conversion checked against the AsyncAPI project's own
//! examples: each official 2.6.0 example, converted, has the channel
//! addresses, the operations (action and channel) and the message payload
//! schemas of the matching official 3.0.0 example.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use faststream_gen::asyncapi::{self, AsyncApi, RefOr};
use faststream_gen::{LoadOptions, check_file};
use serde_json::Value;

mod common;
use common::corpus;

fn model(path: &Path, options: &LoadOptions) -> (AsyncApi, Value) {
    let checked = check_file(path, options);
    assert!(
        !checked.has_errors(),
        "{}: {:?}",
        path.display(),
        checked.diagnostics
    );
    let value = checked.bundled_value().expect("loaded");
    let (model, _) = asyncapi::to_v3_model(&value).expect("model");
    let v3_value = match asyncapi::SpecVersion::of(&value) {
        Some(asyncapi::SpecVersion::V2(_)) => {
            asyncapi::convert::v2_to_v3(&value)
                .expect("convert")
                .document
        }
        _ => value,
    };
    (model, v3_value)
}

/// Follows local `$ref`s at the top of a value.
fn deref(doc: &Value, v: &Value) -> Value {
    let mut cur = v.clone();
    for _ in 0..16 {
        let Some(p) = cur
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
        else {
            break;
        };
        let Some(next) = asyncapi::convert::resolve_pointer(doc.as_object().unwrap(), p) else {
            break;
        };
        cur = next.clone();
    }
    cur
}

type Summary = (BTreeSet<String>, BTreeSet<(String, String, String)>);

/// Addresses, and (action, address, payload schema) per operation message.
fn summary(m: &AsyncApi, doc: &Value) -> Summary {
    let addresses = m
        .channels
        .values()
        .filter_map(RefOr::item)
        .map(|c| c.address.clone().unwrap_or_default())
        .collect();
    let mut ops = BTreeSet::new();
    for op in m.operations.values().filter_map(RefOr::item) {
        let channel_ref = op
            .channel
            .reference()
            .expect("channel ref")
            .reference
            .clone();
        let channel = deref(doc, &serde_json::json!({ "$ref": channel_ref }));
        let address = channel["address"].as_str().unwrap_or_default().to_owned();
        let action = format!("{:?}", op.action);
        let messages: Vec<Value> = match &op.messages {
            Some(list) => list
                .iter()
                .map(|r| serde_json::to_value(r).unwrap())
                .collect(),
            None => channel["messages"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(_, v)| v.clone())
                .collect(),
        };
        for m in messages {
            let message = deref(doc, &m);
            let payload = deref(doc, &message["payload"]);
            ops.insert((action.clone(), address.clone(), payload.to_string()));
        }
    }
    (addresses, ops)
}

#[test]
fn official_2_6_examples_convert_to_the_official_3_0_examples() {
    let Some(corpus) = corpus() else {
        return;
    };
    let options = LoadOptions::default().ref_root(&corpus);
    let v2_dir = corpus.join("official/v2");
    let mut compared = 0;
    let mut operations = 0;
    let mut pairs = Vec::new();
    for entry in std::fs::read_dir(&v2_dir).expect("official v2 examples") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yml") {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let v3 = corpus.join(format!("official/v3/{stem}-asyncapi.yml"));
            if v3.is_file() {
                pairs.push((path, v3));
            }
        }
    }
    pairs.sort();
    let mut mismatches = Vec::new();
    for (v2, v3) in &pairs {
        let (m2, d2) = model(v2, &options);
        let (m3, d3) = model(v3, &options);
        let (a2, o2) = summary(&m2, &d2);
        let (a3, o3) = summary(&m3, &d3);
        if a2 != a3 {
            mismatches.push(format!("{}: addresses {a2:?} vs {a3:?}", v2.display()));
        }
        if o2 != o3 {
            let only2: Vec<_> = o2.difference(&o3).collect();
            let only3: Vec<_> = o3.difference(&o2).collect();
            mismatches.push(format!(
                "{}: operations differ\n  converted only: {only2:?}\n  official only: {only3:?}",
                v2.display()
            ));
        }
        compared += 1;
        operations += o3.len();
    }
    println!("compared {compared} example pairs, {operations} operation messages");
    assert!(
        operations >= 30,
        "too few operation messages compared: {operations}"
    );
    assert!(
        compared >= 15,
        "expected the official example pairs, found {compared}"
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn official_3_0_examples_export_to_valid_2_6_and_back() {
    let Some(corpus) = corpus() else {
        return;
    };
    let options = LoadOptions::default().ref_root(&corpus);
    let mut exported = 0;
    let mut same = 0;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(corpus.join("official/v3"))
        .expect("official v3 examples")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    entries.sort();
    for path in entries {
        let checked = check_file(&path, &options);
        if checked.has_errors() {
            continue; // The one invalid official example.
        }
        let value = checked.bundled_value().unwrap();
        let (m3, _) = asyncapi::to_v3_model(&value).unwrap();
        let v2 = asyncapi::convert::v3_to_v2(&value).expect("export to 2.6");
        // The export is a valid 2.6 document.
        let yaml = asyncapi::emit::value_to_yaml(&v2.document);
        let again =
            faststream_gen::check_str(Path::new("export.yaml"), &yaml, &LoadOptions::default());
        assert!(
            !again.has_errors(),
            "{}: the 2.6 export is invalid: {:?}",
            path.display(),
            again
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .take(3)
                .collect::<Vec<_>>()
        );
        exported += 1;
        // Converted back, it has the same channels and operations, unless
        // the export said what it had to drop.
        let back = asyncapi::convert::v2_to_v3(&v2.document).unwrap().document;
        let (m_back, _) = asyncapi::to_v3_model(&back).unwrap();
        let dropped = v2
            .notes
            .iter()
            .any(|n| n.message.contains("dropped") && !n.message.contains("reply"));
        if !dropped {
            assert_eq!(
                summary(&m3, &value),
                summary(&m_back, &back),
                "{}",
                path.display()
            );
            same += 1;
        }
    }
    println!("exported {exported} documents to 2.6; {same} convert back unchanged");
    assert!(exported >= 18, "exported only {exported}");
    assert!(same >= 15, "only {same} round-tripped");
}
