//! The `.tar.gz` writer: every file streamed in while it is hashed, checked against what its
//! record says, and listed in the bundle's `SHA256SUMS`.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

use super::ExportError;
use crate::vault::canonical;
use crate::vault::fsutil::{DIR_MODE, FILE_MODE, open_nofollow};
use crate::vault::layout::SUMS;

/// What a streamed file must be, from the record that vouches for it.
pub struct Expect<'a> {
    /// SHA-256 (lowercase hex).
    pub sha256: &'a str,
    /// Size in bytes, when the record gives it.
    pub size: Option<u64>,
    /// The record, named in the error, e.g. `SHA256SUMS`.
    pub source: &'a str,
}

/// A bundle being written: the tar stream and the list of files for `SHA256SUMS`.
pub struct Bundle {
    /// The tar stream over gzip over the partial file.
    tar: tar::Builder<GzEncoder<File>>,
    /// The top folder every entry sits in.
    top: String,
    /// Folders already in the tar (relative to `top`).
    dirs: BTreeSet<String>,
    /// `(path relative to top, SHA-256)` of every file added.
    sums: Vec<(String, String)>,
    /// mtime for folders and generated files (seconds since the epoch).
    now: u64,
}

impl Bundle {
    pub fn new(file: File, top: &str, now: u64) -> Result<Bundle, ExportError> {
        let mut b = Bundle {
            tar: tar::Builder::new(GzEncoder::new(file, Compression::default())),
            top: top.to_string(),
            dirs: BTreeSet::new(),
            sums: Vec::new(),
            now,
        };
        b.add_dir("")?;
        Ok(b)
    }

    /// Adds the folder `rel` (and its parents) once.
    fn add_dir(&mut self, rel: &str) -> Result<(), ExportError> {
        let parents: Vec<&str> = rel
            .match_indices('/')
            .map(|(i, _)| &rel[..i])
            .chain(std::iter::once(rel))
            .collect();
        for dir in parents {
            if !self.dirs.insert(dir.to_string()) {
                continue;
            }
            let mut h = header(tar::EntryType::Directory, 0, DIR_MODE, self.now);
            let name = if dir.is_empty() {
                format!("{}/", self.top)
            } else {
                format!("{}/{dir}/", self.top)
            };
            self.tar
                .append_data(&mut h, name, std::io::empty())
                .map_err(write_error)?;
        }
        Ok(())
    }

    fn add_parent_dirs(&mut self, rel: &str) -> Result<(), ExportError> {
        match rel.rfind('/') {
            Some(i) => self.add_dir(&rel[..i]),
            None => Ok(()),
        }
    }

    /// Adds a generated file (manifest, guide) from memory.
    pub fn add_bytes(&mut self, rel: &str, data: &[u8]) -> Result<(), ExportError> {
        self.add_parent_dirs(rel)?;
        let mut h = header(
            tar::EntryType::Regular,
            data.len() as u64,
            FILE_MODE,
            self.now,
        );
        self.tar
            .append_data(&mut h, format!("{}/{rel}", self.top), data)
            .map_err(write_error)?;
        self.sums
            .push((rel.to_string(), canonical::sha256_hex(data)));
        Ok(())
    }

    /// Streams the regular file `src` in as `rel`, at most `limit` bytes of it, hashing it on the
    /// way; with `expect`, stops with an error when it is not what its record says. Returns its
    /// size and SHA-256.
    pub fn add_file(
        &mut self,
        rel: &str,
        src: &Path,
        limit: Option<u64>,
        expect: Option<Expect<'_>>,
    ) -> Result<(u64, String), ExportError> {
        let file = open_nofollow(src).map_err(|source| {
            if source.raw_os_error() == Some(libc::ELOOP) {
                ExportError::evidence(src, "is a symbolic link, not a file")
            } else {
                ExportError::io("cannot open", src, source)
            }
        })?;
        let meta = file
            .metadata()
            .map_err(|e| ExportError::io("cannot stat", src, e))?;
        if !meta.is_file() {
            return Err(ExportError::evidence(src, "is not a regular file"));
        }
        let size = limit.unwrap_or(meta.len()).min(meta.len());
        if let Some(want) = expect.as_ref().and_then(|e| e.size)
            && want != size
        {
            return Err(ExportError::evidence(
                src,
                format!(
                    "is {size} bytes, {} says {want}",
                    expect.as_ref().map_or("its record", |e| e.source)
                ),
            ));
        }
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(self.now, |d| d.as_secs());
        self.add_parent_dirs(rel)?;
        let mut h = header(tar::EntryType::Regular, size, FILE_MODE, mtime);
        let mut reader = Hashing {
            inner: file.take(size),
            hasher: Sha256::new(),
            read: 0,
            error: None,
        };
        let appended = self
            .tar
            .append_data(&mut h, format!("{}/{rel}", self.top), &mut reader);
        if let Some(source) = reader.error.take() {
            return Err(ExportError::io("cannot read", src, source));
        }
        appended.map_err(write_error)?;
        if reader.read != size {
            return Err(ExportError::evidence(
                src,
                format!(
                    "changed while it was exported ({} bytes read, {size} expected)",
                    reader.read
                ),
            ));
        }
        let sha = hex::encode(reader.hasher.finalize());
        if let Some(e) = expect
            && e.sha256 != sha
        {
            return Err(ExportError::evidence(
                src,
                format!("SHA-256 is {sha}, {} says {}", e.source, e.sha256),
            ));
        }
        self.sums.push((rel.to_string(), sha.clone()));
        Ok((size, sha))
    }

    /// Writes `SHA256SUMS` (every other file, sorted by path), ends the tar and gzip streams,
    /// and returns the file, not yet synced.
    pub fn finish(mut self) -> Result<(File, u64), ExportError> {
        self.sums.sort();
        let mut text = String::new();
        for (path, sha) in &self.sums {
            text.push_str(&format!("{sha}  {path}\n"));
        }
        let count = self.sums.len() as u64;
        let mut h = header(
            tar::EntryType::Regular,
            text.len() as u64,
            FILE_MODE,
            self.now,
        );
        self.tar
            .append_data(&mut h, format!("{}/{SUMS}", self.top), text.as_bytes())
            .map_err(write_error)?;
        let gz = self.tar.into_inner().map_err(write_error)?;
        let mut file = gz.finish().map_err(write_error)?;
        file.flush().map_err(write_error)?;
        Ok((file, count))
    }
}

/// A tar header with the bundle's fixed owner and the given type, size, mode and mtime.
fn header(kind: tar::EntryType, size: u64, mode: u32, mtime: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(mode);
    h.set_mtime(mtime);
    h.set_uid(0);
    h.set_gid(0);
    h
}

fn write_error(source: std::io::Error) -> ExportError {
    ExportError::Write(source)
}

/// Hashes what passes through; keeps a read error aside so it is reported as a read, not as a
/// failure to write the bundle.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    read: u64,
    error: Option<std::io::Error>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.hasher.update(&buf[..n]);
                self.read += n as u64;
                Ok(n)
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let kind = e.kind();
                self.error = Some(e);
                Err(kind.into())
            }
        }
    }
}

/// The partial files of an export, removed unless the export completes.
pub struct Partial {
    /// The bundle being written.
    pub file: PathBuf,
    /// The report's scratch folder.
    pub scratch: PathBuf,
    /// Cleared once the bundle has its final name.
    pub keep_file: bool,
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.keep_file {
            let _ = std::fs::remove_file(&self.file);
        }
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}
