//! `faststream-gen new`: a service crate scaffolded from a spec, written
//! from the askama templates in `codegen/templates/new/` (a text
//! escaper: nothing is HTML-escaped). With path dependencies on a checkout
//! (`--local`) the crate builds and its tests pass as written (the crates
//! are not on the registry yet): the handler is stubbed (see [`crate::emit::handler_stub`]),
//! the generated module comes from a build script or is checked in (with a
//! test that fails while it is stale), and `main.rs` connects to the
//! chosen broker (the spec's server of that protocol when it has one, else
//! a URL from the environment; the in-memory broker reads messages from
//! standard input).

use std::path::{Path, PathBuf};

use askama::Template;

use crate::diagnostics::render_human;
use crate::settings::Settings;
use crate::{LoadOptions, check_file};

/// The broker a scaffolded service runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Broker {
    Memory,
    Nats,
    Redis,
    Amqp,
    Kafka,
    Mqtt,
}

impl Broker {
    fn name(self) -> &'static str {
        match self {
            Broker::Memory => "memory",
            Broker::Nats => "nats",
            Broker::Redis => "redis",
            Broker::Amqp => "amqp",
            Broker::Kafka => "kafka",
            Broker::Mqtt => "mqtt",
        }
    }
}

/// Where the generated module comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    /// A build script generates it into `OUT_DIR`.
    BuildScript,
    /// Generated now into `src/`, checked in, guarded by a test.
    CheckedIn,
}

/// What to scaffold.
#[derive(Debug, Clone)]
pub struct NewService {
    /// The crate's name (and folder).
    pub name: String,
    pub spec: PathBuf,
    pub broker: Broker,
    pub generation: Generation,
    /// A checkout of the faststream-gen workspace: path dependencies
    /// instead of registry ones (the crates are not published yet).
    pub local: Option<PathBuf>,
    pub load: LoadOptions,
}

#[derive(Debug)]
struct ServerChoice {
    name: String,
    constant: String,
    env: String,
}

#[derive(Template)]
// `.in`: a file named Cargo.toml would make the folder a package of its
// own, left out of this one when it is published.
#[template(path = "new/Cargo.toml.in", escape = "none")]
struct CargoToml<'a> {
    name: &'a str,
    module: &'a str,
    faststream_dep: &'a str,
    features: &'a str,
    codegen_dep: &'a str,
    build_rs: bool,
}

#[derive(Template)]
#[template(path = "new/build.rs", escape = "none")]
struct BuildRs<'a> {
    spec_file: &'a str,
}

#[derive(Template)]
#[template(path = "new/lib.rs", escape = "none")]
struct LibRs<'a> {
    name: &'a str,
    spec_file: &'a str,
    title: &'a str,
    module: &'a str,
    build_rs: bool,
}

#[derive(Template)]
#[template(path = "new/main.rs", escape = "none")]
struct MainRs<'a> {
    name: &'a str,
    crate_ident: &'a str,
    module: &'a str,
    broker: &'a str,
    broker_label: &'a str,
    server: Option<ServerChoice>,
    env_prefix: &'a str,
    url_var: &'a str,
    default_url: &'a str,
    connect_expr: &'a str,
}

#[derive(Template)]
#[template(path = "new/service_test.rs", escape = "none")]
struct ServiceTest<'a> {
    crate_ident: &'a str,
    module: &'a str,
    receives: usize,
    operations: usize,
}

#[derive(Template)]
#[template(path = "new/generated_test.rs", escape = "none")]
struct GeneratedTest<'a> {
    module: &'a str,
    spec_file: &'a str,
}

#[derive(Template)]
#[template(path = "new/README.md", escape = "none")]
struct Readme<'a> {
    name: &'a str,
    spec_file: &'a str,
    title: &'a str,
    module: &'a str,
    broker: &'a str,
    broker_label: &'a str,
    build_rs: bool,
    has_replies: bool,
}

