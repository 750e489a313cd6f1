//! Type fidelity: generated types accept exactly what their schemas
//! accept. For every JSON message payload and headers schema of every spec
//! in `specs/` and every valid corpus document, instances are generated
//! (values meant to conform, and mutations meant to break one rule each),
//! judged by an independent JSON Schema validator (the `jsonschema` crate,
//! draft 7 as AsyncAPI's schema object, formats asserted), and decoded with
//! the generated code (`faststream::decode_json::<T>`) in one crate built
//! for the whole set. Headers are read as a broker carries them (a map of
//! strings, `decode_headers`), the oracle judging that map read as the
//! schema's types. Operations that receive several JSON messages are
//! cases too: their message enum's `decode` against any of the payloads.
//! So are channels with parameters: `parse` of a concrete address, the
//! oracle's schema each parameter a non-empty string from its `enum`.
//! Every schema gets at least the floor of distinct instances of each
//! kind, or, where it has fewer distinct values of that kind (a constant,
//! a small enum, headers every string map meets, a single parameter
//! without an `enum`: `space.rs` reads the bound from the schema), every
//! one of them; a schema short of that fails the test, as a shortfall of
//! the instance generator. Decoding must agree with the validator on every
//! instance, and a conforming instance must encode back to itself up to
//! the documented normalizations (defaults filled in, unknown fields and
//! `null`s of optional fields dropped, numbers compared by value).
//!
//! Disagreements that are deliberate choices are counted apart, each with
//! its reason in ARCHITECTURE.md ("Type fidelity"): a format the runtime
//! does not check. The rest are compared with
//! `tests/fidelity/known.txt`, the classes still open (issue 25): a class
//! that is not listed fails the test, and a listed class that no longer
//! occurs fails it too, so that the list only shrinks.
//!
//! Seeded (`FIDELITY_SEED`, default below) and repeatable; the number of
//! instances per schema is `FIDELITY_INSTANCES` (default 200 of each
//! kind). Prints "type fidelity: N schemas, V valid and I invalid
//! instances, D disagreements".

#[path = "../common/mod.rs"]
mod common;
mod instances;
mod space;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use faststream_gen::emit::type_path;
use faststream_gen::lower::{Dispatch, MessageIr};
use faststream_gen::types::Ty;
use faststream_gen::{LoadOptions, Settings, check_file, generate};
use serde_json::Value;

use instances::{Gen, Rng, is_uuid, with_integer_formats};

const DEFAULT_SEED: u64 = 0x5eed_2025_fa57;

/// The formats the generator maps to a type or the runtime checks; the
/// validator asserts them. Others it also asserts, but the runtime accepts
/// any string there, deliberately (counted apart).
const CHECKED_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "uuid",
    "email",
    "uri",
    "byte",
    "int32",
    "int64",
];

/// One schema under test.
struct Case {
    /// Where it is: `<document>#<pointer>`.
    origin: String,
    /// The module it was generated into (index into `modules`).
    module: usize,
    /// The Rust type (a path inside the checking crate).
    rust: String,
    /// The document (3.x, traits applied) and the schema's pointer.
    doc: usize,
    pointer: String,
    /// How the generated code reads it.
    via: Via,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    /// A model from JSON: `decode_json`.
    Json,
    /// Headers from the broker's string map: `decode_headers`.
    Headers,
    /// An operation's message enum from an envelope: `<Op>Message::decode`.
    MessageEnum,
    /// A channel's parameters from a concrete address: `<Channel>::parse`.
    /// The fields, as (wire name, Rust field).
    Params(usize),
}

