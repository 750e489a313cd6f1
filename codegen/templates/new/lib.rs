//! {{ name }}: the service of `asyncapi/{{ spec_file }}` ({{ title }}).
{% if build_rs %}
/// Generated at build time from `asyncapi/{{ spec_file }}`.
pub mod {{ module }} {
    faststream::include_generated!("{{ module }}");
}
{% else %}
/// Generated from `asyncapi/{{ spec_file }}`: regenerate with
/// `faststream-gen generate asyncapi/{{ spec_file }} -o src/{{ module }}.rs`.
#[rustfmt::skip]
pub mod {{ module }};
{% endif %}
pub mod handler;
