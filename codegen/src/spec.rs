//! The shape of AsyncAPI documents (2.x and 3.x) as data: which fields each
//! object has, of what type, which are required, where a `$ref` may stand
//! and which `components` section an object of each kind belongs to.
//!
//! One table drives both the structural validator and the bundler (which
//! needs to know what kind of object an external `$ref` points at).

/// A kind of object in an AsyncAPI document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Document,
    Info,
    Contact,
    License,
    Server,
    ServerVariable,
    Channel,
    Parameter,
    Operation,
    OperationTrait,
    OperationReply,
    OperationReplyAddress,
    Message,
    MessageTrait,
    MessageExample,
    CorrelationId,
    Components,
    Tag,
    ExternalDocs,
    SecurityScheme,
    OAuthFlows,
    OAuthFlow,
    ServerBindings,
    ChannelBindings,
    OperationBindings,
    MessageBindings,
    KafkaOperationBinding,
    KafkaMessageBinding,
    GooglePubSubChannelBinding,
    /// A JSON Schema (AsyncAPI schema object).
    Schema,
    /// A message payload: a schema, or (3.x) a multi-format schema.
    Payload,
    /// A schema in a non-JSON-Schema format (Avro, ...).
    ForeignSchema,
    /// 2.x: a message, or `oneOf` messages.
    MessageChoice,
    /// 2.x: a security requirement (`{scheme: [scopes]}`).
    SecurityRequirement,
    /// Anything: not checked further, `$ref` is plain data.
    Any,
}

/// The type expected at a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Str,
    Bool,
    Num,
    Int,
    Any,
    StrList,
    /// One of these strings.
    Enum(&'static [&'static str]),
    /// An object of this kind, given inline (a `$ref` is not allowed).
    Obj(Kind),
    /// An object of this kind, or a `$ref` to one.
    RefOr(Kind),
    /// A map from names to values of a shape.
    Map(&'static Shape),
    /// A list of values of a shape.
    List(&'static Shape),
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub shape: Shape,
    pub required: bool,
}

const fn f(name: &'static str, shape: Shape) -> Field {
    Field {
        name,
        shape,
        required: false,
    }
}

const fn req(name: &'static str, shape: Shape) -> Field {
    Field {
        name,
        shape,
        required: true,
    }
}

/// The description of one kind of object.
#[derive(Debug, Clone, Copy)]
pub struct ObjectSpec {
    pub fields: &'static [Field],
    /// Whether fields not listed are allowed (bindings, schemas).
    pub open: bool,
}

/// Which `components` section holds objects of a kind. A schema in another
/// format than JSON Schema (an Avro `.avsc`) has none: `components.schemas`
/// holds JSON Schema objects only (the official parser refuses an Avro
/// record there), so the bundler inlines it where it is used.
pub fn component_section(kind: Kind, v3: bool) -> Option<&'static str> {
    Some(match kind {
        Kind::ForeignSchema => return None,
        Kind::Schema | Kind::Payload => "schemas",
        Kind::Server => "servers",
        Kind::ServerVariable => "serverVariables",
        Kind::Channel => "channels",
        Kind::Operation if v3 => "operations",
        Kind::Message | Kind::MessageChoice => "messages",
        Kind::SecurityScheme => "securitySchemes",
        Kind::Parameter => "parameters",
        Kind::CorrelationId => "correlationIds",
        Kind::OperationReply if v3 => "replies",
        Kind::OperationReplyAddress if v3 => "replyAddresses",
        Kind::ExternalDocs if v3 => "externalDocs",
        Kind::Tag if v3 => "tags",
        Kind::OperationTrait => "operationTraits",
        Kind::MessageTrait => "messageTraits",
        Kind::ServerBindings => "serverBindings",
        Kind::ChannelBindings => "channelBindings",
        Kind::OperationBindings => "operationBindings",
        Kind::MessageBindings => "messageBindings",
        _ => return None,
    })
}

