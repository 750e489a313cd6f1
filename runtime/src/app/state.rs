//! Shared state for code-first handlers, the axum way: given once with
//! [`Router::state`](super::Router::state) or
//! [`App::state`](super::App::state), taken by any handler as a
//! [`State<T>`] argument (a clone per message: share through an `Arc` or a
//! pool handle, as axum users do).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use super::Context;
use super::typed::{FromMessage, RouteDoc};
use crate::address::Template;
use crate::envelope::Envelope;
use crate::export::SchemaComponents;

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

/// A state value a code-first handler takes by argument, given to the
/// router or the app with `.state(value)`:
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use faststream::{HandlerError, Router, State};
///
/// #[derive(Clone, Default)]
/// struct Stock(Arc<AtomicU64>);
///
/// async fn restock(units: u64, State(stock): State<Stock>) -> Result<(), HandlerError> {
///     stock.0.fetch_add(units, Ordering::Relaxed);
///     Ok(())
/// }
///
/// let router = Router::new().state(Stock::default()).subscriber("restock", restock);
/// ```
///
/// A route whose handler takes a `State<T>` that neither its router nor
/// the app was given does not start: [`App::start`](super::App::start)
/// fails with [`AppError::MissingState`](super::AppError::MissingState).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct State<T>(pub T);

impl<T: Clone + Send + Sync + 'static> FromMessage for State<T> {
    fn from_message(
        _: &Template,
        _: &Envelope,
        context: &mut Option<Context>,
    ) -> Result<Self, String> {
        context
            .as_ref()
            .and_then(Context::state::<T>)
            .cloned()
            .map(State)
            .ok_or_else(|| format!("no state of type {}", std::any::type_name::<T>()))
    }

    fn document(doc: &mut RouteDoc, _: &mut SchemaComponents) {
        doc.states
            .push((TypeId::of::<T>(), std::any::type_name::<T>()));
    }
}
