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

    /// What a router's routes see: the router's own values over the
    /// app's (a type given to both: the router's). Shares the app's
    /// values when the router has none of its own.
    pub(crate) fn layered(app: &Arc<States>, router: &States) -> Arc<States> {
        if router.0.is_empty() {
            return app.clone();
        }
        let mut both = (**app).clone();
        both.0.extend(router.0.iter().map(|(k, v)| (*k, v.clone())));
        Arc::new(both)
    }
}

impl fmt::Debug for States {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.values().map(|(_, name)| name))
            .finish()
    }
}