use Kind as K;
use Shape::*;

const STR_MAP: Shape = Map(&Str);
const TAGS3: Shape = List(&RefOr(K::Tag));
const TAGS2: Shape = List(&Obj(K::Tag));
const EXT_DOCS3: Shape = RefOr(K::ExternalDocs);
const EXT_DOCS2: Shape = Obj(K::ExternalDocs);

static INFO3: &[Field] = &[
    req("title", Str),
    req("version", Str),
    f("description", Str),
    f("termsOfService", Str),
    f("contact", Obj(K::Contact)),
    f("license", Obj(K::License)),
    f("tags", TAGS3),
    f("externalDocs", EXT_DOCS3),
];
static INFO2: &[Field] = &[
    req("title", Str),
    req("version", Str),
    f("description", Str),
    f("termsOfService", Str),
    f("contact", Obj(K::Contact)),
    f("license", Obj(K::License)),
];
static CONTACT: &[Field] = &[f("name", Str), f("url", Str), f("email", Str)];
static LICENSE: &[Field] = &[req("name", Str), f("url", Str)];
static TAG3: &[Field] = &[
    req("name", Str),
    f("description", Str),
    f("externalDocs", EXT_DOCS3),
];
static TAG2: &[Field] = &[
    req("name", Str),
    f("description", Str),
    f("externalDocs", EXT_DOCS2),
];
static EXTERNAL_DOCS: &[Field] = &[f("description", Str), req("url", Str)];
static SERVER_VARIABLE: &[Field] = &[
    f("enum", StrList),
    f("default", Str),
    f("description", Str),
    f("examples", StrList),
];
const SECURITY_TYPES: &[&str] = &[
    "userPassword",
    "apiKey",
    "X509",
    "symmetricEncryption",
    "asymmetricEncryption",
    "httpApiKey",
    "http",
    "oauth2",
    "openIdConnect",
    "plain",
    "scramSha256",
    "scramSha512",
    "gssapi",
];
static SECURITY_SCHEME2: &[Field] = &[
    req("type", Enum(SECURITY_TYPES)),
    f("description", Str),
    f("name", Str),
    f(
        "in",
        Enum(&["user", "password", "query", "header", "cookie"]),
    ),
    f("scheme", Str),
    f("bearerFormat", Str),
    f("flows", Obj(K::OAuthFlows)),
    f("openIdConnectUrl", Str),
];
/// 3.x adds the scopes a server or operation needs.
static SECURITY_SCHEME3: &[Field] = &[
    req("type", Enum(SECURITY_TYPES)),
    f("description", Str),
    f("name", Str),
    f(
        "in",
        Enum(&["user", "password", "query", "header", "cookie"]),
    ),
    f("scheme", Str),
    f("bearerFormat", Str),
    f("flows", Obj(K::OAuthFlows)),
    f("openIdConnectUrl", Str),
    f("scopes", StrList),
];
static OAUTH_FLOWS: &[Field] = &[
    f("implicit", Obj(K::OAuthFlow)),
    f("password", Obj(K::OAuthFlow)),
    f("clientCredentials", Obj(K::OAuthFlow)),
    f("authorizationCode", Obj(K::OAuthFlow)),
];
static OAUTH_FLOW3: &[Field] = &[
    f("authorizationUrl", Str),
    f("tokenUrl", Str),
    f("refreshUrl", Str),
    req("availableScopes", STR_MAP),
];
static OAUTH_FLOW2: &[Field] = &[
    f("authorizationUrl", Str),
    f("tokenUrl", Str),
    f("refreshUrl", Str),
    req("scopes", STR_MAP),
];
static CORRELATION_ID: &[Field] = &[f("description", Str), req("location", Str)];
static MESSAGE_EXAMPLE: &[Field] = &[
    f("headers", Map(&Any)),
    f("payload", Any),
    f("name", Str),
    f("summary", Str),
];
static SERVER_BINDINGS: &[Field] = &[];
static CHANNEL_BINDINGS: &[Field] = &[f("googlepubsub", Obj(K::GooglePubSubChannelBinding))];
static OPERATION_BINDINGS: &[Field] = &[f("kafka", Obj(K::KafkaOperationBinding))];
static MESSAGE_BINDINGS: &[Field] = &[f("kafka", Obj(K::KafkaMessageBinding))];
static KAFKA_OPERATION: &[Field] = &[
    f("groupId", RefOr(K::Schema)),
    f("clientId", RefOr(K::Schema)),
    f("bindingVersion", Str),
];
static KAFKA_MESSAGE: &[Field] = &[
    f("key", RefOr(K::Schema)),
    f("schemaIdLocation", Str),
    f("schemaIdPayloadEncoding", Str),
    f("schemaLookupStrategy", Str),
    f("bindingVersion", Str),
];
static GOOGLE_PUBSUB_CHANNEL: &[Field] = &[req("schemaSettings", Any)];

