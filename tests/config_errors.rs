//! Tests: config_errors.