/// One instance: the case, the JSON, what the validator said (and, for a
/// refusal, whether only unchecked formats refused it).
struct Instance {
    case: usize,
    /// What the oracle judges (for headers: the wire map read back as
    /// the schema's types).
    json: Value,
    /// What the generated code reads, when it is not `json`: headers as
    /// the broker carries them, a map of strings.
    wire: Option<Value>,
    conforms: bool,
    only_unchecked_formats: bool,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The documents: every spec of the project, then every valid corpus
/// document (when the corpus is there).
fn documents() -> Vec<(String, PathBuf, LoadOptions)> {
    let mut out = Vec::new();
    let mut specs: Vec<PathBuf> = std::fs::read_dir(root().join("specs"))
        .expect("specs folder")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    specs.sort();
    for p in specs {
        let name = format!("specs/{}", p.file_name().unwrap().to_string_lossy());
        out.push((name, p, LoadOptions::default()));
    }
    if let Some(corpus) = common::corpus() {
        let options = common::corpus_options(&corpus);
        let text = std::fs::read_to_string(corpus.join("INDEX.tsv")).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
        let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
        let (p, v) = (col("local_path"), col("validation"));
        for f in lines.map(|l| l.split('\t').collect::<Vec<_>>()) {
            if f.len() > v && f[v] == "valid" {
                out.push((f[p].to_owned(), corpus.join(f[p]), options.clone()));
            }
        }
    }
    out
}

/// The pointer of a message part's JSON Schema, unless the part is in
/// another schema format.
fn json_schema_pointer(doc: &Value, message: &MessageIr, part: &str) -> Option<String> {
    let at = format!("{}/{part}", message.pointer);
    let v = doc.pointer(&at)?;
    match v.get("schemaFormat").and_then(Value::as_str) {
        None => Some(at),
        Some(f) if f.contains("json") && !f.contains("openapi") => Some(format!("{at}/schema")),
        Some(_) => None,
    }
}

fn is_base64(s: &str) -> bool {
    let s = s.trim_end_matches('=');
    s.len() % 4 != 1
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

fn validator(doc: &Value, pointer: &str) -> Option<jsonschema::Validator> {
    let mut root = doc.clone();
    with_integer_formats(&mut root);
    root.as_object_mut()?
        .insert("$ref".into(), Value::String(format!("#{pointer}")));
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .with_format("byte", is_base64)
        .with_format("uuid", is_uuid)
        .build(&root)
        .ok()
}

/// Whether every error of a refusal is a format the runtime does not check.
fn only_unchecked_formats(v: &jsonschema::Validator, instance: &Value) -> bool {
    let mut any = false;
    for e in v.iter_errors(instance) {
        any = true;
        match e.kind() {
            jsonschema::error::ValidationErrorKind::Format { format }
                if !CHECKED_FORMATS.contains(&format.as_str()) => {}
            _ => return false,
        }
    }
    any
}

#[test]
fn generated_types_accept_exactly_what_their_schemas_accept() {
    let seed = std::env::var("FIDELITY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let per_kind: usize = std::env::var("FIDELITY_INSTANCES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let settings = Settings::default();
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fidelity-crate");
    let src = work.join("src");
    let _ = std::fs::remove_dir_all(&src);
    std::fs::create_dir_all(&src).unwrap();
    std::fs::create_dir_all(work.join("tests")).unwrap();

    // Generate every document; collect the cases.
    let mut docs: Vec<Value> = Vec::new();
    let mut modules: Vec<(String, String)> = Vec::new(); // (module, document name)
    let mut cases: Vec<Case> = Vec::new();
    // The parameters of each `Via::Params` case: (wire name, Rust field).
    let mut param_fields: Vec<Vec<(String, String)>> = Vec::new();
    for (name, path, options) in documents() {
        let checked = check_file(&path, &options);
        let Some(document) = checked
            .loaded
            .document
            .as_ref()
            .filter(|_| !checked.has_errors())
        else {
            continue;
        };
        let Ok(g) = generate(document, &settings, &name) else {
            continue;
        };
        let module = format!("m{:03}", modules.len());
        std::fs::write(src.join(format!("{module}.rs")), &g.code.single).unwrap();
        let mut seen = BTreeSet::new();
        for m in &g.ir.messages {
            if m.content_type
                .as_deref()
                .is_some_and(|c| !c.contains("json"))
            {
                continue;
            }
            for (part, ty) in [("payload", &m.payload), ("headers", &m.headers)] {
                let Some(ty) = ty else { continue };
                if matches!(ty, Ty::Unit | Ty::Bytes) {
                    continue;
                }
                let Some(pointer) = json_schema_pointer(&g.document, m, part) else {
                    continue;
                };
                let rust = type_path(
                    ty,
                    &g.types,
                    &settings,
                    &format!("fidelity_generated::{module}"),
                );
                if !seen.insert(rust.clone()) {
                    continue;
                }
                cases.push(Case {
                    origin: format!("{name}#{pointer}"),
                    module: modules.len(),
                    rust,
                    doc: docs.len(),
                    via: if part == "headers" {
                        Via::Headers
                    } else {
                        Via::Json
                    },
                    pointer,
                });
            }
        }
        // Operations that receive several JSON messages told apart by a
        // payload property or by trying each: the message enum decodes
        // an envelope; the oracle's schema is any of the payloads.
        let mut document = g.document;
        for op in &g.ir.operations {
            if !op.receive
                || op.messages.len() < 2
                || !matches!(op.dispatch, Dispatch::Field { .. } | Dispatch::Trial)
            {
                continue;
            }
            let pointers: Option<Vec<String>> = op
                .messages
                .iter()
                .map(|&i| {
                    let m = &g.ir.messages[i];
                    let json = m.content_type.as_deref().is_none_or(|c| c.contains("json"));
                    let typed = m
                        .payload
                        .as_ref()
                        .is_some_and(|t| !matches!(t, Ty::Unit | Ty::Bytes));
                    (json && typed)
                        .then(|| json_schema_pointer(&document, m, "payload"))
                        .flatten()
                })
                .collect();
            let Some(pointers) = pointers else { continue };
            let any_of: Vec<Value> = pointers
                .iter()
                .map(|p| serde_json::json!({ "$ref": format!("#{p}") }))
                .collect();
            let key = faststream_asyncapi::pointer::escape(&op.key);
            let pointer = format!("/x-fidelity-operations/{key}");
            document
                .as_object_mut()
                .unwrap()
                .entry("x-fidelity-operations")
                .or_insert_with(|| Value::Object(Default::default()))
                .as_object_mut()
                .unwrap()
                .insert(op.key.clone(), serde_json::json!({ "anyOf": any_of }));
            cases.push(Case {
                origin: format!("{name}#/operations/{key}"),
                module: modules.len(),
                rust: format!(
                    "fidelity_generated::{module}::messages::{}Message",
                    op.type_name
                ),
                doc: docs.len(),
                pointer,
                via: Via::MessageEnum,
            });
        }
        // Channels with parameters: `parse` of a concrete address. The
        // oracle's schema: each parameter a non-empty string (an empty
        // address segment is refused, deliberately), from its `enum` when
        // it has one.
        for ch in &g.ir.channels {
            let Some(address) = &ch.address else { continue };
            if ch.params.is_empty() {
                continue;
            }
            let properties: serde_json::Map<String, Value> = ch
                .params
                .iter()
                .map(|p| {
                    let mut schema = serde_json::json!({ "type": "string", "minLength": 1 });
                    if !p.enum_values.is_empty() {
                        schema["enum"] = Value::from(p.enum_values.clone());
                    }
                    (p.wire.clone(), schema)
                })
                .collect();
            let required: Vec<&str> = ch.params.iter().map(|p| p.wire.as_str()).collect();
            let key = faststream_asyncapi::pointer::escape(&ch.key);
            document
                .as_object_mut()
                .unwrap()
                .entry("x-fidelity-channels")
                .or_insert_with(|| Value::Object(Default::default()))
                .as_object_mut()
                .unwrap()
                .insert(
                    ch.key.clone(),
                    serde_json::json!({
                        "type": "object",
                        "properties": properties,
                        "required": required,
                        "x-address": address,
                    }),
                );
            param_fields.push(
                ch.params
                    .iter()
                    .map(|p| (p.wire.clone(), rust_ident(&p.rust)))
                    .collect(),
            );
            cases.push(Case {
                origin: format!("{name}#/channels/{key}/parameters"),
                module: modules.len(),
                rust: format!(
                    "fidelity_generated::{module}::channels::{}",
                    rust_ident(&ch.rust_name)
                ),
                doc: docs.len(),
                pointer: format!("/x-fidelity-channels/{key}"),
                via: Via::Params(param_fields.len() - 1),
            });
        }
        modules.push((module, name));
        docs.push(document);
    }

    // Make and judge the instances.
    let mut all: Vec<Instance> = Vec::new();
    let mut rng = Rng::new(seed);
    let mut below_floor: Vec<String> = Vec::new();
    let mut shortfall: Vec<String> = Vec::new();
    for (ci, case) in cases.iter().enumerate() {
        let doc = &docs[case.doc];
        let Some(oracle) = validator(doc, &case.pointer) else {
            continue;
        };
        let schema = doc.pointer(&case.pointer).unwrap();
        let mut generator = Gen {
            root: doc,
            rng: Rng::new(rng.next()),
            bottomed: false,
        };
        let (mut valid, mut invalid) = (0, 0);
        let mut distinct = BTreeSet::new();
        let mut last_valid: Vec<Value> = Vec::new();
        for attempt in 0..per_kind * 40 {
            if valid >= per_kind && invalid >= per_kind {
                break;
            }
            let want_invalid = (valid >= per_kind || attempt % 2 == 1) && invalid < per_kind;
            // Every third attempt a fresh value even when a mutation is
            // wanted: where the wire turns most mutations back into
            // conforming values, fresh values "meant to conform" that do
            // not are the other source of wrong ones.
            let json = if want_invalid && attempt % 3 != 0 {
                // A mutation of a conforming value; where none has been
                // found (a schema no finite value meets), of an attempt.
                let base = match last_valid.is_empty() {
                    true => generator.valid(schema, 0),
                    false => generator.rng.pick(&last_valid).clone(),
                };
                generator.mutate(schema, &base)
            } else {
                generator.valid(schema, 0)
            };
            // Headers travel as a map of strings: the generated code reads
            // that map, and the oracle judges it read as the schema's types.
            let (json, wire) = if case.via == Via::Headers {
                let Some(wire) = headers_on_the_wire(&json) else {
                    continue;
                };
                (typed_headers(&generator, schema, &wire), Some(wire))
            } else if let Via::Params(_) = case.via {
                match concrete_address(schema, &json) {
                    Some(address) => (json, Some(Value::String(address))),
                    None => continue,
                }
            } else {
                (json, None)
            };
            if !distinct.insert(wire.as_ref().unwrap_or(&json).to_string()) {
                continue;
            }
            let conforms = oracle.is_valid(&json);
            // Mutations that still conform are plenty once the floor is
            // met; keep the decoded set to a bounded size.
            if conforms && valid >= per_kind * 4 {
                continue;
            }
            if conforms {
                valid += 1;
                if last_valid.len() < 256 {
                    last_valid.push(json.clone());
                }
            } else {
                invalid += 1;
            }
            let only_unchecked_formats = !conforms && only_unchecked_formats(&oracle, &json);
            all.push(Instance {
                case: ci,
                json,
                wire,
                conforms,
                only_unchecked_formats,
            });
        }
        if valid < per_kind || invalid < per_kind {
            // Below the floor only where the value space is: the schema
            // bounds what is short, and the generator reached that bound.
            let mut bound = space::bound(&generator, schema, &case.via);
            if valid == 0 && generator.bottomed {
                bound.valid = Some(0);
                bound.why = "a schema that requires itself: no finite value conforms";
            }
            let reached =
                |n: usize, max: Option<u64>| n >= per_kind || max.is_some_and(|m| n as u64 >= m);
            let line = format!("{} ({valid} valid, {invalid} invalid)", case.origin);
            if reached(valid, bound.valid) && reached(invalid, bound.invalid) {
                below_floor.push(format!("{line}: {}", bound.why));
            } else {
                shortfall.push(line);
            }
        }
    }
    // Schemas whose distinct values are fewer than the floor (a small
    // enum, a constant, an address of enum parameters, headers no string
    // map breaks): said, with the bound that holds them there.
    eprintln!(
        "type fidelity: {} of {} schemas reached {per_kind} distinct valid and {per_kind} invalid instances; {} have fewer values than that, each at its bound:",
        cases.len() - below_floor.len() - shortfall.len(),
        cases.len(),
        below_floor.len(),
    );
    for b in &below_floor {
        eprintln!("  {b}");
    }
    // A schema whose value space is larger than the instances made of it
    // is the generator's shortfall: it fails the test (at the default
    // count; a larger `FIDELITY_INSTANCES` only reports it).
    if !shortfall.is_empty() {
        eprintln!(
            "below the floor, though the value space is larger:\n  {}",
            shortfall.join("\n  ")
        );
    }

    // Decode them all with the generated code, in one build.
    let outcomes = decode_all(&work, &modules, &cases, &param_fields, &all);

    // Compare.
    let mut disagreements: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut deliberate = 0usize;
    let (mut n_valid, mut n_invalid) = (0usize, 0usize);
    for (inst, outcome) in all.iter().zip(&outcomes) {
        let case = &cases[inst.case];
        if inst.conforms {
            n_valid += 1;
        } else {
            n_invalid += 1;
        }
        let class = match (inst.conforms, outcome) {
            (true, Outcome::Accepted(back)) => {
                let doc = &docs[case.doc];
                let schema = doc.pointer(&case.pointer).unwrap();
                let back = if case.via == Via::Headers {
                    let g = Gen {
                        root: doc,
                        rng: Rng::new(0),
                        bottomed: false,
                    };
                    &typed_headers(&g, schema, back)
                } else {
                    back
                };
                match same_up_to_normalization(doc, schema, &inst.json, back) {
                    Ok(()) => None,
                    // A union read it as another variant, the one holding
                    // the integer refusing it.
                    Err(_) if beyond_64_bits(&inst.json) => {
                        deliberate += 1;
                        None
                    }
                    Err(why) => Some(format!("re-encoded differently: {why}")),
                }
            }
            (true, Outcome::Refused(_)) if beyond_64_bits(&inst.json) => {
                deliberate += 1;
                None
            }
            (true, Outcome::Refused(e))
                if e.contains("expected struct")
                    && !inst.json.is_object()
                    && untyped_object(&docs[case.doc], &case.pointer) =>
            {
                deliberate += 1;
                None
            }
            (true, Outcome::Refused(e)) => {
                Some(format!("refused a conforming value: {}", short(e)))
            }
            (false, Outcome::Refused(_)) => None,
            (false, Outcome::Accepted(_)) if inst.only_unchecked_formats => {
                deliberate += 1;
                None
            }
            (false, Outcome::Accepted(_)) => Some("accepted a value the schema refuses".into()),
            (_, Outcome::Panicked(e)) => Some(format!("panicked: {e}")),
        };
        if let Some(class) = class {
            disagreements
                .entry(format!("{}\t{class}", case.origin))
                .or_default()
                .push(inst.json.to_string());
        }
    }
    let total: usize = disagreements.values().map(Vec::len).sum();
    println!(
        "type fidelity: {} schemas, {n_valid} valid and {n_invalid} invalid instances, {total} disagreements ({deliberate} more deliberate: formats the runtime does not check, integers beyond 64 bits, non-objects for an object schema without `type`); seed {seed}",
        cases.len()
    );
    let known_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fidelity/known.txt");
    let known: BTreeSet<String> = std::fs::read_to_string(&known_path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    let found: BTreeSet<String> = disagreements.keys().cloned().collect();
    for (key, examples) in &disagreements {
        println!(
            "  {key}: {} instance(s), e.g. {}",
            examples.len(),
            examples[0]
        );
    }
    let new: Vec<&String> = found.difference(&known).collect();
    let gone: Vec<&String> = known.difference(&found).collect();
    if std::env::var("FIDELITY_WRITE_KNOWN").is_ok() {
        let mut text = String::from(
            "# Disagreement classes of the type fidelity test that are still open\n\
             # (issue 25), one per line: <document>#<pointer> TAB <class>.\n\
             # Regenerate with FIDELITY_WRITE_KNOWN=1; the list may only shrink.\n",
        );
        for k in &found {
            writeln!(text, "{k}").unwrap();
        }
        std::fs::write(&known_path, text).unwrap();
    }
    assert!(
        new.is_empty(),
        "disagreements of a class not known (seed {seed}):\n{}",
        new.iter()
            .map(|s| format!("  {s}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    if common::corpus().is_some() {
        assert!(
            gone.is_empty(),
            "known disagreement classes that no longer occur: remove them from tests/fidelity/known.txt:\n{}",
            gone.iter()
                .map(|s| format!("  {s}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    assert!(cases.len() >= 20, "too few schemas: {}", cases.len());
    // The floor: every schema reaches it, or holds as many distinct values
    // of a kind as it has (at the default count; a larger
    // `FIDELITY_INSTANCES` only reports a shortfall).
    assert!(
        shortfall.is_empty() || per_kind > 200,
        "{} schemas stayed below {per_kind} instances of a kind, though their value space is larger (seed {seed}):\n  {}",
        shortfall.len(),
        shortfall.join("\n  ")
    );
}

/// Whether the schema has properties but no `type`: JSON Schema lets any
/// non-object through; the generator reads it as the object it describes
/// (deliberate, see ARCHITECTURE.md).
fn untyped_object(doc: &Value, pointer: &str) -> bool {
    let g = Gen {
        root: doc,
        rng: Rng::new(0),
        bottomed: false,
    };
    let flat = g.flat(doc.pointer(pointer).unwrap_or(&Value::Null));
    flat.get("type").is_none() && flat.get("properties").is_some()
}

/// A Rust identifier as source text (`r#type` for a keyword).
fn rust_ident(name: &str) -> String {
    if syn::parse_str::<syn::Ident>(name).is_ok() {
        name.to_owned()
    } else {
        format!("r#{name}")
    }
}

/// The concrete address of a channel's parameters (the schema's
/// `x-address` template filled in), when an address can carry them: each
/// parameter there and a string, and none holding the text that follows
/// it in the template (which would make the address ambiguous).
fn concrete_address(schema: &Value, params: &Value) -> Option<String> {
    let template = schema.get("x-address")?.as_str()?;
    let params = params.as_object()?;
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}')? + open;
        out.push_str(&rest[..open]);
        let value = params.get(&rest[open + 1..close])?.as_str()?;
        rest = &rest[close + 1..];
        let next = rest.split('{').next().unwrap_or_default();
        if !next.is_empty() && value.contains(next) {
            return None;
        }
        out.push_str(value);
    }
    out.push_str(rest);
    Some(out)
}

/// Headers as a broker carries them: each value a string (numbers and
/// booleans as their JSON text, objects and arrays as JSON), `null`s
/// left out. `None` for what is not a map.
fn headers_on_the_wire(json: &Value) -> Option<Value> {
    let map = json.as_object()?;
    Some(Value::Object(
        map.iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), Value::String(text))
            })
            .collect(),
    ))
}

/// A map of header strings read as the schema's types say: a property
/// that may be an integer, a number or a boolean (and not a string) takes
/// the value its text spells in JSON, when it spells one; anything else
/// stays the string it is.
fn typed_headers(g: &Gen<'_>, schema: &Value, wire: &Value) -> Value {
    let flat = g.flat(schema);
    let props = properties(g, &flat);
    let Some(map) = wire.as_object() else {
        return wire.clone();
    };
    let typed = map
        .iter()
        .map(|(k, v)| {
            let text = v.as_str().unwrap_or_default();
            let types: Vec<String> = props
                .get(k)
                .map(|p| g.flat(p))
                .map(|p| match p.get("type") {
                    Some(Value::String(t)) => vec![t.clone()],
                    Some(Value::Array(ts)) => ts
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect(),
                    _ => Vec::new(),
                })
                .unwrap_or_default();
            let scalar = !types.iter().any(|t| t == "string")
                && types
                    .iter()
                    .any(|t| matches!(t.as_str(), "integer" | "number" | "boolean"));
            let value = match serde_json::from_str::<Value>(text) {
                Ok(parsed @ (Value::Number(_) | Value::Bool(_))) if scalar => parsed,
                _ => Value::String(text.to_owned()),
            };
            (k.clone(), value)
        })
        .collect();
    Value::Object(typed)
}

/// Whether a value holds an integer beyond what 64 bits hold (an integer
/// type without bounds is `i64`: deliberate, see ARCHITECTURE.md).
fn beyond_64_bits(v: &Value) -> bool {
    match v {
        Value::Number(n) => {
            n.as_i64().is_none()
                && n.as_f64()
                    .is_some_and(|f| f.fract() == 0.0 && f.abs() >= 9_223_372_036_854_775_807.0)
        }
        Value::Array(a) => a.iter().any(beyond_64_bits),
        Value::Object(m) => m.values().any(beyond_64_bits),
        _ => false,
    }
}

fn short(e: &str) -> String {
    // The rule, not the value: `/a/b: minimum: 3 is less than 4` ->
    // `/a/b: minimum`; serde's messages up to their first `, expected`.
    let e = e.split(" at line ").next().unwrap_or(e);
    let mut out: String = e.chars().take(80).collect();
    if let Some(i) = out.find(['`', '"', '\'']) {
        out.truncate(i);
    }
    out.trim_end().to_owned()
}

enum Outcome {
    Accepted(Value),
    Refused(String),
    Panicked(String),
}

/// Builds the generated modules into one crate whose test decodes every
/// instance with its type; modules that do not compile are left out (the
/// corpus code generation test reports them).
fn decode_all(
    work: &Path,
    modules: &[(String, String)],
    cases: &[Case],
    param_fields: &[Vec<(String, String)>],
    all: &[Instance],
) -> Vec<Outcome> {
    common::scratch_crate(work, "fidelity-generated");
    let input = work.join("instances.tsv");
    let mut text = String::new();
    for inst in all {
        writeln!(
            text,
            "{}\t{}",
            inst.case,
            inst.wire.as_ref().unwrap_or(&inst.json)
        )
        .unwrap();
    }
    std::fs::write(&input, text).unwrap();
    let output = work.join("outcomes.tsv");
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("nested-target");
    let mut compiled: Vec<usize> = (0..modules.len()).collect();
    for attempt in 0.. {
        let mut lib = String::from("#![allow(warnings)]\n");
        for &m in &compiled {
            writeln!(lib, "#[rustfmt::skip]\npub mod {};", modules[m].0).unwrap();
        }
        std::fs::write(work.join("src/lib.rs"), lib).unwrap();
        let mut test = String::from(
            "use std::io::Write as _;\n\
             fn run<T: faststream::__codegen::serde::de::DeserializeOwned + faststream::__codegen::serde::Serialize + faststream::Validate>(json: &str) -> String {\n\
                 match faststream::decode_json::<T>(json.as_bytes()) {\n\
                     Ok(v) => format!(\"ok\\t{}\", serde_json::to_string(&v).unwrap()),\n\
                     Err(e) => format!(\"err\\t{}\", e.to_string().replace(['\\t', '\\n'], \" \")),\n\
                 }\n\
             }\n\
             fn run_headers<T: faststream::__codegen::serde::de::DeserializeOwned + faststream::__codegen::serde::Serialize + faststream::Validate>(json: &str) -> String {\n\
                 let map: std::collections::BTreeMap<String, String> = serde_json::from_str(json).unwrap();\n\
                 match faststream::__codegen::decode_headers::<T>(&map) {\n\
                     Ok(v) => format!(\"ok\\t{}\", serde_json::to_string(&faststream::__codegen::encode_headers(&v).unwrap()).unwrap()),\n\
                     Err(e) => format!(\"err\\t{}\", e.to_string().replace(['\\t', '\\n'], \" \")),\n\
                 }\n\
             }\n\
             fn dispatch(case: usize, json: &str) -> String {\n    match case {\n",
        );
        for (i, c) in cases.iter().enumerate() {
            if !compiled.contains(&c.module) {
                continue;
            }
            if let Via::Params(fields) = c.via {
                let pairs: Vec<String> = param_fields[fields]
                    .iter()
                    .map(|(wire, field)| format!("{wire:?}: p.{field}"))
                    .collect();
                writeln!(
                    test,
                    "        {i} => match {}::parse(&serde_json::from_str::<String>(json).unwrap()) {{\n\
                     \x20           Some(p) => format!(\"ok\\t{{}}\", serde_json::json!({{ {} }})),\n\
                     \x20           None => \"err\\tthe address does not parse\".to_owned(),\n\
                     \x20       }},",
                    c.rust,
                    pairs.join(", ")
                )
                .unwrap();
            } else if c.via == Via::Headers {
                writeln!(test, "        {i} => run_headers::<{}>(json),", c.rust).unwrap();
            } else if c.via == Via::MessageEnum {
                writeln!(
                    test,
                    "        {i} => match {}::decode(&faststream::Envelope::new(\"fidelity\", json.as_bytes().to_vec())) {{\n\
                     \x20           Ok(v) => format!(\"ok\\t{{}}\", String::from_utf8(v.encode().unwrap()).unwrap()),\n\
                     \x20           Err(e) => format!(\"err\\t{{}}\", e.to_string().replace(['\\t', '\\n'], \" \")),\n\
                     \x20       }},",
                    c.rust
                )
                .unwrap();
            } else {
                writeln!(test, "        {i} => run::<{}>(json),", c.rust).unwrap();
            }
        }
        test.push_str(
            "        _ => \"skip\".to_owned(),\n    }\n}\n\
             #[test]\nfn decode() {\n\
                 let input = std::fs::read_to_string(std::env::var(\"FIDELITY_IN\").unwrap()).unwrap();\n\
                 let mut out = std::io::BufWriter::new(std::fs::File::create(std::env::var(\"FIDELITY_OUT\").unwrap()).unwrap());\n\
                 std::panic::set_hook(Box::new(|_| {}));\n\
                 for line in input.lines() {\n\
                     let (case, json) = line.split_once('\\t').unwrap();\n\
                     let case: usize = case.parse().unwrap();\n\
                     let r = std::panic::catch_unwind(|| dispatch(case, json)).unwrap_or_else(|p| format!(\"panic\\t{:?}\", p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))));\n\
                     writeln!(out, \"{r}\").unwrap();\n\
                 }\n\
             }\n",
        );
        std::fs::write(work.join("tests/decode.rs"), test).unwrap();
        let _ = std::fs::remove_file(&output);
        let out = common::cargo_offline(
            work,
            &[
                "test",
                "--quiet",
                "--message-format",
                "short",
                "--test",
                "decode",
            ],
            &[
                ("CARGO_TARGET_DIR", target.as_path()),
                ("FIDELITY_IN", input.as_path()),
                ("FIDELITY_OUT", output.as_path()),
            ],
        );
        if let Ok(text) = std::fs::read_to_string(&output) {
            return text
                .lines()
                .map(|l| match l.split_once('\t') {
                    Some(("ok", json)) => Outcome::Accepted(serde_json::from_str(json).unwrap()),
                    Some(("err", e)) => Outcome::Refused(e.to_owned()),
                    Some(("panic", e)) => Outcome::Panicked(e.to_owned()),
                    _ => Outcome::Refused("not compiled".into()),
                })
                .collect();
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let bad: Vec<usize> = compiled
            .iter()
            .copied()
            .filter(|&m| stderr.contains(&format!("src/{}.rs", modules[m].0)))
            .collect();
        assert!(
            !bad.is_empty() && attempt < 4,
            "the fidelity crate does not build, and no module is to blame:\n{stderr}"
        );
        compiled.retain(|m| !bad.contains(m));
    }
    unreachable!()
}

/// Whether `back` (what the decoded value encodes to) is `original` up to
/// the normalizations the generator documents: numbers by value, unknown
/// fields dropped, a `null` optional field dropped, defaults and constants
/// filled in.
fn same_up_to_normalization(
    doc: &Value,
    schema: &Value,
    original: &Value,
    back: &Value,
) -> Result<(), String> {
    let g = Gen {
        root: doc,
        rng: Rng::new(0),
        bottomed: false,
    };
    compare(&g, schema, original, back, "")
}

fn compare(g: &Gen<'_>, schema: &Value, a: &Value, b: &Value, at: &str) -> Result<(), String> {
    let flat = g.flat(schema);
    // A value of exactly one branch of a union is normalized as that
    // branch normalizes it (its unknown fields, its constants). A value of
    // several branches must keep every property any of them names.
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(branches)) = flat.get(key)
            && !flat
                .as_object()
                .is_some_and(|m| m.contains_key("properties"))
        {
            let conforming: Vec<&Value> = branches
                .iter()
                .filter(|br| conforms_to_branch(g.root, br, a))
                .collect();
            if let [only] = conforming.as_slice() {
                return compare(g, only, a, b, at);
            }
            if conforming.len() > 1 {
                if let (Value::Object(x), Value::Object(y)) = (a, b) {
                    let named: BTreeSet<String> = conforming
                        .iter()
                        .flat_map(|br| properties(g, &g.flat(br)).into_keys())
                        .collect();
                    if let Some(k) = x
                        .keys()
                        .find(|k| named.contains(*k) && !y.contains_key(*k) && !x[*k].is_null())
                    {
                        return Err(format!("{at}/{k}: dropped"));
                    }
                }
                let mut first = None;
                for branch in &conforming {
                    match compare(g, branch, a, b, at) {
                        Ok(()) => return Ok(()),
                        Err(e) => {
                            first.get_or_insert(e);
                        }
                    }
                }
                return Err(first.unwrap_or_default());
            }
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let single = |n: &serde_json::Number| n.as_f64().map(|f| f as f32);
            if x == y
                || x.as_f64() == y.as_f64()
                || (formats_of(g, &flat).contains(&"float".to_owned()) && single(x) == single(y))
            {
                Ok(())
            } else {
                Err(format!("{at}: {x} became {y}"))
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Err(format!("{at}: {} items became {}", x.len(), y.len()));
            }
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                let item = match flat.get("items") {
                    Some(Value::Array(t)) => t.get(i).cloned().unwrap_or(Value::Bool(true)),
                    Some(s) => s.clone(),
                    None => Value::Bool(true),
                };
                compare(g, &item, p, q, &format!("{at}/{i}"))?;
            }
            Ok(())
        }
        (Value::Object(x), Value::Object(y)) => {
            let props = properties(g, &flat);
            for (k, v) in x {
                let sub = props.get(k).cloned().unwrap_or(Value::Bool(true));
                match y.get(k) {
                    Some(w) => compare(g, &sub, v, w, &format!("{at}/{k}"))?,
                    None if v.is_null() => {}
                    None if !props.contains_key(k) => {}
                    None => return Err(format!("{at}/{k}: dropped")),
                }
            }
            for (k, w) in y {
                if x.contains_key(k) {
                    continue;
                }
                let sub = props.get(k).map(|s| g.flat(s));
                let filled = sub.as_ref().is_some_and(|s| {
                    s.get("default") == Some(w)
                        || s.get("const") == Some(w)
                        || s.get("enum")
                            .and_then(Value::as_array)
                            .is_some_and(|e| e == std::slice::from_ref(w))
                });
                if !filled {
                    return Err(format!("{at}/{k}: appeared as {w}"));
                }
            }
            Ok(())
        }
        _ if a == b => Ok(()),
        (Value::String(x), Value::String(y))
            if formats_of(g, &flat)
                .iter()
                .any(|f| f == "date-time" || f == "time")
                && canonical_time(x) == canonical_time(y) =>
        {
            Ok(())
        }
        _ => Err(format!("{at}: {a} became {b}")),
    }
}

/// Whether `value` conforms to a union's `branch` (a schema inside `doc`),
/// by the oracle. Validators are built once per document and branch.
fn conforms_to_branch(doc: &Value, branch: &Value, value: &Value) -> bool {
    thread_local! {
        static BRANCHES: std::cell::RefCell<BTreeMap<(usize, String), Option<jsonschema::Validator>>> =
            const { std::cell::RefCell::new(BTreeMap::new()) };
    }
    let key = (std::ptr::from_ref(doc) as usize, branch.to_string());
    BRANCHES.with(|cache| {
        let mut cache = cache.borrow_mut();
        let v = cache.entry(key).or_insert_with(|| {
            let mut root = doc.clone();
            root.as_object_mut()?
                .insert("x-fidelity-branch".into(), branch.clone());
            validator(&root, "/x-fidelity-branch")
        });
        v.as_ref().is_some_and(|v| v.is_valid(value))
    })
}

/// The formats a schema or any of its `anyOf`/`oneOf` branches names.
fn formats_of(g: &Gen<'_>, flat: &Value) -> Vec<String> {
    let mut out: Vec<String> = flat
        .get("format")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .into_iter()
        .collect();
    for key in ["anyOf", "oneOf"] {
        for branch in flat
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let b = g.flat(branch);
            out.extend(b.get("format").and_then(Value::as_str).map(str::to_owned));
        }
    }
    out
}

/// A date-time or time as its instant is written canonically: upper case,
/// no trailing zeros in the fraction, `Z` for a zero offset.
fn canonical_time(s: &str) -> String {
    let mut t = s.to_ascii_uppercase();
    // `-00:00` (RFC 3339: UTC, local offset unknown) is the same instant.
    if t.ends_with("+00:00") || t.ends_with("-00:00") {
        t.truncate(t.len() - 6);
        t.push('Z');
    }
    if let Some(dot) = t.find('.') {
        let end = t[dot + 1..]
            .find(|c: char| !c.is_ascii_digit())
            .map_or(t.len(), |i| dot + 1 + i);
        let digits = t[dot + 1..end].trim_end_matches('0').to_owned();
        let rest = t[end..].to_owned();
        t.truncate(dot);
        if !digits.is_empty() {
            t.push('.');
            t.push_str(&digits);
        }
        t.push_str(&rest);
    }
    t
}

/// Every property schema an object schema may mean (its own, and those of
/// its `oneOf`/`anyOf` branches).
fn properties(g: &Gen<'_>, flat: &Value) -> BTreeMap<String, Value> {
    properties_at(g, flat, 0)
}

fn properties_at(g: &Gen<'_>, flat: &Value, depth: u32) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    if depth > 6 {
        return out;
    }
    for (k, v) in flat
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        out.insert(k.clone(), v.clone());
    }
    for key in ["oneOf", "anyOf"] {
        for branch in flat
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let b = g.flat(branch);
            for (k, v) in properties_at(g, &b, depth + 1) {
                out.entry(k).or_insert(v);
            }
        }
    }
    out
}
