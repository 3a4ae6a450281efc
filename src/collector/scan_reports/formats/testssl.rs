//! testssl.sh: CSV (`--csvfile`) and JSON, flat (`--jsonfile`) or pretty (`--jsonfile-pretty`).
//!
//! Severity: CRITICAL, HIGH, MEDIUM and LOW map to themselves and INFO to informational. OK is
//! a check passed, not a finding, and is not counted; neither is DEBUG. WARN (a check testssl.sh
//! could not complete) and FATAL (a scan aborted) count as unknown: something was not checked.
//! Any other label counts as unknown too. One finding per row or JSON entry; its id is testssl's
//! `id` followed by the `cve` field when set, its location the target, its title the `finding`.
//!
//! A target is `fqdn/ip:port`, as testssl.sh writes `fqdn/ip` (pretty JSON: `targetHost/ip`).
//! Only the pretty JSON carries a time, `startTime` (Unix seconds; `scanTime` is a duration) and
//! a `version`; CSV and flat JSON have neither.
//!
//! The JSON parsers follow testssl.sh's documented output (no real JSON report was at hand) and
//! are tested with reports the tests build. Entries are counted as they stream past; only the
//! critical and high ones are kept.

use std::io::{self, BufRead, Read};

use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::tally::{Scalar, Tally, malformed, read_json_seed, skip_bom};
use super::{Format, ParseError, ScanSeverity, Summary};

const SCANNER: &str = "testssl.sh";

/// The format of a report whose first bytes are `head`, if it is this module's.
pub(super) fn detect(head: &str) -> Option<Format> {
    let first_line = head.lines().next().unwrap_or_default().replace('"', "");
    if first_line.starts_with("id,fqdn/ip,port,severity,finding") {
        return Some(Format::TestsslCsv);
    }
    let compact: String = head
        .chars()
        .filter(|c| !c.is_whitespace())
        .take(16)
        .collect();
    if compact.starts_with("[{\"id\":") && head.contains("\"finding\"") {
        return Some(Format::TestsslJson);
    }
    if head.starts_with('{') && head.contains("\"scanResult\"") && head.contains("\"Invocation\"") {
        return Some(Format::TestsslJson);
    }
    None
}

/// Reads a whole report of `format` (one this module detected).
pub(super) fn parse(format: Format, r: &mut dyn BufRead) -> Result<Summary, ParseError> {
    match format {
        Format::TestsslJson => parse_json(format, r),
        _ => parse_csv(format, r),
    }
}

/// The severity of a testssl.sh label; `None` for labels that are not findings.
fn severity(label: &str) -> Option<ScanSeverity> {
    Some(match label.trim().to_ascii_uppercase().as_str() {
        "CRITICAL" => ScanSeverity::Critical,
        "HIGH" => ScanSeverity::High,
        "MEDIUM" => ScanSeverity::Medium,
        "LOW" => ScanSeverity::Low,
        "INFO" => ScanSeverity::Info,
        "OK" | "DEBUG" => return None,
        _ => ScanSeverity::Unknown,
    })
}

fn describe(id: &str, cve: &str, target: &str, finding: &str) -> (String, String, Option<String>) {
    let id = match cve.trim() {
        "" => id.trim().to_string(),
        cve => format!("{} {cve}", id.trim()),
    };
    let title = Some(finding.trim().to_string()).filter(|f| !f.is_empty());
    (id, target.to_string(), title)
}

fn target(host: &str, port: &str) -> String {
    format!("{}:{}", host.trim(), port.trim())
}

/// Remembers the last byte read: testssl.sh ends every row with a newline, so a file that does
/// not was cut short (the CSV reader would take a cut last row as complete).
struct LastByte<'r> {
    inner: &'r mut dyn BufRead,
    last: Option<u8>,
}

impl Read for LastByte<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.last = Some(buf[n - 1]);
        }
        Ok(n)
    }
}

fn parse_csv(format: Format, r: &mut dyn BufRead) -> Result<Summary, ParseError> {
    skip_bom(r)?;
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(LastByte {
            inner: r,
            last: None,
        });
    let csv_error = |e: csv::Error| match e.kind() {
        csv::ErrorKind::Io(io) => ParseError::Io(io::Error::new(io.kind(), io.to_string())),
        _ => malformed(format, e.to_string()),
    };
    let headers = csv.headers().map_err(csv_error)?.clone();
    let column = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(id), Some(host), Some(port), Some(sev), Some(finding)) = (
        column("id"),
        column("fqdn/ip"),
        column("port"),
        column("severity"),
        column("finding"),
    ) else {
        return Err(malformed(
            format,
            "the header row (line 1) lacks one of id, fqdn/ip, port, severity, finding: not a testssl.sh \
             CSV file",
        ));
    };
    let cve = column("cve");
    let mut tally = Tally::new();
    let mut row = csv::StringRecord::new();
    while csv.read_record(&mut row).map_err(csv_error)? {
        let field = |i: usize| row.get(i).unwrap_or_default();
        let place = target(field(host), field(port));
        if !field(host).trim().is_empty() {
            tally.target(place.clone());
        }
        if let Some(severity) = severity(field(sev)) {
            let cve = cve.map(field).unwrap_or_default();
            tally.add(severity, || {
                describe(field(id), cve, &place, field(finding))
            });
        }
    }
    let line = csv.position().line();
    if csv.get_ref().last.is_some_and(|b| b != b'\n') {
        return Err(malformed(
            format,
            format!("the last row (line {line}) has no line end: the file is truncated"),
        ));
    }
    Ok(tally.into_summary(format, SCANNER, None, None))
}