// ---- 3.x ----

static DOCUMENT3: &[Field] = &[
    req("asyncapi", Str),
    f("id", Str),
    req("info", Obj(K::Info)),
    f("servers", Map(&RefOr(K::Server))),
    f("defaultContentType", Str),
    f("channels", Map(&RefOr(K::Channel))),
    f("operations", Map(&RefOr(K::Operation))),
    f("components", Obj(K::Components)),
];
static SERVER3: &[Field] = &[
    req("host", Str),
    req("protocol", Str),
    f("protocolVersion", Str),
    f("pathname", Str),
    f("description", Str),
    f("title", Str),
    f("summary", Str),
    f("variables", Map(&RefOr(K::ServerVariable))),
    f("security", List(&RefOr(K::SecurityScheme))),
    f("tags", TAGS3),
    f("externalDocs", EXT_DOCS3),
    f("bindings", RefOr(K::ServerBindings)),
];
static CHANNEL3: &[Field] = &[
    f("address", Any),
    f("messages", Map(&RefOr(K::Message))),
    f("title", Str),
    f("summary", Str),
    f("description", Str),
    f("servers", List(&RefOr(K::Server))),
    f("parameters", Map(&RefOr(K::Parameter))),
    f("tags", TAGS3),
    f("externalDocs", EXT_DOCS3),
    f("bindings", RefOr(K::ChannelBindings)),
];
static PARAMETER3: &[Field] = &[
    f("enum", StrList),
    f("default", Str),
    f("description", Str),
    f("examples", StrList),
    f("location", Str),
];
static OPERATION3: &[Field] = &[
    req("action", Enum(&["send", "receive"])),
    req("channel", RefOr(K::Channel)),
    f("title", Str),
    f("summary", Str),
    f("description", Str),
    f("security", List(&RefOr(K::SecurityScheme))),
    f("tags", TAGS3),
    f("externalDocs", EXT_DOCS3),
    f("bindings", RefOr(K::OperationBindings)),
    f("traits", List(&RefOr(K::OperationTrait))),
    f("messages", List(&RefOr(K::Message))),
    f("reply", RefOr(K::OperationReply)),
];
static OPERATION_TRAIT3: &[Field] = &[
    f("title", Str),
    f("summary", Str),
    f("description", Str),
    f("security", List(&RefOr(K::SecurityScheme))),
    f("tags", TAGS3),
    f("externalDocs", EXT_DOCS3),
    f("bindings", RefOr(K::OperationBindings)),
];
static OPERATION_REPLY: &[Field] = &[
    f("address", RefOr(K::OperationReplyAddress)),
    f("channel", RefOr(K::Channel)),
    f("messages", List(&RefOr(K::Message))),
];
static OPERATION_REPLY_ADDRESS: &[Field] = &[f("description", Str), req("location", Str)];
static MESSAGE3: &[Field] = &[
    f("headers", RefOr(K::Payload)),
    f("payload", RefOr(K::Payload)),
    f("correlationId", RefOr(K::CorrelationId)),
    f("contentType", Str),
    f("name", Str),
    f("title", Str),
    f("summary", Str),
    f("description", Str),
    f("tags", TAGS3),
    f("externalDocs", EXT_DOCS3),
    f("bindings", RefOr(K::MessageBindings)),
    f("examples", List(&Obj(K::MessageExample))),
    f("traits", List(&RefOr(K::MessageTrait))),
];
static MESSAGE_TRAIT3: &[Field] = &[
    f("headers", RefOr(K::Payload)),
    f("correlationId", RefOr(K::CorrelationId)),
    f("contentType", Str),
    f("name", Str),
    f("title", Str),
    f("summary", Str),
    f("description", Str),
    f("tags", TAGS3),
    f("externalDocs", EXT_DOCS3),
    f("bindings", RefOr(K::MessageBindings)),
    f("examples", List(&Obj(K::MessageExample))),
];
static COMPONENTS3: &[Field] = &[
    f("schemas", Map(&RefOr(K::Payload))),
    f("servers", Map(&RefOr(K::Server))),
    f("channels", Map(&RefOr(K::Channel))),
    f("operations", Map(&RefOr(K::Operation))),
    f("messages", Map(&RefOr(K::Message))),
    f("securitySchemes", Map(&RefOr(K::SecurityScheme))),
    f("serverVariables", Map(&RefOr(K::ServerVariable))),
    f("parameters", Map(&RefOr(K::Parameter))),
    f("correlationIds", Map(&RefOr(K::CorrelationId))),
    f("replies", Map(&RefOr(K::OperationReply))),
    f("replyAddresses", Map(&RefOr(K::OperationReplyAddress))),
    f("externalDocs", Map(&RefOr(K::ExternalDocs))),
    f("tags", Map(&RefOr(K::Tag))),
    f("operationTraits", Map(&RefOr(K::OperationTrait))),
    f("messageTraits", Map(&RefOr(K::MessageTrait))),
    f("serverBindings", Map(&RefOr(K::ServerBindings))),
    f("channelBindings", Map(&RefOr(K::ChannelBindings))),
    f("operationBindings", Map(&RefOr(K::OperationBindings))),
    f("messageBindings", Map(&RefOr(K::MessageBindings))),
];

