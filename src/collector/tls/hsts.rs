//! The `Strict-Transport-Security` header of an HTTPS endpoint's answer to `HEAD /`.

use serde::Serialize;

/// What the HTTPS request showed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Hsts {
    /// The HTTP status code, when a response came.
    pub status: Option<u16>,
    /// The header as sent, when present.
    pub header: Option<String>,
    /// `max-age` in seconds, when the header has a valid one.
    pub max_age: Option<u64>,
    pub include_subdomains: bool,
    pub preload: bool,
    /// Why the header could not be read (no response, not HTTP).
    pub error: Option<String>,
}

impl Hsts {
    pub fn failed(error: String) -> Hsts {
        Hsts {
            error: Some(error),
            ..Hsts::default()
        }
    }

    /// HSTS is in force: a header with a `max-age` above 0 (0 tells browsers to forget it).
    pub fn enabled(&self) -> bool {
        self.max_age.is_some_and(|a| a > 0)
    }
}

/// Where the header block ends (after the blank line), if it has.
pub fn header_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// Reads the status line and the HSTS header of a response's header block.
pub fn parse_response(bytes: &[u8]) -> Hsts {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.split("\r\n");
    let status = lines.next().and_then(|l| {
        let mut parts = l.split_whitespace();
        let proto = parts.next()?;
        if !proto.starts_with("HTTP/") {
            return None;
        }
        parts.next()?.parse::<u16>().ok()
    });
    let Some(status) = status else {
        return Hsts::failed(if bytes.is_empty() {
            "the server closed the connection without an HTTP response".into()
        } else {
            "the answer to `HEAD /` is not HTTP".into()
        });
    };
    let mut out = Hsts {
        status: Some(status),
        ..Hsts::default()
    };
    // RFC 6797 8.1: only the first header counts.
    let header = lines.find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("strict-transport-security")
            .then(|| value.trim().to_string())
    });
    if let Some(value) = header {
        for directive in value.split(';') {
            let directive = directive.trim();
            let (name, arg) = directive.split_once('=').unwrap_or((directive, ""));
            match name.trim().to_ascii_lowercase().as_str() {
                "max-age" => out.max_age = arg.trim().trim_matches('"').parse().ok(),
                "includesubdomains" => out.include_subdomains = true,
                "preload" => out.preload = true,
                _ => {}
            }
        }
        out.header = Some(value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_header_with_its_directives() {
        let h = parse_response(
            b"HTTP/1.1 301 Moved\r\nLocation: /x\r\nstrict-transport-security: max-age=\"31536000\"; includeSubDomains\r\nStrict-Transport-Security: max-age=0\r\n\r\n",
        );
        assert_eq!(h.status, Some(301));
        assert_eq!(h.max_age, Some(31_536_000));
        assert!(h.include_subdomains && !h.preload && h.enabled());
        let off =
            parse_response(b"HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=0\r\n\r\n");
        assert!(!off.enabled());
        let none = parse_response(b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\n");
        assert_eq!((none.status, none.header), (Some(200), None));
        assert_eq!(
            parse_response(b"SSH-2.0-OpenSSH\r\n").error.as_deref(),
            Some("the answer to `HEAD /` is not HTTP")
        );
        assert_eq!(header_end(b"HTTP/1.1 200 OK\r\n\r\nbody"), Some(19));
    }
}
