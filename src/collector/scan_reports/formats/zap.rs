//! OWASP ZAP: the traditional XML report (`-x`, `OWASPZAPReport`) and the traditional JSON
//! report (`-J`).
//!
//! Severity: `riskcode` 3 is high, 2 medium, 1 low, 0 informational; ZAP has no critical, and a
//! missing or other risk code counts as unknown. One finding per alert item (an alert type on a
//! site), not per instance; its location is the first instance's URI and how many more there are
//! (from `count`, else the instances listed). The id is `alertRef` (the plugin id plus a variant)
//! or else `pluginid`.
//!
//! `generated` ("Sun, 22 Jun 2025 04:04:14") carries no zone: ZAP writes the scanning host's
//! local time, read here as UTC.
//!
//! The XML parser skips request and response headers and bodies without keeping them. The JSON
//! parser follows ZAP's documented traditional-json template (`@programName`, `@version`,
//! `@generated`, `site[].alerts[]` with string `riskcode` and `count`); no real ZAP JSON report
//! was at hand, so it is tested with reports the tests build.

use std::io::BufRead;

use serde::Deserialize;

use super::tally::{Node, Scalar, Tally, Xml, attr, naive_utc, read_json};
use super::{Format, ParseError, ScanSeverity, Summary};

const SCANNER: &str = "OWASP ZAP";

/// The format of a report whose first bytes are `head`, if it is this module's.
pub(super) fn detect(head: &str) -> Option<Format> {
    if head.starts_with('<') && head.contains("<OWASPZAPReport") {
        return Some(Format::ZapXml);
    }
    if head.starts_with('{') && head.contains("\"@generated\"") && head.contains("\"site\"") {
        return Some(Format::ZapJson);
    }
    None
}

/// Reads a whole report of `format` (one this module detected).
pub(super) fn parse(format: Format, r: &mut dyn BufRead) -> Result<Summary, ParseError> {
    match format {
        Format::ZapJson => parse_json(format, r),
        _ => parse_xml(format, r),
    }
}

/// One alert item, as both report kinds carry it.
#[derive(Debug, Default, Deserialize)]
struct Alert {
    /// The scan rule.
    #[serde(default)]
    pluginid: Option<Scalar>,
    /// The scan rule and variant, e.g. `10038-1`; newer reports only.
    #[serde(default, rename = "alertRef")]
    alert_ref: Option<Scalar>,
    #[serde(default)]
    name: Option<String>,
    /// Older reports' name for `name`.
    #[serde(default)]
    alert: Option<String>,
    #[serde(default)]
    riskcode: Option<Scalar>,
    /// How many instances ZAP found (it may list fewer).
    #[serde(default)]
    count: Option<Scalar>,
    #[serde(default)]
    instances: Instances,
}

/// The instances of an alert, of which only the first URI and the number are kept.
#[derive(Debug, Default)]
struct Instances {
    first_uri: Option<String>,
    listed: u64,
}

impl<'de> Deserialize<'de> for Instances {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Instances, D::Error> {
        #[derive(Deserialize)]
        struct Instance {
            #[serde(default)]
            uri: Option<String>,
        }
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Instances;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of instances")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Instances, A::Error> {
                let mut out = Instances::default();
                while let Some(i) = seq.next_element::<Instance>()? {
                    out.listed += 1;
                    if out.first_uri.is_none() {
                        out.first_uri = i.uri;
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_seq(V)
    }
}

impl Alert {
    fn severity(&self) -> ScanSeverity {
        match self.riskcode.as_ref().map(|r| r.0.trim()) {
            Some("3") => ScanSeverity::High,
            Some("2") => ScanSeverity::Medium,
            Some("1") => ScanSeverity::Low,
            Some("0") => ScanSeverity::Info,
            _ => ScanSeverity::Unknown,
        }
    }

