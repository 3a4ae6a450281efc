//! The per-window ledger: one canonical JSON line per committed run, each chained to the
//! SHA-256 of the line before it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::VaultError;
use super::canonical;
use super::fsutil::FILE_MODE;
use crate::evidence::RunStatus;

/// `prev` of the first line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One ledger line. Field order does not matter: lines are written as canonical JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub seq: u64,
    pub prev: String,
    pub time: String,
    pub window: String,
    pub run: String,
    pub collector: String,
    pub status: RunStatus,
    pub started_at: String,
    pub finished_at: String,
    pub run_json_sha256: String,
    pub sums_sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The parts of an entry the caller supplies; `seq`, `prev` and `time` come from the ledger.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub window: String,
    pub run: String,
    pub collector: String,
    pub status: RunStatus,
    pub started_at: String,
    pub finished_at: String,
    pub run_json_sha256: String,
    pub sums_sha256: String,
    pub note: Option<String>,
}

/// A ledger opened for appending, holding its exclusive lock until dropped.
pub struct Locked {
    path: PathBuf,
    file: File,
    next_seq: u64,
    prev: String,
    /// Bytes of a torn last line cut off when the ledger was opened; said in the next line's note.
    pub torn_bytes: Option<u64>,
}

impl Locked {
    /// Opens (creating) the ledger, waits for its lock, and repairs a torn last line.
    pub fn open(path: &Path) -> Result<Locked, VaultError> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(FILE_MODE)
            .open(path)
            .map_err(VaultError::io("cannot open ledger", path))?;
        file.lock()
            .map_err(VaultError::io("cannot lock ledger", path))?;
        let len = file
            .metadata()
            .map_err(VaultError::io("cannot stat ledger", path))?
            .len();
        let (good_len, last_line) = last_complete_line(&mut file, len)
            .map_err(VaultError::io("cannot read ledger", path))?;
        let mut torn_bytes = None;
        if good_len < len {
            file.set_len(good_len)
                .map_err(VaultError::io("cannot repair torn ledger", path))?;
            file.sync_all()
                .map_err(VaultError::io("cannot fsync ledger", path))?;
            torn_bytes = Some(len - good_len);
            tracing::warn!(message = "Cut a torn last line off the ledger.", ledger = %path.display(), bytes = len - good_len);
        }
        let (next_seq, prev) = match last_line {
            None => (1, GENESIS.to_string()),
            Some(line) => {
                let entry: Entry = serde_json::from_slice(&line).map_err(|e| VaultError::Ledger {
                    path: path.to_path_buf(),
                    line: 0,
                    reason: format!("last line is not a ledger entry ({e}); run `evidence-agent verify` and restore the ledger from a copy"),
                })?;
                (entry.seq + 1, canonical::sha256_hex(&line))
            }
        };
        Ok(Locked {
            path: path.to_path_buf(),
            file,
            next_seq,
            prev,
            torn_bytes,
        })
    }

    /// Appends one line and fsyncs it.
    pub fn append(&mut self, new: NewEntry, time: String) -> Result<Entry, VaultError> {
        let mut note = new.note;
        if let Some(bytes) = self.torn_bytes.take() {
            let repair =
                format!("a torn last ledger line ({bytes} bytes) was cut off before this line");
            note = Some(match note {
                Some(n) => format!("{n}; {repair}"),
                None => repair,
            });
        }
        let entry = Entry {
            seq: self.next_seq,
            prev: self.prev.clone(),
            time,
            window: new.window,
            run: new.run,
            collector: new.collector,
            status: new.status,
            started_at: new.started_at,
            finished_at: new.finished_at,
            run_json_sha256: new.run_json_sha256,
            sums_sha256: new.sums_sha256,
            note,
        };
        let line = canonical::compact(&entry);
        let mut buf = line.clone();
        buf.push(b'\n');
        // One write of the whole line: a crash leaves at most a torn last line, which open() repairs.
        self.file
            .write_all(&buf)
            .map_err(VaultError::io("cannot append to ledger", &self.path))?;
        self.file
            .sync_data()
            .map_err(VaultError::io("cannot fsync ledger", &self.path))?;
        self.next_seq += 1;
        self.prev = canonical::sha256_hex(&line);
        Ok(entry)
    }
}

/// Finds the end of the last `\n`-terminated line and that line's bytes, reading only the tail.
fn last_complete_line(file: &mut File, len: u64) -> std::io::Result<(u64, Option<Vec<u8>>)> {
    let mut tail_len = 64 * 1024u64;
    loop {
        let start = len.saturating_sub(tail_len);
        file.seek(SeekFrom::Start(start))?;
        let mut tail = Vec::with_capacity((len - start) as usize);
        Read::by_ref(file)
            .take(len - start)
            .read_to_end(&mut tail)?;
        let Some(last_nl) = tail.iter().rposition(|&b| b == b'\n') else {
            if start == 0 {
                return Ok((0, None));
            }
            tail_len *= 4;
            continue;
        };
        let good_len = start + last_nl as u64 + 1;
        let body = &tail[..last_nl];
        match body.iter().rposition(|&b| b == b'\n') {
            Some(p) => return Ok((good_len, Some(body[p + 1..].to_vec()))),
            None if start == 0 => return Ok((good_len, Some(body.to_vec()))),
            None => tail_len *= 4,
        }
    }
}

/// One line as read: its exact bytes and entry, or why it is not an entry.
pub type Line = Result<(Vec<u8>, Entry), String>;

/// Reads every complete line of a ledger, for the read side. Lines that do not parse are
/// returned as errors in place so callers can report them and go on.
pub fn read(path: &Path) -> Result<Vec<Line>, VaultError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(VaultError::io("cannot read ledger", path)(e)),
    };
    let mut out = Vec::new();
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        let (line, next, complete) = match rest.iter().position(|&b| b == b'\n') {
            Some(p) => (&rest[..p], &rest[p + 1..], true),
            None => (rest, &rest[rest.len()..], false),
        };
        rest = next;
        if !complete {
            out.push(Err(format!(
                "torn last line ({} bytes without a final newline)",
                line.len()
            )));
            break;
        }
        out.push(
            serde_json::from_slice::<Entry>(line)
                .map(|e| (line.to_vec(), e))
                .map_err(|e| format!("not a ledger entry: {e}")),
        );
    }
    Ok(out)
}
