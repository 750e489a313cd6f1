use golden::billing_both::{channels, models};
use faststream::{Context, HandlerError};

pub struct Service;
impl golden::billing_both::ClientHandler for Service {
    /// `writeLog`: Write a log line at a level.
    async fn write_log(
        &self,
        _message: models::LogLine,
        _params: channels::Logs,
        _ctx: Context,
    ) -> Result<(), HandlerError> {
        Ok(())
    }
}
