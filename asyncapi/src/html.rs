//! One self-contained HTML page of an AsyncAPI 3.x document: info,
//! servers, every channel with its parameters and bindings, every
//! operation (action, channel, reply), every message with its headers and
//! payload as nested tables with their constraints and examples. No CDN,
//! no external font, script or style: the page reads offline and without
//! JavaScript; with it, a search box filters the sections.
//!
//! `faststream-gen docs` writes it for a spec; the runtime renders the
//! page of its own export (`AsyncApiDocument::to_html`).

use std::fmt::Write as _;

use serde_json::{Map, Value};

/// Text made safe for HTML element content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// An id for an anchor from a kind and a key.
fn anchor(kind: &str, key: &str) -> String {
    let mut out = format!("{kind}-");
    for c in key.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            out.push(c);
        } else {
            let _ = write!(out, "_{:x}", c as u32);
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d2330;background:#fafbfc}
header{background:#1d2330;color:#fff;padding:1.2em 2em}header h1{margin:0 0 .2em}
main{padding:1em 2em;max-width:70em}section{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:.8em 1.2em;margin:.8em 0}
h2{margin-top:1.6em;border-bottom:2px solid #dde1e6}h3{margin:.2em 0}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em}
pre{background:#f3f5f7;padding:.6em;overflow:auto;border-radius:4px}table{border-collapse:collapse;width:100%;margin:.4em 0}
td,th{border:1px solid #e3e6ea;padding:.25em .5em;text-align:left;vertical-align:top}th{background:#f3f5f7}
.badge{display:inline-block;padding:.1em .5em;border-radius:3px;font-size:.85em;font-weight:600;color:#fff}
.send{background:#2f7d32}.receive{background:#1565c0}.req{color:#b71c1c;font-weight:600}.muted{color:#667}
#search{font-size:1em;padding:.4em .6em;width:100%;max-width:30em;margin:.6em 0;border:1px solid #bbb;border-radius:4px}
nav a{margin-right:1em}";

/// The search: filters the sections by their text; `?q=` in the page's
/// address fills it in (a link to a search).
const SCRIPT: &str = "(function(){var box=document.getElementById('search');if(!box)return;box.hidden=false;
function apply(){var q=box.value.toLowerCase();
document.querySelectorAll('section[data-search]').forEach(function(s){
s.style.display=(!q||s.getAttribute('data-search').indexOf(q)>=0||s.textContent.toLowerCase().indexOf(q)>=0)?'':'none';});}
box.addEventListener('input',apply);var q=new URLSearchParams(location.search).get('q');if(q){box.value=q;apply();}})();";

struct Page<'d> {
    doc: &'d Value,
    out: String,
}

impl Page<'_> {
    fn resolve<'v>(&'v self, v: &'v Value) -> &'v Value {
        crate::pointer::follow_refs(v, |p| self.doc.pointer(p))
    }

    /// The name the last `$ref` of a chain gives (a channel's message that
    /// refers to a component is named after the component).
    fn final_ref_name(&self, v: &Value) -> Option<String> {
        let mut name = Self::ref_name(v);
        let mut cur = v;
        for _ in 0..32 {
            let Some(next) = cur
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix('#'))
                .and_then(|p| self.doc.pointer(p))
            else {
                break;
            };
            if let Some(n) = Self::ref_name(next) {
                name = Some(n);
            }
            cur = next;
        }
        name
    }

    /// The name a `$ref` gives (its last segment), if `v` is one.
    fn ref_name(v: &Value) -> Option<String> {
        v.get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.rsplit('/').next())
            .map(crate::pointer::unescape)
    }

    fn text(&mut self, v: Option<&Value>) {
        if let Some(s) = v.and_then(Value::as_str) {
            let _ = write!(self.out, "<p>{}</p>", esc(s));
        }
    }

    fn pre(&mut self, v: &Value) {
        let text = serde_json::to_string_pretty(v).unwrap_or_default();
        let _ = write!(self.out, "<pre>{}</pre>", esc(&text));
    }

    fn bindings(&mut self, v: Option<&Value>) {
        let Some(b) = v
            .map(|v| self.resolve(v))
            .filter(|b| b.as_object().is_some_and(|m| !m.is_empty()))
        else {
            return;
        };
        let b = b.clone();
        self.out.push_str("<details><summary>Bindings</summary>");
        self.pre(&b);
        self.out.push_str("</details>");
    }

    /// The constraints of a schema, as text.
    fn constraints(schema: &Value) -> String {
        let mut parts = Vec::new();
        for k in [
            "format",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
            "minLength",
            "maxLength",
            "pattern",
            "minItems",
            "maxItems",
            "uniqueItems",
            "minProperties",
            "maxProperties",
            "default",
        ] {
            if let Some(v) = schema.get(k) {
                parts.push(format!("{k}: {}", compact(v)));
            }
        }
        if let Some(e) = schema.get("enum") {
            parts.push(format!("one of {}", compact(e)));
        }
        if let Some(c) = schema.get("const") {
            parts.push(format!("always {}", compact(c)));
        }
        if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
            parts.push("no other properties".into());
        }
        parts.join("; ")
    }

    fn type_of(&self, schema: &Value) -> String {
        let s = self.resolve(schema);
        let mut t = match s.get("type") {
            Some(Value::String(t)) => t.clone(),
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" | "),
            _ if s.get("oneOf").is_some() => "one of".into(),
            _ if s.get("anyOf").is_some() => "any of".into(),
            _ if s.get("allOf").is_some() => "all of".into(),
            _ => "any".into(),
        };
        if t == "array"
            && let Some(items) = s.get("items")
        {
            t = format!("array of {}", self.type_of(items));
        }
        match Self::ref_name(schema) {
            Some(name) => format!("{t} ({name})"),
            None => t,
        }
    }

    /// A schema as a table of its properties (nested ones inside), or a
    /// line for a schema without properties.
    fn schema(&mut self, schema: &Value, depth: usize, seen: &mut Vec<String>) {
        let s = self.resolve(schema).clone();
        let name = Self::ref_name(schema);
        if let Some(n) = &name {
            if seen.contains(n) {
                let _ = write!(self.out, "<p class=\"muted\">{} (see above)</p>", esc(n));
                return;
            }
            seen.push(n.clone());
        }
        if depth > 12 {
            self.out.push_str("<p class=\"muted\">(nested deeper)</p>");
        } else {
            self.schema_body(&s, depth, seen);
        }
        if name.is_some() {
            seen.pop();
        }
    }

    fn schema_body(&mut self, s: &Value, depth: usize, seen: &mut Vec<String>) {
        let _ = write!(self.out, "<p><code>{}</code>", esc(&self.type_of(s)));
        let c = Self::constraints(s);
        if !c.is_empty() {
            let _ = write!(self.out, " <span class=\"muted\">{}</span>", esc(&c));
        }
        self.out.push_str("</p>");
        self.text(s.get("description"));
        for k in ["oneOf", "anyOf", "allOf"] {
            if let Some(list) = s.get(k).and_then(Value::as_array) {
                self.out.push_str("<ol>");
                for item in list {
                    self.out.push_str("<li>");
                    self.schema(item, depth + 1, seen);
                    self.out.push_str("</li>");
                }
                self.out.push_str("</ol>");
            }
        }
        let target = match s.get("items") {
            Some(items) if s.get("properties").is_none() => self.resolve(items).clone(),
            _ => s.clone(),
        };
        if let Some(props) = target
            .get("properties")
            .and_then(Value::as_object)
            .filter(|p| !p.is_empty())
        {
            let required: Vec<&str> = target
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            self.out.push_str("<table><tr><th>Property</th><th>Type</th><th>Constraints</th><th>Description</th></tr>");
            for (name, p) in props {
                let rp = self.resolve(p).clone();
                let req = if required.contains(&name.as_str()) {
                    " <span class=\"req\">required</span>"
                } else {
                    ""
                };
                let _ = write!(
                    self.out,
                    "<tr><td><code>{}</code>{req}</td><td><code>{}</code></td><td>{}</td><td>",
                    esc(name),
                    esc(&self.type_of(p)),
                    esc(&Self::constraints(&rp))
                );
                if let Some(d) = rp.get("description").and_then(Value::as_str) {
                    self.out.push_str(&esc(d));
                }
                let nested = rp.get("properties").is_some()
                    || rp
                        .get("items")
                        .is_some_and(|i| self.resolve(i).get("properties").is_some())
                    || ["oneOf", "anyOf", "allOf"]
                        .iter()
                        .any(|k| rp.get(*k).is_some());
                if nested {
                    self.out.push_str("<details><summary>fields</summary>");
                    self.schema(p, depth + 1, seen);
                    self.out.push_str("</details>");
                }
                self.out.push_str("</td></tr>");
            }
            self.out.push_str("</table>");
        }
        if let Some(ex) = s.get("examples") {
            self.out.push_str("<p class=\"muted\">Examples</p>");
            self.pre(ex);
        }
    }

    fn message(&mut self, key: &str, m: &Value) {
        let m = self.resolve(m).clone();
        let name = m.get("name").and_then(Value::as_str).unwrap_or(key);
        let _ = write!(
            self.out,
            "<section id=\"{}\" data-search=\"{}\"><h3>{}</h3>",
            anchor("message", key),
            esc(&format!("{} {}", name, key).to_lowercase()),
            esc(name)
        );
        if let Some(t) = m.get("title").and_then(Value::as_str) {
            let _ = write!(self.out, "<p><strong>{}</strong></p>", esc(t));
        }
        self.text(m.get("summary"));
        self.text(m.get("description"));
        let ct = m
            .get("contentType")
            .or_else(|| self.doc.get("defaultContentType"))
            .and_then(Value::as_str)
            .unwrap_or("application/json");
        let _ = write!(self.out, "<p>Content type <code>{}</code>", esc(ct));
        if let Some(loc) = m
            .get("correlationId")
            .map(|c| self.resolve(c))
            .and_then(|c| c.get("location"))
            .and_then(Value::as_str)
        {
            let _ = write!(self.out, "; correlation id at <code>{}</code>", esc(loc));
        }
        self.out.push_str("</p>");
        for part in ["headers", "payload"] {
            if let Some(p) = m.get(part) {
                let target = self.resolve(p).clone();
                let p = match (target.get("schemaFormat"), target.get("schema")) {
                    (Some(f), Some(s)) => {
                        let _ = write!(
                            self.out,
                            "<p class=\"muted\">schema format {}</p>",
                            esc(&compact(f))
                        );
                        s.clone()
                    }
                    _ => p.clone(),
                };
                let _ = write!(
                    self.out,
                    "<h4>{}</h4>",
                    if part == "headers" {
                        "Headers"
                    } else {
                        "Payload"
                    }
                );
                self.schema(&p, 0, &mut Vec::new());
            }
        }
        if let Some(ex) = m.get("examples") {
            self.out.push_str("<h4>Examples</h4>");
            self.pre(ex);
        }
        self.bindings(m.get("bindings"));
        self.out.push_str("</section>");
    }
}