// ---- 2.x ----

static DOCUMENT2: &[Field] = &[
    req("asyncapi", Str),
    f("id", Str),
    req("info", Obj(K::Info)),
    f("servers", Map(&RefOr(K::Server))),
    f("defaultContentType", Str),
    req("channels", Map(&RefOr(K::Channel))),
    f("components", Obj(K::Components)),
    f("tags", TAGS2),
    f("externalDocs", EXT_DOCS2),
];
static SERVER2: &[Field] = &[
    req("url", Str),
    req("protocol", Str),
    f("protocolVersion", Str),
    f("description", Str),
    f("variables", Map(&RefOr(K::ServerVariable))),
    f("security", List(&Obj(K::SecurityRequirement))),
    f("tags", TAGS2),
    f("bindings", RefOr(K::ServerBindings)),
];
static CHANNEL2: &[Field] = &[
    f("description", Str),
    f("servers", StrList),
    f("subscribe", Obj(K::Operation)),
    f("publish", Obj(K::Operation)),
    f("parameters", Map(&RefOr(K::Parameter))),
    f("bindings", RefOr(K::ChannelBindings)),
];
static PARAMETER2: &[Field] = &[
    f("description", Str),
    f("schema", RefOr(K::Schema)),
    f("location", Str),
];
static OPERATION2: &[Field] = &[
    f("operationId", Str),
    f("summary", Str),
    f("description", Str),
    f("security", List(&Obj(K::SecurityRequirement))),
    f("tags", TAGS2),
    f("externalDocs", EXT_DOCS2),
    f("bindings", RefOr(K::OperationBindings)),
    f("traits", List(&RefOr(K::OperationTrait))),
    f("message", RefOr(K::MessageChoice)),
];
static OPERATION_TRAIT2: &[Field] = &[
    f("operationId", Str),
    f("summary", Str),
    f("description", Str),
    f("security", List(&Obj(K::SecurityRequirement))),
    f("tags", TAGS2),
    f("externalDocs", EXT_DOCS2),
    f("bindings", RefOr(K::OperationBindings)),
];
static MESSAGE2: &[Field] = &[
    f("messageId", Str),
    f("headers", RefOr(K::Schema)),
    f("payload", Any),
    f("correlationId", RefOr(K::CorrelationId)),
    f("schemaFormat", Str),
    f("contentType", Str),
    f("name", Str),
    f("title", Str),
    f("summary", Str),
    f("description", Str),
    f("tags", TAGS2),
    f("externalDocs", EXT_DOCS2),
    f("bindings", RefOr(K::MessageBindings)),
    f("examples", List(&Obj(K::MessageExample))),
    f("traits", List(&RefOr(K::MessageTrait))),
];
static MESSAGE_TRAIT2: &[Field] = &[
    f("messageId", Str),
    f("headers", RefOr(K::Schema)),
    f("correlationId", RefOr(K::CorrelationId)),
    f("schemaFormat", Str),
    f("contentType", Str),
    f("name", Str),
    f("title", Str),
    f("summary", Str),
    f("description", Str),
    f("tags", TAGS2),
    f("externalDocs", EXT_DOCS2),
    f("bindings", RefOr(K::MessageBindings)),
    f("examples", List(&Obj(K::MessageExample))),
];
static COMPONENTS2: &[Field] = &[
    f("schemas", Map(&RefOr(K::Schema))),
    f("servers", Map(&RefOr(K::Server))),
    f("serverVariables", Map(&RefOr(K::ServerVariable))),
    f("channels", Map(&RefOr(K::Channel))),
    f("messages", Map(&RefOr(K::Message))),
    f("securitySchemes", Map(&RefOr(K::SecurityScheme))),
    f("parameters", Map(&RefOr(K::Parameter))),
    f("correlationIds", Map(&RefOr(K::CorrelationId))),
    f("operationTraits", Map(&RefOr(K::OperationTrait))),
    f("messageTraits", Map(&RefOr(K::MessageTrait))),
    f("serverBindings", Map(&RefOr(K::ServerBindings))),
    f("channelBindings", Map(&RefOr(K::ChannelBindings))),
    f("operationBindings", Map(&RefOr(K::OperationBindings))),
    f("messageBindings", Map(&RefOr(K::MessageBindings))),
];

