//! Objects shared by the 2.x and 3.x models.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Fields of an object that the typed model does not name: `x-*`
/// extensions, kept in document order.
pub type Extensions = IndexMap<String, Value>;

/// A JSON Schema (or, with a `schemaFormat`, another schema language such
/// as Avro), kept as a value: turning schemas into types is the generator's
/// job, not the model's.
pub type Schema = Value;

/// A `{"$ref": "..."}` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    #[serde(rename = "$ref")]
    pub reference: String,
}

impl Reference {
    /// A reference to a JSON pointer in the same document.
    pub fn local(pointer: &str) -> Reference {
        Reference {
            reference: format!("#{pointer}"),
        }
    }

    /// The JSON pointer of a local reference (`#/a/b` -> `/a/b`).
    pub fn local_pointer(&self) -> Option<&str> {
        self.reference.strip_prefix('#')
    }
}

/// Either a reference or the object itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RefOr<T> {
    Ref(Reference),
    Item(T),
}

impl<T> RefOr<T> {
    /// The object, when it is given inline.
    pub fn item(&self) -> Option<&T> {
        match self {
            RefOr::Item(item) => Some(item),
            RefOr::Ref(_) => None,
        }
    }

    /// The reference, when it is one.
    pub fn reference(&self) -> Option<&Reference> {
        match self {
            RefOr::Ref(r) => Some(r),
            RefOr::Item(_) => None,
        }
    }
}

/// General information about the API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Info {
    pub title: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms_of_service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<License>,
    /// 3.x only; 2.x keeps tags at the document root.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<RefOr<Tag>>,
    /// 3.x only; 2.x keeps external docs at the document root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_docs: Option<RefOr<ExternalDocs>>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct License {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tag {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_docs: Option<RefOr<ExternalDocs>>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExternalDocs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub url: String,
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A variable in a server's host or pathname (`{port}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerVariable {
    #[serde(default, rename = "enum", skip_serializing_if = "Option::is_none")]
    pub enum_values: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examples: Option<Vec<String>>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A security scheme. The scheme-specific fields (`name`, `in`, `scheme`,
/// `flows`, ...) are typed where the runtime reads them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityScheme {
    #[serde(rename = "type")]
    pub scheme_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flows: Option<IndexMap<String, OAuthFlow>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_id_connect_url: Option<String>,
    /// 3.x: the scopes an operation or server needs from this scheme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthFlow {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_url: Option<String>,
    /// 3.x: the scopes the flow offers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_scopes: Option<IndexMap<String, String>>,
    /// 2.x: the scopes the flow offers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<IndexMap<String, String>>,
    #[serde(flatten)]
    pub extensions: Extensions,
}