/// A value as short JSON text.
fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The page of a 3.x document (as JSON).
#[allow(clippy::too_many_lines)]
pub fn render(doc: &Value) -> String {
    let mut page = Page {
        doc,
        out: String::new(),
    };
    let empty = Map::new();
    let info = doc.get("info").cloned().unwrap_or(Value::Null);
    let title = info
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or("AsyncAPI");
    let version = info.get("version").and_then(Value::as_str).unwrap_or("");
    let _ = write!(
        page.out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} {}</title><style>{STYLE}</style></head><body>\
         <header><h1>{}</h1><div>version {} · AsyncAPI {}</div></header><main>",
        esc(title),
        esc(version),
        esc(title),
        esc(version),
        esc(doc.get("asyncapi").and_then(Value::as_str).unwrap_or(""))
    );
    page.text(info.get("description"));
    page.out.push_str(
        "<input id=\"search\" type=\"search\" placeholder=\"Search operations, channels, messages…\" aria-label=\"Search\" hidden>\
         <nav><a href=\"#servers\">Servers</a><a href=\"#operations\">Operations</a><a href=\"#channels\">Channels</a><a href=\"#messages\">Messages</a></nav>",
    );
    // Servers.
    page.out.push_str("<h2 id=\"servers\">Servers</h2>");
    let servers = doc
        .get("servers")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    if servers.is_empty() {
        page.out.push_str("<p class=\"muted\">None named.</p>");
    }
    for (name, s) in servers {
        let s = page.resolve(s).clone();
        let _ = write!(
            page.out,
            "<section data-search=\"{}\"><h3>{}</h3><p><code>{}://{}{}</code> {}</p>",
            esc(&name.to_lowercase()),
            esc(name),
            esc(s.get("protocol").and_then(Value::as_str).unwrap_or("")),
            esc(s.get("host").and_then(Value::as_str).unwrap_or("")),
            esc(s.get("pathname").and_then(Value::as_str).unwrap_or("")),
            esc(s
                .get("protocolVersion")
                .and_then(Value::as_str)
                .unwrap_or(""))
        );
        page.text(s.get("description"));
        page.bindings(s.get("bindings"));
        page.out.push_str("</section>");
    }
    // Operations.
    page.out.push_str("<h2 id=\"operations\">Operations</h2>");
    let operations = doc
        .get("operations")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (key, op) in operations {
        let op = page.resolve(op).clone();
        let action = op.get("action").and_then(Value::as_str).unwrap_or("");
        let channel = page.resolve(&op["channel"]).clone();
        let channel_key = Page::ref_name(&op["channel"]).unwrap_or_default();
        let address = channel
            .get("address")
            .and_then(Value::as_str)
            .unwrap_or("(dynamic)");
        let _ = write!(
            page.out,
            "<section id=\"{}\" data-search=\"{}\"><h3><span class=\"badge {}\">{}</span> {}</h3>\
             <p>Channel <a href=\"#{}\"><code>{}</code></a></p>",
            anchor("operation", key),
            esc(&format!("{key} {action} {address}").to_lowercase()),
            if action == "send" { "send" } else { "receive" },
            esc(action),
            esc(key),
            anchor("channel", &channel_key),
            esc(address)
        );
        page.text(op.get("summary"));
        page.text(op.get("description"));
        let messages: Vec<String> = match op.get("messages").and_then(Value::as_array) {
            Some(refs) => refs.iter().filter_map(|r| page.final_ref_name(r)).collect(),
            None => channel
                .get("messages")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(k, m)| page.final_ref_name(m).unwrap_or_else(|| k.clone()))
                .collect(),
        };
        if !messages.is_empty() {
            page.out.push_str("<p>Messages: ");
            for (i, m) in messages.iter().enumerate() {
                let _ = write!(
                    page.out,
                    "{}<a href=\"#{}\">{}</a>",
                    if i > 0 { ", " } else { "" },
                    anchor("message", m),
                    esc(m)
                );
            }
            page.out.push_str("</p>");
        }
        if let Some(reply) = op.get("reply").map(|r| page.resolve(r).clone()) {
            let to = reply
                .get("address")
                .map(|a| page.resolve(a))
                .and_then(|a| a.get("location"))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| {
                    reply
                        .get("channel")
                        .map(|c| page.resolve(c))
                        .and_then(|c| c.get("address"))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| "the requester's reply address".into());
            let replies: Vec<String> = reply
                .get("messages")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| page.final_ref_name(r))
                .collect();
            let _ = write!(
                page.out,
                "<p>Replies to <code>{}</code>{}{}</p>",
                esc(&to),
                if replies.is_empty() { "" } else { " with " },
                replies
                    .iter()
                    .map(|m| format!("<a href=\"#{}\">{}</a>", anchor("message", m), esc(m)))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        page.bindings(op.get("bindings"));
        page.out.push_str("</section>");
    }
    // Channels.
    page.out.push_str("<h2 id=\"channels\">Channels</h2>");
    let channels = doc
        .get("channels")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (key, ch) in channels {
        let ch = page.resolve(ch).clone();
        let address = ch
            .get("address")
            .and_then(Value::as_str)
            .unwrap_or("(dynamic)");
        let _ = write!(
            page.out,
            "<section id=\"{}\" data-search=\"{}\"><h3>{}</h3><p>Address <code>{}</code></p>",
            anchor("channel", key),
            esc(&format!("{key} {address}").to_lowercase()),
            esc(key),
            esc(address)
        );
        page.text(ch.get("description"));
        if let Some(params) = ch
            .get("parameters")
            .and_then(Value::as_object)
            .filter(|p| !p.is_empty())
        {
            page.out
                .push_str("<table><tr><th>Parameter</th><th>Values</th><th>Description</th></tr>");
            for (name, p) in params {
                let p = page.resolve(p).clone();
                let mut values = Vec::new();
                if let Some(e) = p.get("enum") {
                    values.push(format!("one of {}", compact(e)));
                }
                if let Some(d) = p.get("default") {
                    values.push(format!("default {}", compact(d)));
                }
                if let Some(l) = p.get("location") {
                    values.push(format!("from {}", compact(l)));
                }
                let _ = write!(
                    page.out,
                    "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                    esc(name),
                    esc(&values.join("; ")),
                    esc(p.get("description").and_then(Value::as_str).unwrap_or(""))
                );
            }
            page.out.push_str("</table>");
        }
        page.bindings(ch.get("bindings"));
        page.out.push_str("</section>");
    }
    // Messages: those of the components, then those defined in channels.
    page.out.push_str("<h2 id=\"messages\">Messages</h2>");
    let mut shown = Vec::new();
    for (key, m) in doc
        .pointer("/components/messages")
        .and_then(Value::as_object)
        .unwrap_or(&empty)
    {
        shown.push(key.clone());
        page.message(key, m);
    }
    for ch in channels.values() {
        let ch = page.resolve(ch).clone();
        for (key, m) in ch
            .get("messages")
            .and_then(Value::as_object)
            .unwrap_or(&empty)
        {
            let name = Page::ref_name(m).unwrap_or_else(|| key.clone());
            if shown.contains(&name) {
                continue;
            }
            shown.push(name.clone());
            page.message(&name, m);
        }
    }
    let _ = writeln!(page.out, "</main><script>{SCRIPT}</script></body></html>");
    page.out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_page_names_everything_and_escapes_text() {
        let doc = json!({
            "asyncapi": "3.0.0",
            "info": {"title": "Shop <b>", "version": "1"},
            "channels": {"orders": {"address": "orders.{id}", "parameters": {"id": {"enum": ["a"]}},
                "messages": {"order": {"$ref": "#/components/messages/Order"}}}},
            "operations": {"takeOrder": {"action": "receive", "channel": {"$ref": "#/channels/orders"}}},
            "components": {"messages": {"Order": {"payload": {"type": "object", "required": ["id"],
                "properties": {"id": {"type": "string", "maxLength": 9}}}}}}
        });
        let page = render(&doc);
        assert!(page.contains("Shop &lt;b&gt;") && !page.contains("<b>"));
        for needle in [
            "takeOrder",
            "orders.{id}",
            "id=\"message-Order\"",
            "maxLength: 9",
            "required",
            "one of [&quot;a&quot;]",
        ] {
            assert!(page.contains(needle), "{needle}");
        }
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "nothing from the network"
        );
    }
}