/// The fields of an object kind, for a major version; `None` for kinds
/// checked by other means (schemas, payloads, `Any`).
pub fn object_spec(kind: Kind, v3: bool) -> Option<ObjectSpec> {
    let closed = |fields| {
        Some(ObjectSpec {
            fields,
            open: false,
        })
    };
    let open = |fields| Some(ObjectSpec { fields, open: true });
    match (kind, v3) {
        (K::Document, true) => closed(DOCUMENT3),
        (K::Document, false) => closed(DOCUMENT2),
        (K::Info, true) => closed(INFO3),
        (K::Info, false) => closed(INFO2),
        (K::Contact, _) => closed(CONTACT),
        (K::License, _) => closed(LICENSE),
        (K::Server, true) => closed(SERVER3),
        (K::Server, false) => closed(SERVER2),
        (K::ServerVariable, _) => closed(SERVER_VARIABLE),
        (K::Channel, true) => closed(CHANNEL3),
        (K::Channel, false) => closed(CHANNEL2),
        (K::Parameter, true) => closed(PARAMETER3),
        (K::Parameter, false) => closed(PARAMETER2),
        (K::Operation, true) => closed(OPERATION3),
        (K::Operation, false) => closed(OPERATION2),
        (K::OperationTrait, true) => closed(OPERATION_TRAIT3),
        (K::OperationTrait, false) => closed(OPERATION_TRAIT2),
        (K::OperationReply, _) => closed(OPERATION_REPLY),
        (K::OperationReplyAddress, _) => closed(OPERATION_REPLY_ADDRESS),
        (K::Message, true) => closed(MESSAGE3),
        (K::Message, false) => closed(MESSAGE2),
        (K::MessageTrait, true) => closed(MESSAGE_TRAIT3),
        (K::MessageTrait, false) => closed(MESSAGE_TRAIT2),
        (K::MessageExample, _) => closed(MESSAGE_EXAMPLE),
        (K::CorrelationId, _) => closed(CORRELATION_ID),
        (K::Components, true) => closed(COMPONENTS3),
        (K::Components, false) => closed(COMPONENTS2),
        (K::Tag, true) => closed(TAG3),
        (K::Tag, false) => closed(TAG2),
        (K::ExternalDocs, _) => closed(EXTERNAL_DOCS),
        (K::SecurityScheme, true) => closed(SECURITY_SCHEME3),
        (K::SecurityScheme, false) => closed(SECURITY_SCHEME2),
        (K::OAuthFlows, _) => closed(OAUTH_FLOWS),
        (K::OAuthFlow, true) => closed(OAUTH_FLOW3),
        (K::OAuthFlow, false) => closed(OAUTH_FLOW2),
        (K::ServerBindings, _) => open(SERVER_BINDINGS),
        // 2.x binding versions differ too much (kafka `clientId` was a
        // string); only 3.x bindings are checked field by field.
        (K::ChannelBindings, true) => open(CHANNEL_BINDINGS),
        (K::OperationBindings, true) => open(OPERATION_BINDINGS),
        (K::MessageBindings, true) => open(MESSAGE_BINDINGS),
        (K::ChannelBindings | K::OperationBindings | K::MessageBindings, false) => {
            open(SERVER_BINDINGS)
        }
        (K::KafkaOperationBinding, _) => open(KAFKA_OPERATION),
        (K::KafkaMessageBinding, _) => open(KAFKA_MESSAGE),
        (K::GooglePubSubChannelBinding, _) => open(GOOGLE_PUBSUB_CHANNEL),
        _ => None,
    }
}

