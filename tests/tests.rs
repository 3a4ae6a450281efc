//! All integration tests, compiled into one binary (one module per area).
//! They run the built `evidence-agent` binary on temporary vaults.

mod util;

mod aws_iam;
mod browser;
mod cdp;
mod cli;
mod config_errors;
mod crash;
mod custom_collectors;
mod export;
mod github;
mod github_server;
mod history;
mod host_baseline;
mod moto;
mod report;
mod scan_import;
mod scan_parsers_vuln;
mod scan_parsers_web;
mod secrets;
mod systemd;
mod telemetry;
mod tls;
mod tls_server;
mod vault_verify;
