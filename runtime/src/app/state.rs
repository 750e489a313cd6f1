//! The state values of an application, one per type: given with
//! [`Router::state`](super::Router::state) or
//! [`App::state`](super::App::state), taken by code-first handlers as a
//! [`State<T>`](super::State) argument.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// The state values of an application, one per type.
#[derive(Clone, Default)]
pub(crate) struct States(HashMap<TypeId, (Arc<dyn Any + Send + Sync>, &'static str)>);

impl States {
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        self.0.insert(
            TypeId::of::<T>(),
            (Arc::new(value), std::any::type_name::<T>()),
        );
    }

    pub(crate) fn get<T: 'static>(&self) -> Option<&T> {
        self.0
            .get(&TypeId::of::<T>())
            .and_then(|(v, _)| v.downcast_ref())
    }

    pub(crate) fn contains(&self, id: TypeId) -> bool {
        self.0.contains_key(&id)
    }

    /// Adds `other`'s values (a type given in both: `other`'s wins).
    pub(crate) fn extend(&mut self, other: &States) {
        self.0.extend(other.0.iter().map(|(k, v)| (*k, v.clone())));
    }
}

impl fmt::Debug for States {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.values().map(|(_, name)| name))
            .finish()
    }
}