/// JSON Schema keywords whose value is a schema.
pub const SCHEMA_KEYWORDS: &[&str] = &[
    "not",
    "additionalItems",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "unevaluatedProperties",
];
/// JSON Schema keywords whose value is a list of schemas.
pub const SCHEMA_LIST_KEYWORDS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
/// JSON Schema keywords whose value is a map of schemas.
pub const SCHEMA_MAP_KEYWORDS: &[&str] = &[
    "properties",
    "patternProperties",
    "definitions",
    "$defs",
    "dependentSchemas",
];

/// Whether a `schemaFormat` names the AsyncAPI schema or JSON Schema
/// (OpenAPI schema objects, Avro, ... are other formats).
pub fn is_json_schema_format(format: &str) -> bool {
    let f = format.to_ascii_lowercase();
    f.starts_with("application/vnd.aai.asyncapi")
        || f.starts_with("application/schema+json")
        || f.starts_with("application/schema+yaml")
}

/// Whether generation can read a `schemaFormat` as JSON Schema: the
/// AsyncAPI schema, JSON Schema, and OpenAPI 3.0 schema objects (a close
/// dialect).
pub fn is_schema_like_format(format: &str) -> bool {
    is_json_schema_format(format)
        || format
            .to_ascii_lowercase()
            .starts_with("application/vnd.oai.openapi")
}
