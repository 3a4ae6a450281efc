//! Tests: telemetry.
