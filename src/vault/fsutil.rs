//! Durable file system operations with the vault's permissions.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::VaultError;

pub const DIR_MODE: u32 = 0o750;
pub const FILE_MODE: u32 = 0o640;

/// Creates `path` and missing parents with mode 0750.
pub fn create_dirs(path: &Path) -> Result<(), VaultError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(path)
        .map_err(VaultError::io("cannot create folder", path))
}

/// Writes a new file (never replacing one), mode 0640, and fsyncs it.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)
        .map_err(VaultError::io("cannot create", path))?;
    f.write_all(bytes)
        .map_err(VaultError::io("cannot write", path))?;
    f.sync_all().map_err(VaultError::io("cannot fsync", path))
}

/// Replaces `path` atomically: temporary file, fsync, rename, fsync the folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    let tmp = path.with_extension("tmp");
    let _ = fs::remove_file(&tmp);
    write_new(&tmp, bytes)?;
    fs::rename(&tmp, path).map_err(VaultError::io("cannot rename into", path))?;
    fsync_parent(path)
}

pub fn fsync_dir(path: &Path) -> Result<(), VaultError> {
    File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(VaultError::io("cannot fsync folder", path))
}

pub fn fsync_parent(path: &Path) -> Result<(), VaultError> {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => fsync_dir(p),
        _ => Ok(()),
    }
}

/// Renames `from` to `to`, failing if `to` exists (RENAME_NOREPLACE), so committed evidence can
/// never be replaced.
pub fn rename_noreplace(from: &Path, to: &Path) -> Result<(), VaultError> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| VaultError::io("NUL in path", p)(std::io::ErrorKind::InvalidInput.into()))
    };
    let (cf, ct) = (c(from)?, c(to)?);
    // SAFETY: both are valid NUL-terminated paths; renameat2 only reads them.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            cf.as_ptr(),
            libc::AT_FDCWD,
            ct.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let err = std::io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EEXIST) => Err(VaultError::Exists(to.to_path_buf())),
        // File systems without RENAME_NOREPLACE: check, then rename (the ledger lock is held).
        Some(libc::EINVAL) | Some(libc::ENOSYS) => {
            if to.exists() {
                return Err(VaultError::Exists(to.to_path_buf()));
            }
            fs::rename(from, to).map_err(VaultError::io("cannot rename into", to))
        }
        _ => Err(VaultError::Io {
            action: "cannot rename into",
            path: to.to_path_buf(),
            source: err,
        }),
    }
}

/// SHA-256 and size of a file, read in blocks so memory does not grow with the file.
pub fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    hash_reader(File::open(path)?, &mut vec![0u8; 256 * 1024])
}

/// SHA-256 (hex) and length of everything `r` yields, read through `buf`.
pub fn hash_reader(mut r: impl Read, buf: &mut [u8]) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    loop {
        let n = match r.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

/// Opens a file for reading without following a symbolic link in the last component.
pub fn open_nofollow(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}