/// Writes the service crate into `dir` (which must not exist, or be
/// empty); returns the files written, relative to `dir`.
pub fn scaffold(new: &NewService, dir: &Path) -> Result<Vec<PathBuf>, String> {
    let valid_name = !new.name.is_empty()
        && new
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && new.name.starts_with(|c: char| c.is_ascii_alphabetic());
    if !valid_name {
        return Err(format!(
            "`{}` is not a crate name (letters, digits, `-` and `_`, starting with a letter)",
            new.name
        ));
    }
    let (env_prefix, url_var, default_url, connect_expr, feature) = match new.broker {
        Broker::Memory => ("", "", "", "", None),
        Broker::Nats => (
            "NATS",
            "NATS_URL",
            "nats://127.0.0.1:4222",
            "std::sync::Arc::new(faststream::nats::NatsBroker::connect(&url).await?)",
            Some("nats"),
        ),
        Broker::Redis => (
            "REDIS",
            "REDIS_URL",
            "redis://127.0.0.1:6379",
            "std::sync::Arc::new(faststream::redis::RedisBroker::connect(&url).await?)",
            Some("redis"),
        ),
        Broker::Amqp => (
            "AMQP",
            "AMQP_URL",
            "amqp://guest:guest@127.0.0.1:5672/%2f",
            "std::sync::Arc::new(faststream::amqp::AmqpBroker::connect(&url, \"amq.topic\").await?)",
            Some("amqp"),
        ),
        Broker::Kafka => (
            "KAFKA",
            "KAFKA_URL",
            "kafka://127.0.0.1:9092",
            "std::sync::Arc::new(faststream::kafka::KafkaBroker::connect(&url).await?)",
            Some("kafka"),
        ),
        Broker::Mqtt => (
            "MQTT",
            "MQTT_URL",
            "mqtt://127.0.0.1:1883",
            "std::sync::Arc::new(faststream::mqtt::MqttBroker::connect(&url).await?)",
            Some("mqtt"),
        ),
    };
    if dir
        .read_dir()
        .is_ok_and(|mut entries| entries.next().is_some())
    {
        return Err(format!("`{}` exists and is not empty", dir.display()));
    }
    let checked = check_file(&new.spec, &new.load);
    if checked.has_errors() {
        return Err(format!(
            "`{}` has errors; nothing was written\n\n{}",
            new.spec.display(),
            render_human(&checked.diagnostics, &checked.loaded.sources)
        ));
    }
    let (Some(document), Some(bundled)) =
        (checked.loaded.document.as_ref(), checked.bundled_value())
    else {
        return Err(format!("`{}` could not be loaded", new.spec.display()));
    };
    let stem = new
        .spec
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "asyncapi".into());
    let module = crate::ident::snake_ident(&stem);
    let spec_file = format!("{module}.yaml");
    let settings = Settings::default();
    let generated =
        crate::generate(document, &settings, &spec_file).map_err(|d| d.message.clone())?;
    let crate_ident = crate::ident::snake_ident(&new.name);
    let title = bundled
        .pointer("/info/title")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("an AsyncAPI document")
        .to_owned();
    let protocols: &[&str] = match new.broker {
        Broker::Nats => &["nats", "tls"],
        Broker::Redis => &["redis", "rediss"],
        Broker::Amqp => &["amqp", "amqps"],
        Broker::Kafka => &["kafka", "kafka-secure"],
        Broker::Mqtt => &["mqtt", "mqtts", "secure-mqtt"],
        Broker::Memory => &[],
    };
    let server = generated
        .ir
        .servers
        .iter()
        .find(|s| protocols.contains(&s.protocol.to_ascii_lowercase().as_str()))
        .map(|s| ServerChoice {
            name: s.key.clone(),
            constant: s.const_name.clone(),
            env: s
                .key
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect(),
        });
    let (faststream_dep, codegen_dep) = match &new.local {
        Some(root) => {
            let root = std::path::absolute(root).map_err(|e| format!("{}: {e}", root.display()))?;
            (
                format!("path = {:?}", root.join("runtime").display().to_string()),
                format!("path = {:?}", root.join("codegen").display().to_string()),
            )
        }
        None => (
            format!("version = \"{}\"", env!("CARGO_PKG_VERSION")),
            format!("version = \"{}\"", env!("CARGO_PKG_VERSION")),
        ),
    };
    let build_rs = new.generation == Generation::BuildScript;
    let broker_label = match new.broker {
        Broker::Memory => "the in-memory broker",
        Broker::Nats => "NATS",
        Broker::Redis => "Redis",
        Broker::Amqp => "RabbitMQ",
        Broker::Kafka => "Kafka",
        Broker::Mqtt => "MQTT",
    };
    let mut files: Vec<(PathBuf, String)> = vec![
        (
            "Cargo.toml".into(),
            render(&CargoToml {
                name: &new.name,
                module: &module,
                faststream_dep: &faststream_dep,
                // A service on a real broker serves its metrics, health
                // and docs over HTTP (`FASTSTREAM_HTTP_ADDR`).
                features: &feature
                    .map(|f| format!("\"{f}\", \"http\""))
                    .unwrap_or_default(),
                codegen_dep: &codegen_dep,
                build_rs,
            })?,
        ),
        (
            format!("asyncapi/{spec_file}").into(),
            faststream_asyncapi::emit::value_to_yaml(&bundled),
        ),
        (
            "src/lib.rs".into(),
            render(&LibRs {
                name: &new.name,
                spec_file: &spec_file,
                title: &title,
                module: &module,
                build_rs,
            })?,
        ),
        (
            "src/main.rs".into(),
            render(&MainRs {
                name: &new.name,
                crate_ident: &crate_ident,
                module: &module,
                broker: new.broker.name(),
                broker_label,
                server,
                env_prefix,
                url_var,
                default_url,
                connect_expr,
            })?,
        ),
        (
            "src/handler.rs".into(),
            format!(
                "//! What the service does: one method per operation it receives.\n\n{}",
                crate::emit::handler_stub(
                    &generated.ir,
                    &generated.types,
                    &settings,
                    &format!("crate::{module}"),
                    "Service",
                    false,
                    true,
                )?
            ),
        ),
        (
            "tests/service.rs".into(),
            render(&ServiceTest {
                crate_ident: &crate_ident,
                module: &module,
                receives: generated.ir.operations.iter().filter(|o| o.receive).count(),
                operations: generated.ir.operations.len(),
            })?,
        ),
        (
            "README.md".into(),
            render(&Readme {
                name: &new.name,
                spec_file: &spec_file,
                title: &title,
                module: &module,
                broker: new.broker.name(),
                broker_label,
                build_rs,
                has_replies: generated
                    .ir
                    .operations
                    .iter()
                    .any(|o| o.receive && o.reply.is_some()),
            })?,
        ),
    ];
    if build_rs {
        files.push((
            "build.rs".into(),
            render(&BuildRs {
                spec_file: &spec_file,
            })?,
        ));
    } else {
        files.push((
            format!("src/{module}.rs").into(),
            generated.code.single.clone(),
        ));
        files.push((
            "tests/generated.rs".into(),
            render(&GeneratedTest {
                module: &module,
                spec_file: &spec_file,
            })?,
        ));
    }
    if let Some(root) = &new.local
        && let Ok(lock) = std::fs::read_to_string(root.join("Cargo.lock"))
    {
        // The workspace's resolution, so the crate builds offline with the
        // versions the workspace was tested with (cargo drops the rest).
        files.push(("Cargo.lock".into(), lock));
    }
    for (path, text) in &files {
        crate::write::write_atomic(&dir.join(path), text.as_bytes())
            .map_err(|e| format!("cannot write `{}`: {e}", dir.join(path).display()))?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

/// Renders a template as text, ending with one newline.
fn render(template: &impl Template) -> Result<String, String> {
    let mut text = template.render().map_err(|e| format!("template: {e}"))?;
    // Blank lines the template's tags leave, squeezed.
    while text.contains("\n\n\n") {
        text = text.replace("\n\n\n", "\n\n");
    }
    Ok(format!("{}\n", text.trim_end()))
}
