//! `export`: the auditor's bundle of a window.

use std::path::Path;

use anyhow::anyhow;
use chrono::{NaiveDate, Utc};

use super::{Failure, Outcome, registry};
use crate::config::Config;
use crate::exit;
use crate::export::manifest::WindowInfo;
use crate::export::{self, Ask, ExportError, Request};
use crate::report::{self, plan};

pub fn run(
    config: &Config,
    window: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    criteria: &[String],
    out: &Path,
) -> Outcome {
    let registry = registry(config)?;
    let now = Utc::now();
    let window = plan::window_name(config, Some(window), now).map_err(Failure::usage)?;
    let configured = config.windows.iter().find(|w| w.name == window);
    let from = from.or(configured.map(|w| w.start));
    let to = to.or(configured.map(|w| w.end));
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(Failure::usage(anyhow!(
            "`--from {f}` is after `--to {t}`: give a first day on or before the last"
        )));
    }
    let criteria: Vec<String> = criteria
        .iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    let req = Request {
        vault: config.vault_dir(),
        window: WindowInfo {
            name: window.clone(),
            start: configured.map(|w| w.start),
            end: configured.map(|w| w.end),
        },
        ask: Ask { from, to, criteria },
        supported: registry
            .iter()
            .map(|c| {
                let d = c.descriptor();
                (d.name.clone(), d.criteria.clone())
            })
            .collect(),
        out: out.to_path_buf(),
        now,
    };
    let write_report = |selection: &report::Selection, site: &Path| {
        let mut r = plan::request(
            config,
            &registry,
            &window,
            selection.clone(),
            Some(site.to_path_buf()),
            now,
        );
        // The site sits in `<window>/derived/report/` inside the bundle.
        r.evidence_base = "../../".into();
        report::write(&r).map(|_| ())
    };
    let summary = export::export(&req, &write_report).map_err(|e: ExportError| {
        if e.is_usage() {
            Failure::usage(e)
        } else {
            Failure::evidence(e)
        }
    })?;
    tracing::info!(message = "Exported the window.", window = %window, out = %summary.out.display(), runs = summary.runs, files = summary.files);
    println!(
        "exported {} runs of {window} ({} runs of its ledger left out, {} files): {}\nledger head (last line SHA-256): {}\ncheck it: tar -xzf {} && see VERIFY.md inside",
        summary.runs,
        summary.left_out,
        summary.files,
        summary.out.display(),
        summary.last_line_sha256,
        summary.out.display(),
    );
    Ok(exit::OK)
}
