//! `config.example.toml` is what a newcomer runs and reads: it must load, and it must document
//! every key the config structs accept, so a new field without an example fails here.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::de::{self, Deserialize, Visitor};
use toml::de::{DeTable, DeValue};

use super::load::SECTIONS;
use super::{AgentSettings, CollectorSettings, HttpSettings, Window, parse};

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml")
}

fn example() -> String {
    std::fs::read_to_string(example_path()).expect("config.example.toml at the repository root")
}

/// The example with every optional key and example section switched on: each `# key = …` and
/// `# [table]` line loses its `# `; `##` prose stays a comment.
fn switched_on(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        match line.strip_prefix("# ") {
            Some(rest) if is_key_or_table(rest) => out.push_str(rest),
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

fn is_key_or_table(line: &str) -> bool {
    if line.starts_with('[') {
        return true;
    }
    line.split_once('=').is_some_and(|(key, _)| {
        let key = key.trim();
        !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    })
}

/// The field names serde knows for `T`, as given to `deserialize_struct`: the same list that
/// `deny_unknown_fields` accepts, so it follows every field added to the struct.
fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    struct Capture<'a>(&'a mut &'static [&'static str]);
    impl<'de> de::Deserializer<'de> for Capture<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("captured"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
            unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Capture(&mut fields));
    assert!(
        !fields.is_empty(),
        "{} has no serde fields",
        std::any::type_name::<T>()
    );
    fields
}

fn keys(table: &DeTable) -> Vec<String> {
    table.iter().map(|(k, _)| k.get_ref().to_string()).collect()
}

fn missing(fields: &[&str], present: &[String]) -> Vec<String> {
    fields
        .iter()
        .filter(|f| !present.iter().any(|p| p == *f))
        .map(|f| f.to_string())
        .collect()
}

#[test]
fn example_loads_and_is_what_the_readme_promises() {
    let config = match parse(&example_path(), &example()) {
        Ok(c) => c,
        Err(e) => panic!("config.example.toml does not load:\n{e}"),
    };
    assert_eq!(
        config.vault_dir(),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("vault")
    );
    assert_eq!(config.http.listen.to_string(), "127.0.0.1:9464");
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
    let window = config
        .window_for(day(2026, 11, 23))
        .expect("a window covering 2026-11-23");
    // README's vault example shows this window's folder.
    assert_eq!(window.name, "2026-h2");
    assert_eq!(
        (window.start, window.end),
        (day(2026, 7, 1), day(2026, 12, 31))
    );
    let host = config
        .collectors
        .get("host-baseline")
        .expect("[collectors.host-baseline]");
    assert!(
        host.enabled && host.schedule.is_some() && host.secrets.is_empty(),
        "{host:?}"
    );
    assert!(config.warnings().is_empty(), "{:?}", config.warnings());
    // `collect` on the example records the GitHub collector as skipped, naming GITHUB_TOKEN.
    let github = config
        .collectors
        .get("github-pull-requests")
        .expect("[collectors.github-pull-requests]");
    assert_eq!(
        github.secrets.get("GITHUB_TOKEN").map(|s| s.to_string()),
        Some("env:GITHUB_TOKEN".to_string())
    );
    assert!(config.github.is_some(), "[github]");
}

#[test]
fn every_optional_line_of_the_example_is_valid_and_shows_the_default() {
    let on = switched_on(&example());
    let config = match parse(&example_path(), &on) {
        Ok(c) => c,
        Err(e) => {
            panic!("config.example.toml with its `# ` lines switched on does not load:\n{e}\n{on}")
        }
    };
    // `# key = value` claims the value is the default.
    assert_eq!(
        format!("{:?}", config.agent),
        format!("{:?}", AgentSettings::default())
    );
    assert_eq!(
        format!("{:?}", config.http),
        format!("{:?}", HttpSettings::default())
    );
    let github = config.github.clone().expect("[github]");
    let defaults = crate::collector::github::GithubSettings {
        organizations: github.organizations.clone(),
        app_id: github.app_id,
        installation_id: github.installation_id,
        ..Default::default()
    };
    assert_eq!(format!("{github:?}"), format!("{defaults:?}"));
    let aws = config.aws.clone().expect("[aws]");
    let defaults = crate::collector::aws_iam::AwsSettings {
        endpoint_url: aws.endpoint_url.clone(),
        region: aws.region.clone(),
        accounts: aws.accounts.clone(),
        ..Default::default()
    };
    assert_eq!(format!("{aws:?}"), format!("{defaults:?}"));
    assert_eq!(aws.accounts.len(), 1, "an example of an assumed account");
    let tls = config.tls.clone().expect("[tls]");
    let defaults = crate::collector::tls::TlsSettings {
        endpoints: tls.endpoints.clone(),
        ca_file: tls.ca_file.clone(),
        ..Default::default()
    };
    assert_eq!(format!("{tls:?}"), format!("{defaults:?}"));
    assert!(!tls.endpoints.is_empty(), "an example endpoint");
    let scans = config.scan_reports.clone().expect("[scan_reports]");
    let defaults = crate::collector::scan_reports::ScanReportSettings {
        directories: scans.directories.clone(),
        expect: scans.expect.clone(),
        ..Default::default()
    };
    assert_eq!(format!("{scans:?}"), format!("{defaults:?}"));
    assert_eq!(scans.expect.len(), 1, "an example of an expected cadence");
    assert!(
        config.collectors.values().any(|c| !c.secrets.is_empty()),
        "an example of granting a secret"
    );
}

