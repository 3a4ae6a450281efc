//! The read-only integrity check of a whole vault (see docs/vault-format.md, "Verification").
