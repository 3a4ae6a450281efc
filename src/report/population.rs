//! Populations an auditor samples from, merged across the window's runs: the changes (merged PRs),
//! the users, the endpoints and the scan reports. Each row keeps a link to the artifact it came
//! from.

use std::collections::{BTreeMap, HashSet};

use super::load::{Artifact, Run};
use crate::evidence::RunStatus;

/// How rows of several runs make one population.
#[derive(Debug, Clone, Copy)]
pub enum Merge {
    /// Every row ever stored, once per key (the first run that stored it): incremental collectors.
    Union(&'static [&'static str]),
    /// The rows of the latest successful run (per file, e.g. per AWS account): snapshots.
    Latest,
}

/// One population: which collector's file it is read from and how runs combine.
#[derive(Debug, Clone, Copy)]
pub struct Definition {
    pub id: &'static str,
    pub title: &'static str,
    pub collector: &'static str,
    /// The artifact's file name (at any depth under `artifacts/`).
    pub file: &'static str,
    pub merge: Merge,
}

pub const DEFINITIONS: &[Definition] = &[
    Definition {
        id: "changes",
        title: "Changes: merged pull requests with their approvals",
        collector: "github-pull-requests",
        file: "population.csv",
        merge: Merge::Union(&["repository", "number"]),
    },
    Definition {
        id: "users",
        title: "Users: IAM users with MFA and access keys",
        collector: "aws-iam",
        file: "users.csv",
        merge: Merge::Latest,
    },
    Definition {
        id: "endpoints",
        title: "Endpoints: TLS configuration",
        collector: "tls-endpoints",
        file: "endpoints.csv",
        merge: Merge::Latest,
    },
    Definition {
        id: "scan-reports",
        title: "Scan reports: imported reports with counts by severity",
        collector: "scan-reports",
        file: "reports.csv",
        merge: Merge::Union(&["sha256"]),
    },
];

/// The columns the report adds to every row.
pub const SOURCE_COLUMNS: [&str; 2] = ["collected_at", "evidence"];

/// One population being merged.
#[derive(Debug)]
pub struct Population {
    pub def: Definition,
    /// The header of the first file read, then the source columns.
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    seen: HashSet<Vec<String>>,
    /// For `Latest`: per artifact path, the rows of the latest successful run.
    latest: BTreeMap<String, Vec<Vec<String>>>,
    /// Files that could not be used, with why (shown on the page).
    pub problems: Vec<String>,
}

impl Population {
    pub fn new(def: Definition) -> Population {
        Population {
            def,
            columns: Vec::new(),
            rows: Vec::new(),
            seen: HashSet::new(),
            latest: BTreeMap::new(),
            problems: Vec::new(),
        }
    }

    /// Whether `artifact` of `run` feeds this population.
    pub fn wants(&self, run: &Run, artifact: &Artifact) -> bool {
        run.entry.collector == self.def.collector
            && artifact.path.starts_with("artifacts/")
            && artifact.path.rsplit('/').next() == Some(self.def.file)
            && (run.status() == RunStatus::Succeeded || matches!(self.def.merge, Merge::Union(_)))
    }

    /// Adds the rows of one file (`bytes`, already checked against its hash).
    pub fn add(&mut self, run: &Run, artifact: &Artifact, bytes: &[u8]) {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
        let header: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(str::to_string).collect(),
            Err(e) => {
                self.problem(run, artifact, &e.to_string());
                return;
            }
        };
        if self.columns.is_empty() {
            self.columns = header.clone();
            self.columns
                .extend(SOURCE_COLUMNS.iter().map(|c| c.to_string()));
        }
        let width = self.columns.len() - SOURCE_COLUMNS.len();
        let evidence = format!("{}/{}", run.rel(), artifact.path);
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    self.problem(run, artifact, &e.to_string());
                    break;
                }
            };
            // Columns by name, so a file with another column order still lines up.
            let mut row: Vec<String> = self.columns[..width]
                .iter()
                .map(|c| {
                    header
                        .iter()
                        .position(|h| h == c)
                        .and_then(|i| record.get(i))
                        .unwrap_or("")
                        .to_string()
                })
                .collect();
            row.push(run.entry.finished_at.clone());
            row.push(evidence.clone());
            rows.push(row);
        }
        match self.def.merge {
            Merge::Union(key) => {
                let idx: Vec<usize> = key
                    .iter()
                    .filter_map(|k| self.columns[..width].iter().position(|c| c == k))
                    .collect();
                for row in rows {
                    // Without the key columns, a row is its own key.
                    let k: Vec<String> = if idx.is_empty() {
                        row[..width].to_vec()
                    } else {
                        idx.iter().map(|&i| row[i].clone()).collect()
                    };
                    if self.seen.insert(k) {
                        self.rows.push(row);
                    }
                }
            }
            Merge::Latest => {
                self.latest.insert(artifact.path.clone(), rows);
            }
        }
    }

    fn problem(&mut self, run: &Run, artifact: &Artifact, why: &str) {
        self.problems
            .push(format!("{}/{}: {why}", run.rel(), artifact.path));
    }

    /// The merged rows, in the order stored (`Union`) or by file (`Latest`).
    pub fn finish(mut self) -> Population {
        if matches!(self.def.merge, Merge::Latest) {
            self.rows = std::mem::take(&mut self.latest)
                .into_values()
                .flatten()
                .collect();
        }
        self.seen = HashSet::new();
        self
    }

    /// The population as CSV, `evidence` relative to the window folder.
    pub fn csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut write = |r: &[String]| w.write_record(r).is_ok();
        if !self.columns.is_empty() {
            write(&self.columns);
        }
        for row in &self.rows {
            write(row);
        }
        w.into_inner().unwrap_or_default()
    }
}
