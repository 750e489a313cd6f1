//! The application: routes (one per `receive` operation) run by subscriber
//! loops on a broker, with ack policies, bounded retries, dead letters,
//! replies, a concurrency limit, graceful shutdown, lifespan hooks,
//! middleware and `tracing` spans.

pub mod application;
pub mod context;
mod dispatch;
pub(crate) mod generated;
pub mod handler;
mod health;
pub mod metrics;
pub mod middleware;
pub mod publisher;
pub mod router;
mod state;
pub mod typed;
mod worker;

pub use application::{App, AppError, RunningApp};
pub use context::Context;
pub use handler::{Failure, HandlerError, Reply};
pub use health::{Health, NotReady};
pub use metrics::{Metrics, MetricsSnapshot};
pub use middleware::{Middleware, Outcome, Processed, Published, Received, RouteInfo};
pub use publisher::{PublishError, Publisher, new_correlation_id};
pub use router::{
    AckPolicy, Batch, BatchResult, DEFAULT_MAX_BODY_SIZE, ErasedBatchHandler, ErasedHandler, Retry,
    Route, RouteDoc, Router, SubscriberOptions,
};
pub use typed::{
    BatchHandlerFn, Decoding, FromMessage, HandlerFn, Headers, IntoReply, Params, State, Subscriber,
};