    fn count_into(self, site: &str, tally: &mut Tally) {
        let severity = self.severity();
        tally.add(severity, || {
            let id = self
                .alert_ref
                .or(self.pluginid)
                .map(|s| s.0.trim().to_string())
                .unwrap_or_else(|| "unknown-rule".into());
            let found = self
                .count
                .and_then(|c| c.0.trim().parse::<u64>().ok())
                .unwrap_or(self.instances.listed);
            let first = self.instances.first_uri.unwrap_or_else(|| site.to_string());
            let location = match found {
                0 | 1 => first,
                n => format!("{first} (and {} more)", n - 1),
            };
            let title = self.name.or(self.alert).map(|t| t.trim().to_string());
            (id, location, title)
        });
    }
}

fn generated(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    naive_utc(text, "%a, %d %b %Y %H:%M:%S")
}

fn parse_xml(format: Format, r: &mut dyn BufRead) -> Result<Summary, ParseError> {
    let mut xml = Xml::new(format, r)?;
    let mut tally = Tally::new();
    let (mut version, mut scanned_at) = (None, None);
    let mut root = (false, false);
    let mut site = String::new();
    // The alert item being read, and whether we are inside one of its instances.
    let mut alert: Option<Alert> = None;
    let mut in_instance = false;
    loop {
        match xml.next()? {
            Node::Open { name, attrs, empty } => match (name.as_str(), alert.as_mut()) {
                ("OWASPZAPReport", _) if !root.0 => {
                    root.0 = true;
                    version = attr(&attrs, "version").map(str::to_string);
                    scanned_at = attr(&attrs, "generated").and_then(generated);
                    if empty {
                        root.1 = true;
                    }
                }
                (_, _) if !root.0 => {
                    return Err(super::tally::malformed(
                        format,
                        format!("the root element is <{name}>, not <OWASPZAPReport>"),
                    ));
                }
                ("site", None) => {
                    site = attr(&attrs, "name").unwrap_or_default().to_string();
                    if !site.is_empty() {
                        tally.target(site.clone());
                    }
                }
                ("alerts", None) | ("instances", Some(_)) => {}
                ("alertitem", None) if !empty => alert = Some(Alert::default()),
                ("instance", Some(a)) if !empty => {
                    in_instance = true;
                    a.instances.listed += 1;
                }
                ("uri", Some(a)) if in_instance && !empty && a.instances.first_uri.is_none() => {
                    a.instances.first_uri = Some(xml.text()?.trim().to_string());
                }
                (field, Some(a)) if !in_instance && !empty => {
                    let slot = match field {
                        "pluginid" => &mut a.pluginid,
                        "alertRef" => &mut a.alert_ref,
                        "riskcode" => &mut a.riskcode,
                        "count" => &mut a.count,
                        "name" => {
                            a.name = Some(xml.text()?);
                            continue;
                        }
                        "alert" => {
                            a.alert = Some(xml.text()?);
                            continue;
                        }
                        _ => {
                            xml.skip()?;
                            continue;
                        }
                    };
                    *slot = Some(Scalar(xml.text()?));
                }
                _ if !empty => xml.skip()?,
                _ => {}
            },
            Node::Close(name) => match name.as_str() {
                "instance" => in_instance = false,
                "alertitem" => {
                    if let Some(a) = alert.take() {
                        a.count_into(&site, &mut tally);
                    }
                }
                "OWASPZAPReport" => root.1 = true,
                _ => {}
            },
            Node::End => break,
        }
    }
    if !root.0 {
        return Err(super::tally::malformed(
            format,
            "no <OWASPZAPReport> element: the file is empty or not a ZAP XML report",
        ));
    }
    if !root.1 {
        return Err(super::tally::malformed(
            format,
            format!(
                "the file ends at byte {} before </OWASPZAPReport>: it is truncated",
                xml.position()
            ),
        ));
    }
    Ok(tally.into_summary(format, SCANNER, version, scanned_at))
}

/// The top of a traditional-json report.
#[derive(Deserialize)]
struct JsonReport {
    #[serde(rename = "@version", default)]
    version: Option<String>,
    #[serde(rename = "@generated", default)]
    generated: Option<String>,
    /// One entry per site; older ZAP wrote a lone site as an object.
    site: OneOrMany<JsonSite>,
}

#[derive(Deserialize)]
struct JsonSite {
    #[serde(rename = "@name", default)]
    name: String,
    #[serde(default)]
    alerts: Vec<Alert>,
}

/// A list that a scanner may also write as its single element.
struct OneOrMany<T>(Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a site object or a list of them")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(x) = seq.next_element()? {
                    out.push(x);
                }
                Ok(OneOrMany(out))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                let one = T::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(OneOrMany(vec![one]))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

fn parse_json(format: Format, r: &mut dyn BufRead) -> Result<Summary, ParseError> {
    let report: JsonReport = read_json(format, r)?;
    let mut tally = Tally::new();
    for site in report.site.0 {
        if !site.name.is_empty() {
            tally.target(site.name.clone());
        }
        for alert in site.alerts {
            alert.count_into(&site.name, &mut tally);
        }
    }
    let scanned_at = report.generated.as_deref().and_then(generated);
    Ok(tally.into_summary(format, SCANNER, report.version, scanned_at))
}
