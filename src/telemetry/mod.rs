//! Logs, metrics and the health endpoint.

pub mod http;
pub mod logging;
mod metrics;

pub use metrics::Metrics;
