//! Tests: vault_verify.
