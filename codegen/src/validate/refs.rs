//! References: every `$ref` resolves, and no chain points at itself.

use std::collections::HashSet;

use super::structure::Validator;
use crate::diagnostics::{Code, Diagnostic};
use crate::load::Node;

impl<'d> Validator<'d> {
    /// Every `$ref` resolves, and no chain of references loops.
    pub(super) fn check_refs(&mut self) {
        let refs = std::mem::take(&mut self.refs);
        for (at, reference, node) in &refs {
            let Some(ptr) = reference.strip_prefix('#') else {
                // External references were bundled; one left here failed
                // to load and was reported by the loader.
                continue;
            };
            if !(ptr.is_empty() || ptr.starts_with('/')) {
                self.push(
                    Diagnostic::error(
                        Code::RefUnresolved,
                        format!(
                            "`{reference}`: the fragment must be a JSON pointer starting with `/`"
                        ),
                    )
                    .at(at.clone(), node.span),
                );
                continue;
            }
            let mut seen = HashSet::new();
            seen.insert(ptr.to_owned());
            let mut cur = ptr.to_owned();
            loop {
                let Some(target) = self.doc.pointer(&cur) else {
                    let first = cur == ptr;
                    let msg = if first {
                        format!("`{reference}` does not resolve: nothing at `#{ptr}`")
                    } else {
                        format!("`{reference}` leads to `#{cur}`, which does not resolve")
                    };
                    self.push(
                        Diagnostic::error(Code::RefUnresolved, msg).at(at.clone(), node.span),
                    );
                    break;
                };
                match target.ref_target().and_then(|r| r.strip_prefix('#')) {
                    Some(next) => {
                        if !seen.insert(next.to_owned()) {
                            self.push(
                                Diagnostic::error(
                                    Code::RefCycle,
                                    format!("`{reference}` is a chain of references that points back at itself"),
                                )
                                .at(at.clone(), node.span),
                            );
                            break;
                        }
                        cur = next.to_owned();
                    }
                    None => break,
                }
            }
        }
        self.refs = refs;
    }

    /// Follows local references to the object they name.
    pub(super) fn deref(&self, node: &'d Node) -> (&'d Node, Option<String>) {
        let mut cur = node;
        let mut last = None;
        for _ in 0..64 {
            match cur.ref_target().and_then(|r| r.strip_prefix('#')) {
                Some(p) => match self.doc.pointer(p) {
                    Some(t) => {
                        last = Some(p.to_owned());
                        cur = t;
                    }
                    None => break,
                },
                None => break,
            }
        }
        (cur, last)
    }
}
