//! Running an application as a service: until SIGINT or SIGTERM, or
//! writing its AsyncAPI document instead when the environment asks for it
//! (`FASTSTREAM_ASYNCAPI_OUT`): the layer above the export.

use crate::app::{App, AppError};

impl App {
    /// Runs until SIGINT or SIGTERM, then shuts down gracefully.
    ///
    /// With `FASTSTREAM_ASYNCAPI_OUT=PATH` set, it writes the application's
    /// AsyncAPI document to `PATH` instead (YAML for a `.yaml`/`.yml` path,
    /// else JSON; `FASTSTREAM_ASYNCAPI_VERSION=3.1` or `2.6` for another
    /// version than 3.0) and returns without subscribing to anything, and
    /// [`crate::connect()`] connects nowhere meanwhile: a built service
    /// exports its document in CI with no broker running.
    ///
    /// With the `http` feature and `FASTSTREAM_HTTP_ADDR=host:port` set, it
    /// also serves [`crate::http::router`] there (`/metrics`,
    /// `/health/live`, `/health/ready`, `/asyncapi`) while it runs; on the
    /// signal HTTP stops first, then the app.
    pub async fn run(self) -> Result<(), AppError> {
        if let Some(path) = std::env::var_os(crate::export::OUT_VAR) {
            return crate::export::write_to(&self.asyncapi(), std::path::Path::new(&path))
                .map_err(AppError::Export);
        }
        // Listening before the start: a signal while the app starts ends
        // the start (what it made is dropped) and `run` returns, instead of
        // the process dying of the signal's default action.
        let mut signalled = std::pin::pin!(signals());
        let running = tokio::select! {
            started = self.start() => started?,
            () = &mut signalled => {
                tracing::info!("signalled while starting: not starting");
                return Ok(());
            }
        };
        #[cfg(feature = "http")]
        let serving = match crate::http::serve_from_env(&running).await {
            Ok(serving) => serving,
            Err(e) => {
                running.shutdown().await;
                return Err(e);
            }
        };
        signalled.await;
        tracing::info!("shutting down");
        #[cfg(feature = "http")]
        if let Some(serving) = serving {
            serving.stop().await;
        }
        running.shutdown().await;
        Ok(())
    }
}

/// SIGINT or SIGTERM, listened for from the call on.
fn signals() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
