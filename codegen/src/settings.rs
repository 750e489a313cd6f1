//! Generation settings: one struct, builder methods, choices as enums.
//! Every CLI flag maps onto a setting.

/// How `date-time`, `date` and `time` strings are typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateTimeRepr {
    /// `chrono::DateTime<FixedOffset>` (keeps the offset), `NaiveDate`,
    /// `NaiveTime`, re-exported by the runtime.
    #[default]
    Chrono,
    /// Plain strings.
    String,
}

/// What happens to object fields a schema does not name when
/// `additionalProperties` is absent or `true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnknownFields {
    /// Ignored on decode (and so not re-sent), as serde and pydantic do:
    /// struct literals name only the schema's fields.
    #[default]
    Ignore,
    /// Kept in a flattened `additional_properties` map, so pass-through
    /// services lose nothing.
    Keep,
}

/// The map type of generated code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MapType {
    /// `BTreeMap`: ordered, deterministic serialization.
    #[default]
    BTreeMap,
    /// `HashMap`.
    HashMap,
}

/// Which side of the conversation to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Side {
    /// The application the document describes: handles what it receives,
    /// publishes what it sends.
    #[default]
    App,
    /// Its peer: publishes what the application receives, handles what it
    /// sends.
    Client,
    /// Both, in one module (`Handler`/`Publisher`/`router` and
    /// `ClientHandler`/`ClientPublisher`/`client_router`).
    Both,
}

/// Everything that shapes generated code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The path generated code reaches the runtime through.
    pub runtime_path: String,
    pub date_time: DateTimeRepr,
    pub unknown_fields: UnknownFields,
    pub map_type: MapType,
    /// Extra derives added to every struct and enum (e.g. `Hash`).
    pub extra_derives: Vec<String>,
    /// Only these operations (by key); empty means all.
    pub operations: Vec<String>,
    /// Only these channels (by key); empty means all.
    pub channels: Vec<String>,
    pub side: Side,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            runtime_path: "::faststream::__codegen".into(),
            date_time: DateTimeRepr::default(),
            unknown_fields: UnknownFields::default(),
            map_type: MapType::default(),
            extra_derives: Vec::new(),
            operations: Vec::new(),
            channels: Vec::new(),
            side: Side::default(),
        }
    }
}

impl Settings {
    pub fn new() -> Settings {
        Settings::default()
    }

    pub fn runtime_path(mut self, path: impl Into<String>) -> Self {
        self.runtime_path = path.into();
        self
    }

    pub fn date_time(mut self, repr: DateTimeRepr) -> Self {
        self.date_time = repr;
        self
    }

    pub fn unknown_fields(mut self, policy: UnknownFields) -> Self {
        self.unknown_fields = policy;
        self
    }

    pub fn map_type(mut self, map: MapType) -> Self {
        self.map_type = map;
        self
    }

    pub fn derive(mut self, derive: impl Into<String>) -> Self {
        self.extra_derives.push(derive.into());
        self
    }

    pub fn only_operation(mut self, key: impl Into<String>) -> Self {
        self.operations.push(key.into());
        self
    }

    pub fn side(mut self, side: Side) -> Self {
        self.side = side;
        self
    }

    pub fn only_channel(mut self, key: impl Into<String>) -> Self {
        self.channels.push(key.into());
        self
    }
}
