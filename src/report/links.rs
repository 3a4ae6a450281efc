//! Links from the site to the evidence: relative, so the vault (or an unpacked export) can move
//! to a USB stick with its report and every link still works.

use std::path::{Component, Path, PathBuf};

/// The URL prefix from the site folder `site` to the window folder `window`, ending in `/`,
/// relative (both are on one file system tree, so it survives copying them together).
pub fn base_from(site: &Path, window: &Path) -> String {
    let (Some(site), Some(window)) = (absolute(site), absolute(window)) else {
        return "../../".to_string();
    };
    let s: Vec<Component> = site.components().collect();
    let w: Vec<Component> = window.components().collect();
    let common = s.iter().zip(&w).take_while(|(a, b)| a == b).count();
    let mut out = String::new();
    for _ in common..s.len() {
        out.push_str("../");
    }
    for c in &w[common..] {
        out.push_str(&url_segment(&c.as_os_str().to_string_lossy()));
        out.push('/');
    }
    if out.is_empty() {
        out.push_str("./");
    }
    out
}

/// Percent-encodes one path segment for an `href` (names in the vault are plain, but the folders
/// above it need not be).
pub fn url_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A `/`-separated relative path as a URL path, segment by segment.
pub fn url_path(rel: &str) -> String {
    rel.split('/')
        .map(url_segment)
        .collect::<Vec<_>>()
        .join("/")
}

/// The URL of a file of the window folder (`rel`, `/`-separated) from a page `root` away from
/// the site folder (`""` or `"../"`), given the site's `base` (from [`base_from`]).
pub fn evidence(base: &str, root: &str, rel: &str) -> String {
    format!("{root}{base}{}", url_path(rel))
}

fn absolute(p: &Path) -> Option<PathBuf> {
    let p = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(p)
    };
    // Lexical clean-up only: the site folder may not exist yet.
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_the_vault_the_site_climbs_two_folders() {
        assert_eq!(
            base_from(Path::new("/v/2026/derived/report"), Path::new("/v/2026")),
            "../../"
        );
    }

    #[test]
    fn a_site_elsewhere_links_across() {
        assert_eq!(
            base_from(Path::new("/media/usb/report"), Path::new("/srv/vault/q 1")),
            "../../../srv/vault/q%201/"
        );
    }

    #[test]
    fn pages_one_folder_down_climb_one_more() {
        assert_eq!(
            evidence("../../", "../", "2026-01-05/tls/r1/artifacts/a.json"),
            "../../../2026-01-05/tls/r1/artifacts/a.json"
        );
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(url_path("artifacts/a b#c.txt"), "artifacts/a%20b%23c.txt");
    }
}
