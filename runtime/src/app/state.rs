//! The state values of an application, one per type: given with
//! [`Router::state`](super::Router::state) or
//! [`App::state`](super::App::state), taken by code-first handlers as a
//! [`State<T>`](super::State) argument.

use std::any::{Any, TypeId};
use std::fmt;
use std::sync::Arc;

/// The state values of an application, one per type. An app has a
/// handful: a list searched in order costs a handler less per message
/// than hashing its type into a map.
#[derive(Clone, Default)]
pub(crate) struct States(Vec<Entry>);

type Entry = (TypeId, Arc<dyn Any + Send + Sync>, &'static str);

impl States {
    /// Gives the value of type `T`, replacing one given before.
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        self.put((
            TypeId::of::<T>(),
            Arc::new(value),
            std::any::type_name::<T>(),
        ));
    }

    fn put(&mut self, entry: Entry) {
        match self.0.iter_mut().find(|(id, ..)| *id == entry.0) {
            Some(old) => *old = entry,
            None => self.0.push(entry),
        }
    }

    pub(crate) fn get<T: 'static>(&self) -> Option<&T> {
        let id = TypeId::of::<T>();
        self.0
            .iter()
            .find(|(t, ..)| *t == id)
            .and_then(|(_, v, _)| v.downcast_ref())
    }

    pub(crate) fn contains(&self, id: TypeId) -> bool {
        self.0.iter().any(|(t, ..)| *t == id)
    }

    /// What a router's routes see: the router's own values over the
    /// app's (a type given to both: the router's). Shares the app's
    /// values when the router has none of its own.
    pub(crate) fn layered(app: &Arc<States>, router: &States) -> Arc<States> {
        if router.0.is_empty() {
            return app.clone();
        }
        let mut both = (**app).clone();
        for entry in &router.0 {
            both.put(entry.clone());
        }
        Arc::new(both)
    }
}

impl fmt::Debug for States {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(.., name)| name))
            .finish()
    }
}
