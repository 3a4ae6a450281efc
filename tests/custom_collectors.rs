//! Tests: custom_collectors.
