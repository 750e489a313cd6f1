use golden::orders::{channels, messages, models};
use faststream::{Context, HandlerError};

pub struct Service;
impl golden::orders::Handler for Service {
    /// `handleOrder`
    async fn handle_order(
        &self,
        message: messages::HandleOrderMessage,
        params: channels::OrderRequests,
        headers: messages::HandleOrderHeaders,
        ctx: Context,
    ) -> Result<models::OrderAccepted, HandlerError> {
        tracing::info!(
            operation = "handleOrder", channel = ctx.envelope().channel.as_str(),
            "received {message:?}, params {params:?}, headers {headers:?}"
        );
        Err(
            HandlerError::new(
                "`handleOrder` is not implemented yet: write its reply here",
            ),
        )
    }
}
