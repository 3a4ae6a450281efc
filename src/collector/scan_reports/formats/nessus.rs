//! Nessus: the `.nessus` v2 XML export (`NessusClientData_v2`).
//!
//! Severity: a `ReportItem`'s `severity` 4 is critical, 3 high, 2 medium, 1 low, 0 informational;
//! anything else counts as unknown. One finding per `ReportItem` (a plugin's result on a host and
//! port). Its id is the `pluginID`, followed by the plugin's CVEs (the first ten, then how many
//! more); its location `host:port/protocol`; its title the `pluginName`.
//!
//! The targets are the `ReportHost` names. The scan time is the earliest host start:
//! `HOST_START_TIMESTAMP` (Unix seconds) where present, else `HOST_START`
//! ("Tue Jun 25 10:32:42 2013"), which has no zone and is read as UTC. The scanner version comes
//! from the "Nessus version : 5.2.1" line of plugin 19506 (Nessus Scan Information), when run.
//! The policy and the plugins' descriptions and outputs are skipped without being kept.

use std::io::BufRead;

use chrono::{DateTime, Utc};

use super::tally::{Node, Tally, Xml, attr, malformed, naive_utc};
use super::{Format, ParseError, ScanSeverity, Summary};

const SCANNER: &str = "Nessus";
/// Nessus Scan Information, whose output names the scanner's version.
const SCAN_INFO_PLUGIN: &str = "19506";
/// CVEs named in a finding's id; a plugin may list hundreds.
const MAX_CVES: usize = 10;

/// The format of a report whose first bytes are `head`, if it is this module's.
pub(super) fn detect(head: &str) -> Option<Format> {
    (head.starts_with('<') && head.contains("<NessusClientData_v2")).then_some(Format::NessusXml)
}

/// The `ReportItem` being read.
struct Item {
    severity: ScanSeverity,
    plugin: String,
    name: String,
    port: String,
    protocol: String,
    cves: Vec<String>,
    /// CVEs past [`MAX_CVES`], counted only.
    more_cves: usize,
}

impl Item {
    fn new(attrs: &[(String, String)]) -> Item {
        let get = |k| attr(attrs, k).unwrap_or_default().to_string();
        let severity = match attr(attrs, "severity").map(str::trim) {
            Some("4") => ScanSeverity::Critical,
            Some("3") => ScanSeverity::High,
            Some("2") => ScanSeverity::Medium,
            Some("1") => ScanSeverity::Low,
            Some("0") => ScanSeverity::Info,
            _ => ScanSeverity::Unknown,
        };
        Item {
            severity,
            plugin: get("pluginID"),
            name: get("pluginName"),
            port: get("port"),
            protocol: get("protocol"),
            cves: Vec::new(),
            more_cves: 0,
        }
    }

    fn count_into(self, host: &str, tally: &mut Tally) {
        tally.add(self.severity, || {
            let mut id = self.plugin;
            if !self.cves.is_empty() {
                id = format!("{id} {}", self.cves.join(" "));
            }
            if self.more_cves > 0 {
                id = format!("{id} (and {} more CVEs)", self.more_cves);
            }
            let location = format!("{host}:{}/{}", self.port, self.protocol);
            (id, location, Some(self.name).filter(|n| !n.is_empty()))
        });
    }
}

fn host_start(tag: &str, text: &str) -> Option<DateTime<Utc>> {
    if tag == "HOST_START_TIMESTAMP" {
        return text
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0));
    }
    naive_utc(
        &text.split_whitespace().collect::<Vec<_>>().join(" "),
        "%a %b %d %H:%M:%S %Y",
    )
}

/// Reads a whole report of `format` (one this module detected).
pub(super) fn parse(format: Format, r: &mut dyn BufRead) -> Result<Summary, ParseError> {
    let mut xml = Xml::new(format, r)?;
    let mut tally = Tally::new();
    let mut version: Option<String> = None;
    // The earliest start by timestamp, and by text; the text is local time, so it is used only
    // when no host has a timestamp.
    let mut earliest: [Option<DateTime<Utc>>; 2] = [None, None];
    let mut root = (false, false);
    let mut host = String::new();
    let mut in_properties = false;
    let mut item: Option<Item> = None;
    loop {
        match xml.next()? {
            Node::Open { name, attrs, empty } => match name.as_str() {
                "NessusClientData_v2" if !root.0 => {
                    root = (true, empty);
                }
                _ if !root.0 => {
                    return Err(malformed(
                        format,
                        format!("the root element is <{name}>, not <NessusClientData_v2>"),
                    ));
                }
                "Report" => {}
                "ReportHost" => {
                    host = attr(&attrs, "name").unwrap_or_default().to_string();
                    if !host.is_empty() {
                        tally.target(host.clone());
                    }
                }
                "HostProperties" => in_properties = !empty,
                "tag" if in_properties && !empty => {
                    let tag = attr(&attrs, "name").unwrap_or_default().to_string();
                    if tag == "HOST_START" || tag == "HOST_START_TIMESTAMP" {
                        let at = host_start(&tag, &xml.text()?);
                        let slot = &mut earliest[usize::from(tag == "HOST_START")];
                        *slot = match (*slot, at) {
                            (Some(a), Some(b)) => Some(a.min(b)),
                            (a, b) => a.or(b),
                        };
                    } else {
                        xml.skip()?;
                    }
                }
                "ReportItem" => {
                    let new = Item::new(&attrs);
                    if empty {
                        new.count_into(&host, &mut tally);
                    } else {
                        item = Some(new);
                    }
                }
                "cve" if !empty => {
                    let text = xml.text()?;
                    if let Some(i) = item.as_mut() {
                        if i.cves.len() < MAX_CVES {
                            i.cves.push(text.trim().to_string());
                        } else {
                            i.more_cves += 1;
                        }
                    }
                }
                "plugin_output"
                    if !empty
                        && version.is_none()
                        && item.as_ref().is_some_and(|i| i.plugin == SCAN_INFO_PLUGIN) =>
                {
                    version = xml.text()?.lines().find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        (k.trim() == "Nessus version").then(|| v.trim().to_string())
                    });
                }
                _ if !empty => xml.skip()?,
                _ => {}
            },
            Node::Close(name) => match name.as_str() {
                "HostProperties" => in_properties = false,
                "ReportItem" => {
                    if let Some(i) = item.take() {
                        i.count_into(&host, &mut tally);
                    }
                }
                "NessusClientData_v2" => root.1 = true,
                _ => {}
            },
            Node::End => break,
        }
    }
    if !root.0 {
        return Err(malformed(
            format,
            "no <NessusClientData_v2> element: the file is empty or not a .nessus v2 export",
        ));
    }
    if !root.1 {
        return Err(malformed(
            format,
            format!(
                "the file ends at byte {} before </NessusClientData_v2>: it is truncated",
                xml.position()
            ),
        ));
    }
    Ok(tally.into_summary(format, SCANNER, version, earliest[0].or(earliest[1])))
}
