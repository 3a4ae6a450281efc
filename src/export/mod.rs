//! The auditor's bundle of one window: the selected run folders unchanged, the whole ledger, an
//! export manifest, the report and VERIFY.md, as one `.tar.gz`. See docs/vault-format.md.
