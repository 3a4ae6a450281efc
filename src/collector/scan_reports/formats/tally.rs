//! What the web, TLS and network parsers (ZAP, Nessus, testssl.sh, sslyze) share: a running tally
//! of findings that keeps only counts and the critical and high ones, and small input helpers.

use std::io::{self, BufRead};

use chrono::{DateTime, NaiveDateTime, Utc};

use super::{Format, ParseError, ReportFinding, ScanSeverity, Summary};

/// Counts by severity and the critical and high findings (the JSON parsers' [`super::json::Tally`]),
/// plus the targets, filled as a report streams by.
pub(super) struct Tally {
    found: super::json::Tally,
    /// Targets in the order first seen, without repeats.
    targets: Vec<String>,
}

impl Tally {
    pub(super) fn new() -> Tally {
        Tally {
            found: super::json::Tally::default(),
            targets: Vec::new(),
        }
    }

    /// Counts one finding; `describe` (id, location, title) is only called for critical and high
    /// ones, so the others cost no allocation.
    pub(super) fn add(
        &mut self,
        severity: ScanSeverity,
        describe: impl FnOnce() -> (String, String, Option<String>),
    ) {
        self.found.count(severity, || {
            let (id, location, title) = describe();
            ReportFinding {
                id,
                severity,
                location,
                title,
            }
        });
    }

    pub(super) fn target(&mut self, target: String) {
        if !self.targets.contains(&target) {
            self.targets.push(target);
        }
    }

    pub(super) fn into_summary(
        self,
        format: Format,
        scanner: &str,
        scanner_version: Option<String>,
        scanned_at: Option<DateTime<Utc>>,
    ) -> Summary {
        Summary {
            format,
            scanner: scanner.to_string(),
            scanner_version: scanner_version.filter(|v| !v.trim().is_empty()),
            targets: self.targets,
            scanned_at,
            counts: self.found.counts,
            findings: self.found.findings,
        }
    }
}

pub(super) fn malformed(format: Format, reason: impl Into<String>) -> ParseError {
    ParseError::Malformed {
        format,
        reason: reason.into(),
    }
}

/// Skips a UTF-8 byte order mark, which detection ignores and the parsers would choke on.
pub(super) fn skip_bom(r: &mut dyn BufRead) -> io::Result<()> {
    if r.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        r.consume(3);
    }
    Ok(())
}

/// A report's local, zone-less time, read as UTC (the scanners write no offset).
pub(super) fn naive_utc(text: &str, pattern: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text.trim(), pattern)
        .ok()
        .map(|t| t.and_utc())
}

/// A JSON reader's error as a reason: serde_json's text already names the line and column.
pub(super) fn json_malformed(format: Format, error: serde_json::Error) -> ParseError {
    if error.is_io() {
        return ParseError::Io(error.into());
    }
    malformed(format, error.to_string())
}

/// Reads a whole JSON document of type `T` from `r` with nothing after it but whitespace.
pub(super) fn read_json<T: serde::de::DeserializeOwned>(
    format: Format,
    r: &mut dyn BufRead,
) -> Result<T, ParseError> {
    read_json_seed(format, r, std::marker::PhantomData::<T>)
}

/// Reads a whole JSON document through `seed` (a visitor that tallies as it goes).
pub(super) fn read_json_seed<T>(
    format: Format,
    r: &mut dyn BufRead,
    seed: impl for<'de> serde::de::DeserializeSeed<'de, Value = T>,
) -> Result<T, ParseError> {
    skip_bom(r)?;
    let mut de = serde_json::Deserializer::from_reader(r);
    let value = seed
        .deserialize(&mut de)
        .map_err(|e| json_malformed(format, e))?;
    de.end().map_err(|e| json_malformed(format, e))?;
    Ok(value)
}

/// A JSON scalar read as text: scanners write numbers as strings in one version and as numbers
/// in the next.
#[derive(Debug, Default, Clone)]
pub(super) struct Scalar(pub(super) String);

impl<'de> serde::Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// Most text an XML element may contribute to a summary; the rest is dropped, so one huge
/// element cannot grow memory.
const XML_TEXT_CAP: usize = 4096;

/// A streaming XML reader that keeps the few elements a parser asks for and skips the rest
/// without buffering their text (ZAP and Nessus reports carry whole HTTP bodies and plugin
/// outputs).
pub(super) struct Xml<'r> {
    reader: quick_xml::Reader<&'r mut dyn BufRead>,
    /// Reused for every event.
    buf: Vec<u8>,
    format: Format,
}

/// One structural event, owned so the parser can keep what it needs.
pub(super) enum Node {
    /// A start tag: name and attributes. `empty` for `<a/>`, which has no end event.
    Open {
        name: String,
        attrs: Vec<(String, String)>,
        empty: bool,
    },
    Close(String),
    End,
}

