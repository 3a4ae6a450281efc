//! Populations an auditor samples from, merged across the window's runs: the changes (merged PRs),
//! the users, the endpoints and the scan reports. Each row keeps a link to the artifact it came
//! from.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};

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

/// Renders one population row as HTML.
pub type RenderRow = Box<dyn Fn(&[String]) -> String>;

/// Where rows go as they are merged: the population's CSV and its HTML table rows, both files of
/// the site being built, so a population of any size is never held in memory.
pub struct Sink {
    csv: csv::Writer<BufWriter<File>>,
    rows: BufWriter<File>,
    /// Renders one row as `<tr>…</tr>` (links need the site's way to the evidence).
    render: RenderRow,
}

impl Sink {
    pub fn new(csv: File, rows: File, render: RenderRow) -> Sink {
        Sink {
            csv: csv::Writer::from_writer(BufWriter::new(csv)),
            rows: BufWriter::new(rows),
            render,
        }
    }

    fn put(&mut self, row: &[String]) -> std::io::Result<()> {
        self.csv.write_record(row).map_err(std::io::Error::other)?;
        self.rows.write_all((self.render)(row).as_bytes())
    }

    fn close(mut self) -> std::io::Result<()> {
        self.csv.flush()?;
        self.rows.flush()
    }
}

/// One population being merged.
pub struct Population {
    pub def: Definition,
    /// The header of the first file read, then the source columns.
    pub columns: Vec<String>,
    /// Rows written so far.
    pub rows: u64,
    seen: HashSet<Vec<String>>,
    /// For `Latest`: per artifact path, the rows of the latest successful run.
    latest: BTreeMap<String, Vec<Vec<String>>>,
    sink: Sink,
    /// Files that could not be used, with why (shown on the page).
    pub problems: Vec<String>,
}

impl Population {
    pub fn new(def: Definition, sink: Sink) -> Population {
        Population {
            def,
            columns: Vec::new(),
            rows: 0,
            seen: HashSet::new(),
            latest: BTreeMap::new(),
            sink,
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
    pub fn add(&mut self, run: &Run, artifact: &Artifact, bytes: &[u8]) -> std::io::Result<()> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
        let header: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(str::to_string).collect(),
            Err(e) => {
                self.problem(run, artifact, &e.to_string());
                return Ok(());
            }
        };
        if self.columns.is_empty() {
            self.columns = header.clone();
            self.columns
                .extend(SOURCE_COLUMNS.iter().map(|c| c.to_string()));
            self.sink
                .csv
                .write_record(&self.columns)
                .map_err(std::io::Error::other)?;
        }
        let width = self.columns.len() - SOURCE_COLUMNS.len();
        // Columns by name, so a file with another column order still lines up.
        let at: Vec<Option<usize>> = self.columns[..width]
            .iter()
            .map(|c| header.iter().position(|h| h == c))
            .collect();
        let evidence = format!("{}/{}", run.rel(), artifact.path);
        let mut latest = Vec::new();
        for record in reader.records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    self.problem(run, artifact, &e.to_string());
                    break;
                }
            };
            let mut row: Vec<String> = at
                .iter()
                .map(|i| i.and_then(|i| record.get(i)).unwrap_or("").to_string())
                .collect();
            row.push(run.entry.finished_at.clone());
            row.push(evidence.clone());
            match self.def.merge {
                Merge::Union(key) => {
                    // Without the key columns, a row is its own key.
                    let k: Vec<String> = key
                        .iter()
                        .filter_map(|k| self.columns[..width].iter().position(|c| c == k))
                        .map(|i| row[i].clone())
                        .collect();
                    let k = if k.is_empty() {
                        row[..width].to_vec()
                    } else {
                        k
                    };
                    if self.seen.insert(k) {
                        self.sink.put(&row)?;
                        self.rows += 1;
                    }
                }
                Merge::Latest => latest.push(row),
            }
        }
        if matches!(self.def.merge, Merge::Latest) {
            self.latest.insert(artifact.path.clone(), latest);
        }
        Ok(())
    }

    fn problem(&mut self, run: &Run, artifact: &Artifact, why: &str) {
        self.problems
            .push(format!("{}/{}: {why}", run.rel(), artifact.path));
    }

    /// Writes what `Latest` kept (by file) and closes the files.
    pub fn finish(mut self) -> std::io::Result<Merged> {
        for row in std::mem::take(&mut self.latest).into_values().flatten() {
            self.sink.put(&row)?;
            self.rows += 1;
        }
        self.sink.close()?;
        Ok(Merged {
            def: self.def,
            columns: self.columns,
            rows: self.rows,
            problems: self.problems,
        })
    }
}

/// A population once merged: its rows are in the site's files.
#[derive(Debug, Clone)]
pub struct Merged {
    pub def: Definition,
    pub columns: Vec<String>,
    pub rows: u64,
    pub problems: Vec<String>,
}
