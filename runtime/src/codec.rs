//! Encoding and decoding message payloads.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::validate::{Validate, ValidationErrors};

/// Why a payload was refused. A refused message never reaches a handler.
#[derive(Debug)]
pub enum DecodeError {
    /// Not JSON, or JSON of the wrong shape (the message names the path).
    Json(serde_json::Error),
    /// Well-formed, but violates the schema's constraints.
    Invalid(ValidationErrors),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Json(e) => write!(f, "malformed payload: {e}"),
            DecodeError::Invalid(e) => write!(f, "payload violates the schema: {e}"),
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DecodeError::Json(e) => Some(e),
            DecodeError::Invalid(e) => Some(e),
        }
    }
}

/// Decodes a JSON payload and checks every schema constraint.
pub fn decode_json<T: DeserializeOwned + Validate>(bytes: &[u8]) -> Result<T, DecodeError> {
    let value: T = serde_json::from_slice(bytes).map_err(DecodeError::Json)?;
    value.validate().map_err(DecodeError::Invalid)?;
    Ok(value)
}

/// Encodes a payload as JSON.
pub fn encode_json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(value)
}
