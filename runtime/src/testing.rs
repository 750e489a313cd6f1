//! Testing in the spirit of FastStream's TestBroker: the real routes run
//! in-process on a private in-memory broker ([`TestApp::start`]), or on a
//! real one with the same test body ([`TestApp::live`], FastStream's
//! `with_real=True`). Tests publish (typed, through generated publishers),
//! wait for the handlers, and assert on what each subscriber was called
//! with ([`TestApp::subscriber`]: `assert_called_once_with(&order)`, the
//! typed [`Call`]s with headers, correlation id, reply and outcome) and on
//! what was published ([`TestApp::published`]). Failures surface in the
//! test: [`TestApp::shutdown`] reports them instead of swallowing them.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;
use serde::de::DeserializeOwned;

use crate::app::handler::panic_text;
use crate::app::{
    App, Context, ErasedBatchHandler, ErasedHandler, Failure, HandlerError, MetricsSnapshot,
    Middleware, Outcome, Publisher, Router, RunningApp,
};
use crate::broker::Broker;
use crate::envelope::Envelope;
use crate::memory::{DeadLetter, MemoryBroker};

/// An application running its routes for a test, on a private in-memory
/// broker or on a live one.
#[derive(Debug)]
pub struct TestApp {
    /// The in-memory broker; `None` when live.
    broker: Option<MemoryBroker>,
    running: RunningApp,
    log: Arc<Log>,
}

/// What the test saw: every handler call and every publish.
#[derive(Debug, Default)]
struct Log {
    calls: Mutex<CallLog>,
    published: Mutex<Vec<Envelope>>,
    /// The routes, by index: (operation, address as registered).
    routes: Vec<(String, String)>,
}

#[derive(Debug, Default)]
struct CallLog {
    /// In the order the calls began.
    records: Vec<Record>,
    /// The records of each delivery not yet settled, by its envelope's
    /// address (in-process retries are calls of the same delivery).
    unsettled: HashMap<usize, Vec<usize>>,
}

#[derive(Debug)]
struct Record {
    /// The route's index in [`Log::routes`].
    route: usize,
    envelope: Arc<Envelope>,
    /// `false` once the message turned out not to decode: the handler
    /// never ran, so it is not a call.
    called: bool,
    reply: Option<Envelope>,
    error: Option<String>,
    outcome: Option<Outcome>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn key(envelope: &Envelope) -> usize {
    std::ptr::from_ref(envelope) as usize
}

impl Log {
    /// Records a call as it begins; its result is filled in by index.
    fn begin(&self, route: usize, envelope: &Arc<Envelope>) -> usize {
        let mut log = lock(&self.calls);
        let index = log.records.len();
        log.records.push(Record {
            route,
            envelope: envelope.clone(),
            called: true,
            reply: None,
            error: None,
            outcome: None,
        });
        log.unsettled.entry(key(envelope)).or_default().push(index);
        index
    }

    fn finish(&self, index: usize, f: impl FnOnce(&mut Record)) {
        if let Some(r) = lock(&self.calls).records.get_mut(index) {
            f(r);
        }
    }
}

/// Records each settled delivery's outcome and every publish.
struct Recorder(Arc<Log>);

impl Middleware for Recorder {
    fn after_consume(&self, envelope: &Envelope, outcome: Outcome) {
        // Every call of this delivery ends as the delivery does.
        let mut log = lock(&self.0.calls);
        for i in log.unsettled.remove(&key(envelope)).unwrap_or_default() {
            log.records[i].outcome = Some(outcome);
        }
    }