#[test]
fn example_documents_every_key_of_every_section() {
    let on = switched_on(&example());
    let root = DeTable::parse(&on)
        .expect("the switched-on example is TOML")
        .into_inner();
    let table = |name: &str| match root.get(name).map(|v| v.get_ref()) {
        Some(DeValue::Table(t)) => t.clone(),
        other => panic!("`{name}` is not a table in the example: {other:?}"),
    };
    assert_eq!(
        missing(SECTIONS, &keys(&root)),
        Vec::<String>::new(),
        "top-level sections"
    );
    assert_eq!(
        missing(fields_of::<AgentSettings>(), &keys(&table("agent"))),
        Vec::<String>::new(),
        "[agent]"
    );
    assert_eq!(
        missing(fields_of::<HttpSettings>(), &keys(&table("http"))),
        Vec::<String>::new(),
        "[http]"
    );
    let Some(DeValue::Array(windows)) = root.get("windows").map(|v| v.get_ref()) else {
        panic!("[[windows]] missing");
    };
    for w in windows.iter() {
        let w = w.get_ref().as_table().expect("a window is a table");
        assert_eq!(
            missing(fields_of::<Window>(), &keys(w)),
            Vec::<String>::new(),
            "[[windows]]"
        );
    }
    assert_eq!(
        missing(
            fields_of::<crate::collector::github::GithubSettings>(),
            &keys(&table("github"))
        ),
        Vec::<String>::new(),
        "[github]"
    );
    assert_eq!(
        missing(
            fields_of::<crate::collector::aws_iam::AwsSettings>(),
            &keys(&table("aws"))
        ),
        Vec::<String>::new(),
        "[aws]"
    );
    assert_eq!(
        missing(
            fields_of::<crate::collector::tls::TlsSettings>(),
            &keys(&table("tls"))
        ),
        Vec::<String>::new(),
        "[tls]"
    );
    let tls = table("tls");
    let Some(DeValue::Array(endpoints)) = tls.get("endpoints").map(|v| v.get_ref()) else {
        panic!("[[tls.endpoints]] missing");
    };
    let shown: Vec<String> = endpoints
        .iter()
        .filter_map(|e| e.get_ref().as_table())
        .flat_map(keys)
        .collect();
    assert_eq!(
        missing(
            fields_of::<crate::collector::tls::config::TlsEndpoint>(),
            &shown
        ),
        Vec::<String>::new(),
        "[[tls.endpoints]]"
    );
    assert_eq!(
        missing(
            fields_of::<crate::collector::scan_reports::ScanReportSettings>(),
            &keys(&table("scan_reports"))
        ),
        Vec::<String>::new(),
        "[scan_reports]"
    );
    // Each collector key must be shown in at least one collector table.
    let collectors = table("collectors");
    let shown: Vec<String> = collectors
        .iter()
        .filter_map(|(_, c)| c.get_ref().as_table())
        .flat_map(keys)
        .collect();
    assert_eq!(
        missing(fields_of::<CollectorSettings>(), &shown),
        Vec::<String>::new(),
        "[collectors.NAME]"
    );
}

#[test]
fn the_field_list_follows_the_structs() {
    // Guards the guard: if capturing stopped working, the checks above would pass vacuously.
    assert!(fields_of::<AgentSettings>().contains(&"shutdown_grace_secs"));
    assert!(fields_of::<HttpSettings>().contains(&"allow_remote"));
    assert_eq!(fields_of::<Window>(), &["name", "start", "end"]);
    assert!(fields_of::<CollectorSettings>().contains(&"secrets"));
    assert!(!missing(&["listen", "brand_new_key"], &["listen".to_string()]).is_empty());
}
