//! The arguments several commands share, and the values they take.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use faststream_gen::LoadOptions;
use faststream_gen::Settings;
use faststream_gen::settings::{DateTimeRepr, MapType, Side, UnknownFields};

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DiffFormat {
    Text,
    Json,
    Markdown,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ShellArg {
    Bash,
    Zsh,
    Fish,
}

#[derive(Args, Debug)]
pub(crate) struct LoadArgs {
    /// Folder every referenced file must be inside (default: the project
    /// holding the document: the nearest folder with `.git` or `Cargo.toml`).
    #[arg(long, value_name = "DIR")]
    ref_root: Option<PathBuf>,
    /// Resolve `$ref`s starting with URL from files in DIR (never fetched).
    #[arg(long, value_name = "URL=DIR", value_parser = parse_ref_map)]
    ref_map: Vec<(String, PathBuf)>,
}

impl LoadArgs {
    pub(crate) fn options(&self) -> LoadOptions {
        LoadOptions {
            ref_root: self.ref_root.clone(),
            ref_map: self.ref_map.clone(),
            ..LoadOptions::default()
        }
    }
}

fn parse_ref_map(s: &str) -> Result<(String, PathBuf), String> {
    let (url, dir) = s
        .split_once('=')
        .ok_or_else(|| format!("expected URL=DIR, got `{s}`"))?;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("`{url}` is not an http(s) URL prefix"));
    }
    Ok((url.to_owned(), PathBuf::from(dir)))
}

#[derive(Args, Debug)]
pub(crate) struct SettingsArgs {
    /// How date-time, date and time strings are typed.
    #[arg(long, value_enum, default_value_t = DateTimeArg::Chrono)]
    date_time: DateTimeArg,
    /// What happens to fields a schema does not name (when
    /// additionalProperties allows them): ignored, as serde and pydantic
    /// do, or kept in an `additional_properties` map (pass-through services).
    #[arg(long, value_enum, default_value_t = UnknownFieldsArg::Ignore)]
    unknown_fields: UnknownFieldsArg,
    /// The map type of generated code.
    #[arg(long, value_enum, default_value_t = MapArg::Btree)]
    map: MapArg,
    /// Extra derive for every generated struct and enum (repeatable).
    #[arg(long, value_name = "TRAIT")]
    derive: Vec<String>,
    /// The path generated code reaches the runtime through.
    #[arg(long, value_name = "PATH", default_value = "::faststream::__codegen")]
    runtime_path: String,
    /// Only this channel (repeatable; default: all).
    #[arg(long, value_name = "KEY")]
    channel: Vec<String>,
    /// Only this operation (repeatable; default: all).
    #[arg(long, value_name = "KEY")]
    operation: Vec<String>,
    /// Which side to generate: the application, its client (the mirror), or both.
    #[arg(long, value_enum, default_value_t = SideArg::App)]
    side: SideArg,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SideArg {
    App,
    Client,
    Both,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DateTimeArg {
    Chrono,
    String,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UnknownFieldsArg {
    Keep,
    Ignore,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MapArg {
    Btree,
    Hash,
}

impl SettingsArgs {
    pub(crate) fn settings(&self) -> Settings {
        Settings {
            runtime_path: self.runtime_path.clone(),
            date_time: match self.date_time {
                DateTimeArg::Chrono => DateTimeRepr::Chrono,
                DateTimeArg::String => DateTimeRepr::String,
            },
            unknown_fields: match self.unknown_fields {
                UnknownFieldsArg::Keep => UnknownFields::Keep,
                UnknownFieldsArg::Ignore => UnknownFields::Ignore,
            },
            map_type: match self.map {
                MapArg::Btree => MapType::BTreeMap,
                MapArg::Hash => MapType::HashMap,
            },
            extra_derives: self.derive.clone(),
            operations: self.operation.clone(),
            channels: self.channel.clone(),
            side: match self.side {
                SideArg::App => Side::App,
                SideArg::Client => Side::Client,
                SideArg::Both => Side::Both,
            },
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DiagnosticFormat {
    Human,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OutputFormat {
    Yaml,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TargetVersion {
    #[value(name = "3.0")]
    V3_0,
    #[value(name = "3.1")]
    V3_1,
    #[value(name = "2.6")]
    V2_6,
}