    fn before_publish(&self, envelope: &mut Envelope) {
        lock(&self.0.published).push(envelope.clone());
    }
}

/// A route's handler that records each call it gets, as it begins (a
/// delivery that does not decode is not a call: the handler never ran),
/// and what came of it: the reply the app sends, the error, a panic.
fn recorded(log: &Arc<Log>, route: usize, handler: ErasedHandler) -> ErasedHandler {
    let log = log.clone();
    Arc::new(move |envelope: Arc<Envelope>, ctx: Context| {
        let (log, handler) = (log.clone(), handler.clone());
        Box::pin(async move {
            let index = log.begin(route, &envelope);
            let slot = ctx.reply_slot().cloned();
            let result = match AssertUnwindSafe(handler(envelope.clone(), ctx))
                .catch_unwind()
                .await
            {
                Ok(result) => result,
                Err(panic) => {
                    log.finish(index, |r| {
                        r.error = Some(HandlerError::panicked(panic_text(&*panic)).to_string())
                    });
                    std::panic::resume_unwind(panic);
                }
            };
            log.finish(index, |r| match &result {
                Err(Failure::Decode(_)) => r.called = false,
                Err(Failure::Handler(e)) => r.error = Some(e.to_string()),
                Ok(typed) => {
                    // What the app answers a request with: the typed
                    // reply, else the context's, else an empty body.
                    r.reply = typed
                        .clone()
                        .or_else(|| slot.and_then(|s| lock(&s).clone()))
                        .unwrap_or_default()
                        .answering(&envelope);
                }
            });
            result
        })
    })
}

/// A batch route's handler that records one call per message of each
/// batch (those that do not decode are not calls), each with the batch's
/// error.
fn recorded_batch(log: &Arc<Log>, route: usize, handler: ErasedBatchHandler) -> ErasedBatchHandler {
    let log = log.clone();
    Arc::new(move |envelopes: Vec<Arc<Envelope>>, publisher: Publisher| {
        let (log, handler) = (log.clone(), handler.clone());
        Box::pin(async move {
            let indices: Vec<usize> = envelopes.iter().map(|e| log.begin(route, e)).collect();
            let result = match AssertUnwindSafe(handler(envelopes, publisher))
                .catch_unwind()
                .await
            {
                Ok(result) => result,
                Err(panic) => {
                    let error = HandlerError::panicked(panic_text(&*panic)).to_string();
                    for &i in &indices {
                        log.finish(i, |r| r.error = Some(error.clone()));
                    }
                    std::panic::resume_unwind(panic);
                }
            };
            for &(i, _) in &result.undecodable {
                log.finish(indices[i], |r| r.called = false);
            }
            if let Some(Err(e)) = &result.handled {
                for &i in &indices {
                    log.finish(i, |r| {
                        if r.called {
                            r.error = Some(e.to_string());
                        }
                    });
                }
            }
            result
        })
    })
}

impl TestApp {
    /// Starts the routes of `router` on a private in-memory broker.
    pub async fn start(router: Router) -> TestApp {
        TestApp::start_with(router, |app| app).await
    }

    /// Starts the routes of `router` with an app configured by `configure`
    /// (middleware, hooks, state, shutdown timeout).
    pub async fn start_with(router: Router, configure: impl FnOnce(App) -> App) -> TestApp {
        let broker = MemoryBroker::recording();
        let mut app = TestApp::run(router, Arc::new(broker.clone()), configure)
            .await
            .expect("the in-memory broker always subscribes");
        app.broker = Some(broker);
        app
    }

    /// Starts the routes of `router` on a live broker, so that the same
    /// test body runs against it (FastStream's `TestBroker(...,
    /// with_real=True)`). Subscribing can fail there: the error is the
    /// app's. [`TestApp::broker`] and [`TestApp::dead_letters`] are the
    /// in-memory broker's and panic here; the call records and
    /// [`TestApp::published`] work alike.
    pub async fn live(router: Router, broker: Arc<dyn Broker>) -> Result<TestApp, crate::AppError> {
        TestApp::run(router, broker, |app| app).await
    }

    /// [`TestApp::live`] with an app configured by `configure`.
    pub async fn live_with(
        router: Router,
        broker: Arc<dyn Broker>,
        configure: impl FnOnce(App) -> App,
    ) -> Result<TestApp, crate::AppError> {
        TestApp::run(router, broker, configure).await
    }

    async fn run(
        router: Router,
        broker: Arc<dyn Broker>,
        configure: impl FnOnce(App) -> App,
    ) -> Result<TestApp, crate::AppError> {
        // Every route is recorded, those `configure` adds among them.
        let mut app = configure(App::with_broker(broker).include(router));
        let mut log = Log::default();
        for route in app.routes_mut() {
            log.routes
                .push((route.operation.clone(), route.address.clone()));
        }
        let log = Arc::new(log);
        for (i, route) in app.routes_mut().enumerate() {
            route.handler = recorded(&log, i, route.handler.clone());
            if let Some(batch) = &mut route.options.batch {
                batch.handler = recorded_batch(&log, i, batch.handler.clone());
            }
        }
        let running = app.middleware(Recorder(log.clone())).start().await?;
        Ok(TestApp {
            broker: None,
            running,
            log,
        })
    }