impl<'r> Xml<'r> {
    pub(super) fn new(format: Format, r: &'r mut dyn BufRead) -> Result<Xml<'r>, ParseError> {
        skip_bom(r)?;
        let mut reader = quick_xml::Reader::from_reader(r);
        reader.config_mut().check_end_names = true;
        Ok(Xml {
            reader,
            buf: Vec::new(),
            format,
        })
    }

    fn error(&self, error: quick_xml::Error) -> ParseError {
        xml_error(self.format, self.reader.error_position(), error)
    }

    /// The position reached, for messages about structure.
    pub(super) fn position(&self) -> u64 {
        self.reader.buffer_position()
    }

    /// The next start or end tag, or the end of input; text between tags is skipped unread.
    pub(super) fn next(&mut self) -> Result<Node, ParseError> {
        use quick_xml::events::Event;
        loop {
            self.skip_raw_text()?;
            self.buf.clear();
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(e) => e,
                Err(e) => return Err(self.error(e)),
            };
            let (start, empty) = match event {
                Event::Start(s) => (s, false),
                Event::Empty(s) => (s, true),
                Event::End(e) => {
                    return Ok(Node::Close(e.name().as_ref().to_string()));
                }
                Event::Eof => return Ok(Node::End),
                _ => continue,
            };
            let name = start.name().as_ref().to_string();
            let mut attrs = Vec::new();
            for attr in start.attributes() {
                let at = self.reader.buffer_position();
                let attr = attr.map_err(|e| xml_error(self.format, at, e.into()))?;
                let value = attr
                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .map_err(|e| xml_error(self.format, at, e))?;
                attrs.push((attr.key.as_ref().to_string(), value.into_owned()));
            }
            return Ok(Node::Open { name, attrs, empty });
        }
    }

    /// The text of the element just opened (not an empty one), up to its end tag, which is
    /// consumed; nested elements are skipped.
    pub(super) fn text(&mut self) -> Result<String, ParseError> {
        use quick_xml::events::Event;
        let mut text = String::new();
        let mut depth = 0usize;
        loop {
            self.buf.clear();
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(e) => e,
                Err(e) => return Err(self.error(e)),
            };
            let piece: std::borrow::Cow<str> = match event {
                Event::Start(_) => {
                    depth += 1;
                    continue;
                }
                Event::End(_) if depth == 0 => return Ok(text),
                Event::End(_) => {
                    depth -= 1;
                    continue;
                }
                Event::Eof => {
                    return Err(malformed(
                        self.format,
                        format!(
                            "the file ends inside an element at byte {}",
                            self.position()
                        ),
                    ));
                }
                Event::Text(t) if depth == 0 => t.xml10_content(),
                Event::CData(t) if depth == 0 => t.xml10_content(),
                Event::GeneralRef(r) if depth == 0 => match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string().into(),
                    Ok(None) => quick_xml::escape::resolve_predefined_entity(&r.xml10_content())
                        .unwrap_or_default()
                        .into(),
                    Err(e) => return Err(self.error(e)),
                },
                _ => continue,
            };
            if text.len() < XML_TEXT_CAP {
                text.push_str(&piece);
            }
        }
    }

    /// Skips the element just opened (not an empty one) and everything in it.
    pub(super) fn skip(&mut self) -> Result<(), ParseError> {
        let mut depth = 0usize;
        loop {
            match self.next()? {
                Node::Open { empty: false, .. } => depth += 1,
                Node::Open { .. } => {}
                Node::Close(_) if depth == 0 => return Ok(()),
                Node::Close(_) => depth -= 1,
                Node::End => {
                    return Err(malformed(
                        self.format,
                        format!(
                            "the file ends inside an element at byte {}",
                            self.position()
                        ),
                    ));
                }
            }
        }
    }

    /// Consumes raw bytes up to the next `<` without keeping them: a 50 MB response body costs
    /// no memory. Entities in skipped text go unchecked, which is fine for text nobody reads.
    fn skip_raw_text(&mut self) -> Result<(), ParseError> {
        let mut stream = self.reader.stream();
        loop {
            let chunk = stream.fill_buf()?;
            if chunk.is_empty() {
                return Ok(());
            }
            match chunk.iter().position(|&b| b == b'<') {
                Some(at) => {
                    stream.consume(at);
                    return Ok(());
                }
                None => {
                    let len = chunk.len();
                    stream.consume(len);
                }
            }
        }
    }
}

fn xml_error(format: Format, at: u64, error: quick_xml::Error) -> ParseError {
    if let quick_xml::Error::Io(io) = &error {
        return ParseError::Io(io::Error::new(io.kind(), io.to_string()));
    }
    malformed(format, format!("{error} at byte {at}"))
}

/// The value of attribute `name`, if present.
pub(super) fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
