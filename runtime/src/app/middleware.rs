//! Hooks around consuming and publishing, and how a delivery ended.

use crate::envelope::Envelope;

/// Hooks around consuming and publishing.
pub trait Middleware: Send + Sync + 'static {
    /// Before a delivery is decoded and handled.
    fn before_consume(&self, _envelope: &Envelope) {}
    /// After it was settled; `outcome` says how.
    fn after_consume(&self, _envelope: &Envelope, _outcome: Outcome) {}
    /// Before an envelope is published (it may be changed, e.g. headers).
    fn before_publish(&self, _envelope: &mut Envelope) {}
}

/// How a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Acked,
    /// Handed back to the broker for redelivery.
    Nacked,
    /// Dead-lettered: undecodable, or failed after the last attempt.
    Rejected,
    /// Left to the handler (manual acks).
    Manual,
}
