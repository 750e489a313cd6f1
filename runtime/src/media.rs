//! Content types: how one carries a payload, and which one a delivery is
//! read by.

/// The media type of a content type, without parameters or spaces.
pub(crate) fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or("").trim()
}

/// How a content type carries a payload (compared without allocating:
/// this runs for every message).
pub(crate) fn is_json(content_type: &str) -> bool {
    // The common spelling, compared whole before anything is parsed.
    if content_type == JSON {
        return true;
    }
    let ct = media_type(content_type);
    ct.is_empty()
        || ct.eq_ignore_ascii_case("application/json")
        || ct.eq_ignore_ascii_case("json")
        || ct.len() >= 5 && ct.as_bytes()[ct.len() - 5..].eq_ignore_ascii_case(b"+json")
}

fn has_prefix(content_type: &str, prefix: &str) -> bool {
    let ct = media_type(content_type).as_bytes();
    ct.len() >= prefix.len() && ct[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

pub(crate) fn is_text(content_type: &str) -> bool {
    has_prefix(content_type, "text/")
}

pub(crate) fn is_bytes(content_type: &str) -> bool {
    has_prefix(content_type, "application/octet-stream")
}

/// The content type of JSON, what a route reads where nothing else is said.
pub(crate) const JSON: &str = "application/json";

/// The content type a delivery is read by: its own where it carries one,
/// else the route's (`declared`, the document's). A delivery's own that
/// is the route's, JSON, `text/*` or `application/octet-stream` is read
/// as it says; any other is refused, as FastStream refuses a content type
/// it does not know, rather than read as something it does not claim to
/// be.
pub fn reading_type<'a>(
    delivered: Option<&'a str>,
    declared: &'a str,
) -> Result<&'a str, crate::DecodeError> {
    let Some(delivered) = delivered.filter(|ct| !media_type(ct).is_empty()) else {
        return Ok(declared);
    };
    if media_type(delivered).eq_ignore_ascii_case(media_type(declared)) {
        return Ok(declared);
    }
    if is_json(delivered) || is_text(delivered) || is_bytes(delivered) {
        return Ok(delivered);
    }
    Err(crate::DecodeError::ContentType {
        delivered: delivered.to_owned(),
        declared: declared.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_is_read_by_its_own_content_type_where_it_can_be() {
        let json = "application/json";
        assert_eq!(reading_type(None, json).ok(), Some(json));
        assert_eq!(reading_type(Some(""), json).ok(), Some(json));
        assert_eq!(
            reading_type(Some("text/plain"), json).ok(),
            Some("text/plain")
        );
        assert_eq!(
            reading_type(Some("application/cloudevents+json; charset=utf-8"), json).ok(),
            Some("application/cloudevents+json; charset=utf-8")
        );
        // The document's own type, whatever it is, reads as it declares.
        let avro = "application/vnd.apache.avro";
        assert_eq!(
            reading_type(Some("Application/Vnd.Apache.Avro"), avro).ok(),
            Some(avro)
        );
        // One the route cannot read: refused, naming it.
        let e = reading_type(Some("application/xml"), json).unwrap_err();
        assert!(e.to_string().contains("`application/xml`"), "{e}");
        assert!(matches!(e, crate::DecodeError::ContentType { .. }), "{e:?}");
        assert!(reading_type(Some("application/xml"), avro).is_err());
    }
}