    /// The in-memory broker. Panics on a live app.
    pub fn broker(&self) -> &MemoryBroker {
        self.broker
            .as_ref()
            .expect("TestApp::broker: the app runs on a live broker (TestApp::live)")
    }

    /// Publishes into the app (use it to build generated publishers).
    pub fn publisher(&self) -> Publisher {
        self.running.publisher().clone()
    }

    /// The app's counters as they are now ([`TestApp::wait_finished`] waits on
    /// them).
    pub fn metrics(&self) -> MetricsSnapshot {
        self.running.metrics()
    }

    /// Waits until `n` deliveries in all have been handled and settled.
    /// Panics (failing the test) after `timeout`, with the counters.
    pub async fn wait_finished(&self, n: u64, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let m = self.metrics();
            if m.finished >= n {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {n} messages to be handled: {m:?}"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Everything the in-memory broker saw published to an address
    /// (requests, replies, sends). Panics on a live app: use
    /// [`TestApp::published`].
    pub fn published_to(&self, address: &str) -> Vec<Envelope> {
        self.broker().published_to(address)
    }

    /// What the app published to `address` (the test's own publishes,
    /// replies and the handlers' sends), read as `T`, in order. Panics
    /// with the payload when one is not a `T`.
    pub fn published<T: DeserializeOwned>(&self, address: &str) -> Vec<T> {
        lock(&self.log.published)
            .iter()
            .filter(|e| e.channel == address)
            .map(|e| {
                serde_json::from_slice(&e.payload).unwrap_or_else(|err| {
                    panic!(
                        "published to {address}: {} is not a {}: {err}",
                        String::from_utf8_lossy(&e.payload),
                        std::any::type_name::<T>()
                    )
                })
            })
            .collect()
    }

    /// The calls of one subscriber so far, in the order they began (a
    /// call still running has no reply, error or outcome yet). `name` is
    /// the address the route was registered with (its template for a
    /// parameterized one: `"stores.{store}.orders"`) or its operation key
    /// (the handler `fn`'s name, or `.operation(key)`). Panics when no
    /// route has it, or when several routes share that address (two
    /// groups on one channel): name one by its operation then.
    #[track_caller]
    pub fn subscriber(&self, name: &str) -> Calls {
        let routes = &self.log.routes;
        let by_operation: Vec<usize> = (0..routes.len()).filter(|&i| routes[i].0 == name).collect();
        let by_address: Vec<usize> = (0..routes.len()).filter(|&i| routes[i].1 == name).collect();
        let route = match (by_operation.as_slice(), by_address.as_slice()) {
            ([one], _) | ([], [one]) => *one,
            ([], []) => panic!(
                "no subscriber registered with the address or operation {name:?}; the routes are {}",
                self.described_routes(0..routes.len())
            ),
            (ops, addresses) => {
                let some = if ops.is_empty() { addresses } else { ops };
                panic!(
                    "{} routes answer to {name:?}: {}; name one by its operation key (`.operation(key)` sets one)",
                    some.len(),
                    self.described_routes(some.iter().copied())
                )
            }
        };
        Calls {
            address: routes[route].1.clone(),
            calls: lock(&self.log.calls)
                .records
                .iter()
                .filter(|r| r.route == route && r.called)
                .map(|r| RawCall {
                    envelope: (*r.envelope).clone(),
                    reply: r.reply.clone(),
                    error: r.error.clone(),
                    outcome: r.outcome,
                })
                .collect(),
        }
    }

    fn described_routes(&self, which: impl Iterator<Item = usize>) -> String {
        which
            .map(|i| {
                let (operation, address) = &self.log.routes[i];
                format!("{operation} ({address})")
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// What the in-memory broker dead-lettered. Panics on a live app.
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        self.broker().dead_letters()
    }

    /// Shuts down gracefully and returns the final counters.
    pub async fn shutdown(self) -> MetricsSnapshot {
        self.running.shutdown().await
    }
}

#[derive(Debug, Clone)]
struct RawCall {
    envelope: Envelope,
    reply: Option<Envelope>,
    error: Option<String>,
    outcome: Option<Outcome>,
}

/// The calls one subscriber got, in order: a snapshot taken by
/// [`TestApp::subscriber`].
#[derive(Debug, Clone)]
pub struct Calls {
    address: String,
    calls: Vec<RawCall>,
}

/// One call of a subscriber: the message it was called with, read as
/// `T`, and what came of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Call<T> {
    /// The message's payload, read as `T` from JSON.
    pub message: T,
    /// The concrete address it came on.
    pub channel: String,
    /// The message's application headers.
    pub headers: BTreeMap<String, String>,
    /// The message's correlation id (a message sent through a
    /// [`Publisher`] always has one).
    pub correlation_id: Option<String>,
    /// The reply the handler gave to a request.
    pub reply: Option<Envelope>,
    /// The handler's error, when it failed.
    pub error: Option<String>,
    /// How the delivery was settled (`None` until it is): a rejected one
    /// is dead-lettered where the broker keeps dead letters.
    pub outcome: Option<Outcome>,
}

impl Calls {
    /// How many times the handler was called.
    pub fn count(&self) -> usize {
        self.calls.len()
    }

    /// Every call, the message read as `T`. Panics with the payload when
    /// one is not a `T`.
    pub fn calls<T: DeserializeOwned>(&self) -> Vec<Call<T>> {
        self.calls
            .iter()
            .enumerate()
            .map(|(i, c)| Call {
                message: serde_json::from_slice(&c.envelope.payload).unwrap_or_else(|e| {
                    panic!(
                        "{}: call {i}'s message {} is not a {}: {e}",
                        self.address,
                        String::from_utf8_lossy(&c.envelope.payload),
                        std::any::type_name::<T>()
                    )
                }),
                channel: c.envelope.channel.to_string(),
                headers: c.envelope.headers.clone(),
                correlation_id: c.envelope.correlation_id.as_deref().map(str::to_owned),
                reply: c.reply.clone(),
                error: c.error.clone(),
                outcome: c.outcome,
            })
            .collect()
    }

    /// Asserts exactly one call, with `expected`; returns it.
    #[track_caller]
    pub fn assert_called_once_with<T>(&self, expected: &T) -> Call<T>
    where
        T: DeserializeOwned + PartialEq + fmt::Debug,
    {
        let calls = self.calls::<T>();
        match calls.as_slice() {
            [one] if one.message == *expected => {
                calls.into_iter().next().unwrap_or_else(|| unreachable!())
            }
            _ => panic!(
                "{}: expected one call with {expected:?}; got {}",
                self.address,
                self.described()
            ),
        }
    }

    /// Asserts that the last call was with `expected`; returns it.
    #[track_caller]
    pub fn assert_called_with<T>(&self, expected: &T) -> Call<T>
    where
        T: DeserializeOwned + PartialEq + fmt::Debug,
    {
        match self.calls::<T>().pop() {
            Some(last) if last.message == *expected => last,
            _ => panic!(
                "{}: expected the last call with {expected:?}; got {}",
                self.address,
                self.described()
            ),
        }
    }

    /// Asserts exactly `n` calls.
    #[track_caller]
    pub fn assert_called_times(&self, n: usize) {
        assert!(
            self.count() == n,
            "{}: expected {n} calls; got {}",
            self.address,
            self.described()
        );
    }

    /// Asserts no call.
    #[track_caller]
    pub fn assert_not_called(&self) {
        self.assert_called_times(0);
    }

    /// The calls as the failure messages show them.
    fn described(&self) -> String {
        if self.calls.is_empty() {
            return "no calls".to_owned();
        }
        let shown: Vec<String> = self
            .calls
            .iter()
            .map(|c| {
                let mut s = format!(
                    "{} on {}",
                    String::from_utf8_lossy(&c.envelope.payload),
                    c.envelope.channel
                );
                if let Some(e) = &c.error {
                    s.push_str(&format!(" (failed: {e})"));
                }
                s
            })
            .collect();
        format!("{} call(s): {}", self.calls.len(), shown.join(", "))
    }
}
