//! The site folder: built under a temporary name beside its place and swapped in whole, so a
//! reader never sees half a report and a failed build leaves the previous one.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::ReportError;
use crate::vault::fsutil::{DIR_MODE, FILE_MODE};

/// The file that marks a folder as a report written by us: only such a folder is replaced.
pub const MARKER: &str = "report.json";

pub(super) fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ReportError {
    let path = path.to_path_buf();
    move |source| ReportError::Io {
        action,
        path,
        source,
    }
}

/// A site being built.
pub struct Build {
    pub dir: PathBuf,
    out: PathBuf,
    done: bool,
}

impl Build {
    /// Starts a build for `out`; refuses to ever replace a folder that is not a report.
    pub fn start(out: &Path) -> Result<Build, ReportError> {
        if out.exists() && !is_replaceable(out) {
            return Err(ReportError::NotAReport(out.to_path_buf()));
        }
        let parent = out.parent().unwrap_or(Path::new("."));
        mkdir(parent, true)?;
        let name = out
            .file_name()
            .map_or("report".into(), |n| n.to_string_lossy().into_owned());
        remove_stale(parent, &format!(".{name}.tmp-"));
        let dir = parent.join(format!(".{name}.tmp-{:08x}", crate::random::u32()));
        mkdir(&dir, false)?;
        Ok(Build {
            dir,
            out: out.to_path_buf(),
            done: false,
        })
    }

    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), ReportError> {
        let path = self.dir.join(rel);
        self.create(rel)?
            .write_all(bytes)
            .map_err(io("cannot write", &path))
    }

    /// A new file of the site, for writing piece by piece.
    pub fn create(&self, rel: &str) -> Result<File, ReportError> {
        let path = self.dir.join(rel);
        if let Some(p) = path.parent() {
            mkdir(p, true)?;
        }
        // The report shows what the evidence shows: it gets the vault's modes.
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(FILE_MODE)
            .open(&path)
            .map_err(io("cannot write", &path))
    }

    /// Reads a file of the site back (rows written apart, joined into their page).
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// Puts the finished site in place of the old one (exchanged atomically where the file
    /// system can), then removes the old one.
    pub fn finish(mut self) -> Result<PathBuf, ReportError> {
        if self.out.exists() {
            if exchange(&self.dir, &self.out).is_err() {
                let old = self.dir.with_extension("old");
                std::fs::rename(&self.out, &old).map_err(io("cannot move aside", &self.out))?;
                std::fs::rename(&self.dir, &self.out).map_err(io("cannot rename", &self.dir))?;
                let _ = std::fs::remove_dir_all(&old);
            } else {
                let _ = std::fs::remove_dir_all(&self.dir);
            }
        } else {
            std::fs::rename(&self.dir, &self.out).map_err(io("cannot rename", &self.dir))?;
        }
        self.done = true;
        Ok(self.out.clone())
    }
}

impl Drop for Build {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Removes builds left by a report process that was killed (an hour is far longer than any build
/// takes, so a build in progress elsewhere is left alone).
fn remove_stale(parent: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > std::time::Duration::from_secs(3600));
        if old && e.file_name().to_string_lossy().starts_with(prefix) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn mkdir(path: &Path, parents: bool) -> Result<(), ReportError> {
    DirBuilder::new()
        .recursive(parents)
        .mode(DIR_MODE)
        .create(path)
        .map_err(io("cannot create", path))
}

/// An empty folder, or one holding our marker.
fn is_replaceable(out: &Path) -> bool {
    if out.join(MARKER).is_file() {
        return true;
    }
    std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_none())
}

fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let ca = std::ffi::CString::new(a.as_os_str().as_bytes())?;
    let cb = std::ffi::CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated paths; renameat2 only reads them.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
