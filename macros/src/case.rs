//! serde's `rename_all` rules, applied as serde applies them: a variant's
//! name is read as PascalCase, a field's as snake_case.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Lower,
    Upper,
    Pascal,
    Camel,
    Snake,
    ScreamingSnake,
    Kebab,
    ScreamingKebab,
}

impl Case {
    pub const NAMES: &'static str = "\"lowercase\", \"UPPERCASE\", \"PascalCase\", \"camelCase\", \"snake_case\", \"SCREAMING_SNAKE_CASE\", \"kebab-case\" or \"SCREAMING-KEBAB-CASE\"";

    pub fn parse(name: &str) -> Option<Case> {
        Some(match name {
            "lowercase" => Case::Lower,
            "UPPERCASE" => Case::Upper,
            "PascalCase" => Case::Pascal,
            "camelCase" => Case::Camel,
            "snake_case" => Case::Snake,
            "SCREAMING_SNAKE_CASE" => Case::ScreamingSnake,
            "kebab-case" => Case::Kebab,
            "SCREAMING-KEBAB-CASE" => Case::ScreamingKebab,
            _ => return None,
        })
    }

    /// A variant's name (written in PascalCase) under this rule.
    pub fn variant(self, name: &str) -> String {
        match self {
            Case::Pascal => name.to_owned(),
            Case::Lower => name.to_ascii_lowercase(),
            Case::Upper => name.to_ascii_uppercase(),
            Case::Camel => {
                let mut chars = name.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_lowercase().to_string() + chars.as_str()
                })
            }
            Case::Snake => {
                let mut out = String::with_capacity(name.len() + 4);
                for (i, c) in name.char_indices() {
                    if i > 0 && c.is_uppercase() {
                        out.push('_');
                    }
                    out.push(c.to_ascii_lowercase());
                }
                out
            }
            Case::ScreamingSnake => Case::Snake.variant(name).to_ascii_uppercase(),
            Case::Kebab => Case::Snake.variant(name).replace('_', "-"),
            Case::ScreamingKebab => Case::ScreamingSnake.variant(name).replace('_', "-"),
        }
    }

    /// A field's name (written in snake_case) under this rule.
    pub fn field(self, name: &str) -> String {
        match self {
            Case::Lower | Case::Snake => name.to_owned(),
            Case::Upper | Case::ScreamingSnake => name.to_ascii_uppercase(),
            Case::Pascal => {
                let mut out = String::with_capacity(name.len());
                let mut capitalize = true;
                for c in name.chars() {
                    if c == '_' {
                        capitalize = true;
                    } else if capitalize {
                        out.push(c.to_ascii_uppercase());
                        capitalize = false;
                    } else {
                        out.push(c);
                    }
                }
                out
            }
            Case::Camel => {
                let pascal = Case::Pascal.field(name);
                Case::Camel.variant(&pascal)
            }
            Case::Kebab => name.replace('_', "-"),
            Case::ScreamingKebab => name.to_ascii_uppercase().replace('_', "-"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Case;

    #[test]
    fn variants_and_fields_as_serde_renames_them() {
        let v = "VeryTasty";
        let cases = [
            (Case::Lower, "verytasty", "very_tasty"),
            (Case::Upper, "VERYTASTY", "VERY_TASTY"),
            (Case::Pascal, "VeryTasty", "VeryTasty"),
            (Case::Camel, "veryTasty", "veryTasty"),
            (Case::Snake, "very_tasty", "very_tasty"),
            (Case::ScreamingSnake, "VERY_TASTY", "VERY_TASTY"),
            (Case::Kebab, "very-tasty", "very-tasty"),
            (Case::ScreamingKebab, "VERY-TASTY", "VERY-TASTY"),
        ];
        for (case, variant, field) in cases {
            assert_eq!(case.variant(v), variant, "{case:?}");
            assert_eq!(case.field("very_tasty"), field, "{case:?}");
        }
        assert_eq!(Case::Camel.field("a"), "a");
        assert_eq!(Case::Snake.variant("A"), "a");
    }
}