/// One testssl.sh JSON entry.
#[derive(Deserialize)]
struct Entry {
    id: String,
    /// `fqdn/ip` in flat JSON; absent in pretty JSON, where the host carries it.
    #[serde(default)]
    ip: Option<String>,
    #[serde(default)]
    port: Option<Scalar>,
    severity: String,
    #[serde(default)]
    cve: Option<String>,
    #[serde(default)]
    finding: Option<String>,
}

/// Counts a list of entries as it streams past. `host` is the pretty JSON's target for every
/// entry; flat JSON entries name their own. Anything but a list (a pretty host's `service`) is
/// skipped.
struct EntriesSeed<'a> {
    tally: &'a mut Tally,
    host: Option<&'a str>,
}

impl<'de> serde::de::DeserializeSeed<'de> for EntriesSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EntriesSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of testssl.sh entries")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(e) = seq.next_element::<Entry>()? {
            let place = match (self.host, &e.ip) {
                (Some(host), _) => host.to_string(),
                (None, Some(ip)) => {
                    let port = e.port.as_ref().map(|p| p.0.as_str()).unwrap_or_default();
                    let place = target(ip, port);
                    self.tally.target(place.clone());
                    place
                }
                // Entries about the scanning client (e.g. `engine_problem`) have no target.
                (None, None) => String::new(),
            };
            let Some(severity) = severity(&e.severity) else {
                continue;
            };
            self.tally.add(severity, || {
                describe(
                    &e.id,
                    e.cve.as_deref().unwrap_or_default(),
                    &place,
                    e.finding.as_deref().unwrap_or_default(),
                )
            });
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// What a whole JSON report yields besides the tally.
#[derive(Default)]
struct Header {
    version: Option<String>,
    start_time: Option<String>,
}

/// A whole report: a list (flat) or an object with `scanResult` (pretty).
struct ReportSeed<'a> {
    tally: &'a mut Tally,
}

impl<'de> serde::de::DeserializeSeed<'de> for ReportSeed<'_> {
    type Value = Header;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Header, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ReportSeed<'_> {
    type Value = Header;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a testssl.sh JSON report (a list of entries, or an object with scanResult)")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Header, A::Error> {
        EntriesSeed {
            tally: self.tally,
            host: None,
        }
        .visit_seq(seq)?;
        Ok(Header::default())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header, A::Error> {
        let mut header = Header::default();
        let mut hosts = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "version" => header.version = Some(map.next_value::<Scalar>()?.0.trim().into()),
                "startTime" => header.start_time = Some(map.next_value::<Scalar>()?.0),
                "scanResult" => {
                    hosts = true;
                    map.next_value_seed(HostsSeed {
                        tally: &mut *self.tally,
                    })?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !hosts {
            return Err(serde::de::Error::missing_field("scanResult"));
        }
        Ok(header)
    }
}

/// The pretty JSON's `scanResult`: one object per host and port.
struct HostsSeed<'a> {
    tally: &'a mut Tally,
}

impl<'de> serde::de::DeserializeSeed<'de> for HostsSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for HostsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of scanned hosts")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(HostSeed {
                tally: &mut *self.tally,
            })?
            .is_some()
        {}
        Ok(())
    }
}

/// One scanned host: `targetHost`, `ip` and `port` first, then lists of entries by section.
struct HostSeed<'a> {
    tally: &'a mut Tally,
}

impl<'de> serde::de::DeserializeSeed<'de> for HostSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HostSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a scanned host")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (mut name, mut ip, mut port) = (String::new(), String::new(), String::new());
        let mut place: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            let slot = match key.as_str() {
                "targetHost" => &mut name,
                "ip" => &mut ip,
                "port" => &mut port,
                _ => {
                    let host = place.get_or_insert_with(|| {
                        let host = match (name.is_empty(), ip.is_empty()) {
                            (false, false) => format!("{name}/{ip}"),
                            (true, _) => ip.clone(),
                            (false, true) => name.clone(),
                        };
                        target(&host, &port)
                    });
                    self.tally.target(host.clone());
                    map.next_value_seed(EntriesSeed {
                        tally: &mut *self.tally,
                        host: Some(host),
                    })?;
                    continue;
                }
            };
            *slot = map.next_value::<Scalar>()?.0;
        }
        Ok(())
    }
}

fn parse_json(format: Format, r: &mut dyn BufRead) -> Result<Summary, ParseError> {
    let mut tally = Tally::new();
    let header = read_json_seed(format, r, ReportSeed { tally: &mut tally })?;
    let scanned_at = header
        .start_time
        .and_then(|t| t.trim().parse::<i64>().ok())
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0));
    Ok(tally.into_summary(format, SCANNER, header.version, scanned_at))
}
