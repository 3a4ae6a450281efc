//! The `tls-endpoints` collector through the built binary against real TLS servers on loopback:
//! `openssl s_server` (legacy TLS 1.0, a self-signed certificate) and servers built with the
//! openssl crate (expired, expiring, wrong name, weak key, HSTS present or not), certificates
//! made in the test and trusted through `ca_file`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use openssl::ssl::SslVersion;
use serde_json::Value;

use crate::tls_server::{self, SServer, Spec, ca, ec_key, make, rsa_key, serve};
use crate::util::{Env, findings, run_folders, run_json, text};

const MODERN: (SslVersion, SslVersion) = (SslVersion::TLS1_2, SslVersion::TLS1_3);

fn endpoint(port: u16, sni: &str, extra: &str) -> String {
    format!("[[tls.endpoints]]\nhost = \"127.0.0.1\"\nport = {port}\nsni = \"{sni}\"\n{extra}\n")
}

fn collect(env: &Env) -> Output {
    env.run(&["collect", "tls-endpoints"])
}

/// The only tls-endpoints run of the vault.
fn the_run(env: &Env) -> PathBuf {
    let runs: Vec<PathBuf> = run_folders(&env.vault())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("/tls-endpoints/"))
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs.into_iter().next().unwrap_or_default()
}

fn tls_json(run: &Path, port: u16) -> Value {
    let path = run.join(format!("artifacts/endpoints/127.0.0.1_{port}/tls.json"));
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

fn accepted(doc: &Value) -> Vec<(String, bool)> {
    doc["protocols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["version"].as_str().unwrap().to_string(),
                p["accepted"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn pair(rule: &str, port: u16) -> (String, String) {
    (rule.to_string(), format!("127.0.0.1:{port}"))
}

/// `openssl x509 -fingerprint -sha256` of a PEM file, as the system tool prints it.
fn openssl_fingerprint(pem: &Path) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(pem)
        .output()
        .unwrap();
    let line = String::from_utf8(out.stdout).unwrap();
    line.trim().split_once('=').unwrap().1.to_string()
}

#[test]
fn every_kind_of_endpoint_gives_its_exact_findings_and_verifies() {
    let env = Env::new("");
    let dir = env.path();
    let ca = ca();
    let (ca_pem, _) = ca.write(dir, "ca");
    let leaf = |sans: &[&str]| make(Spec::leaf(sans), ec_key(), Some(&ca));

    let good = leaf(&["good.test", "127.0.0.1"]);
    let (good_pem, _) = good.write(dir, "good");
    let good_port = serve(&good, MODERN, Some("max-age=31536000; includeSubDomains"));
    let plain_port = serve(&leaf(&["plain.test"]), MODERN, None);
    let (legacy_pem, legacy_key) = leaf(&["legacy.test"]).write(dir, "legacy");
    let legacy = SServer::start(&legacy_pem, &legacy_key, &["-tls1"]);
    let expired = make(
        Spec::leaf(&["expired.test"]).days(-100, -3),
        ec_key(),
        Some(&ca),
    );
    let expired_port = serve(&expired, MODERN, None);
    let expiring = make(
        Spec::leaf(&["soon.test"]).days(-80, 10),
        ec_key(),
        Some(&ca),
    );
    let expiring_port = serve(&expiring, MODERN, None);
    let (self_pem, self_key) = make(Spec::leaf(&["self.test"]), ec_key(), None).write(dir, "self");
    // s_server at security level 0 would take TLS 1.0 and 1.1 too.
    let self_signed = SServer::start(&self_pem, &self_key, &["-min_protocol", "TLSv1.2"]);
    let wrong_port = serve(&leaf(&["other.test"]), MODERN, None);
    let weak = make(Spec::leaf(&["weak.test"]), rsa_key(1024), Some(&ca));
    let weak_port = serve(&weak, MODERN, None);
    let closed_port = tls_server::free_port();
    let silent_port = tls_server::silent();

    let mut config = format!(
        "[tls]\nca_file = \"{}\"\ntimeout_secs = 3\nmax_concurrent = 4\n\n",
        ca_pem.display()
    );
    for e in [
        endpoint(good_port, "good.test", "https = true\nname = \"website\""),
        endpoint(plain_port, "plain.test", "https = true"),
        endpoint(legacy.port, "legacy.test", ""),
        endpoint(expired_port, "expired.test", ""),
        endpoint(expiring_port, "soon.test", ""),
        endpoint(self_signed.port, "self.test", ""),
        endpoint(wrong_port, "wrong.test", ""),
        endpoint(weak_port, "weak.test", ""),
        endpoint(closed_port, "closed.test", ""),
        endpoint(silent_port, "silent.test", ""),
    ] {
        config.push_str(&e);
    }
    env.write_config(&config);
    let out = collect(&env);
    // Findings, an unreachable endpoint among them, are evidence, not a failed collection.
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = the_run(&env);
    let record = run_json(&run);
    assert_eq!(record["status"], "succeeded", "{record:#}");

    let mut expected = vec![
        pair("tls-hsts-missing", plain_port),
        pair("tls-protocol-below-profile", legacy.port),
        pair("tls-certificate-expired", expired_port),
        pair("tls-certificate-expiring", expiring_port),
        pair("tls-chain-invalid", self_signed.port),
        pair("tls-hostname-mismatch", wrong_port),
        pair("tls-weak-key", weak_port),
        pair("tls-endpoint-unreachable", closed_port),
        pair("tls-endpoint-unreachable", silent_port),
    ];
    expected.sort();
    assert_eq!(findings(&run), expected, "{record:#}");
    let messages: Vec<&str> = record["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    let said = |words: &str| {
        assert!(
            messages.iter().any(|m| m.contains(words)),
            "no finding says `{words}`: {messages:#?}"
        )
    };
    said(&format!("127.0.0.1:{} accepts TLS 1.0", legacy.port));
    said("self-signed certificate");
    said("is not valid for `wrong.test`; it names other.test");
    said("has a 1024-bit RSA key (at least 2048 expected)");
    said("in 10 days (warning at 30)");
    said("timed out");
    said("Connection refused");

    // The good endpoint: 1.2 and 1.3 only, its names, dates and fingerprint.
    let doc = tls_json(&run, good_port);
    let v = |s: &str, a: bool| (s.to_string(), a);
    assert_eq!(
        accepted(&doc),
        vec![
            v("TLSv1.0", false),
            v("TLSv1.1", false),
            v("TLSv1.2", true),
            v("TLSv1.3", true)
        ]
    );
    assert_eq!(doc["best_protocol"], "TLSv1.3");
    assert_eq!(doc["handshakes"], 4, "one handshake per version: {doc:#}");
    assert_eq!(doc["endpoint"]["name"], "website");
    let leaf = &doc["certificates"][0];
    assert_eq!(leaf["sans"]["dns"], serde_json::json!(["good.test"]));
    assert_eq!(leaf["sans"]["ip"], serde_json::json!(["127.0.0.1"]));
    assert_eq!(leaf["days_left"], 90);
    assert_eq!(leaf["key_type"], "EC");
    assert_eq!(leaf["key_bits"], 256);
    assert_eq!(leaf["signature_algorithm"], "ecdsa-with-SHA256");
    assert_eq!(
        leaf["serial"],
        good.cert
            .serial_number()
            .to_bn()
            .unwrap()
            .to_hex_str()
            .unwrap()
            .to_string()
    );
    assert_eq!(
        leaf["sha256_fingerprint"].as_str().unwrap(),
        openssl_fingerprint(&good_pem)
    );
    assert_eq!(doc["validation"]["trusted"], true, "{doc:#}");
    assert_eq!(doc["validation"]["hostname_matches"], true);
    assert_eq!(doc["hsts"]["header"], "max-age=31536000; includeSubDomains");
    assert_eq!(doc["hsts"]["max_age"], 31_536_000);
    let chain = std::fs::read(run.join(format!(
        "artifacts/endpoints/127.0.0.1_{good_port}/chain.pem"
    )))
    .unwrap();
    assert_eq!(chain, good.cert.to_pem().unwrap(), "the chain as served");

    // The legacy server: TLS 1.0 only, its chain taken over that connection.
    let doc = tls_json(&run, legacy.port);
    assert_eq!(
        accepted(&doc),
        vec![
            v("TLSv1.0", true),
            v("TLSv1.1", false),
            v("TLSv1.2", false),
            v("TLSv1.3", false)
        ]
    );
    assert_eq!(doc["protocols"][0]["negotiated_version"], "TLSv1");
    assert_eq!(
        doc["certificates"][0]["sans"]["dns"],
        serde_json::json!(["legacy.test"])
    );
    assert_eq!(doc["handshakes"], 4);
    let expired_doc = tls_json(&run, expired_port);
    assert_eq!(expired_doc["certificates"][0]["days_left"], -3);
    // Trusted apart from its dates: one finding (expired), not an invalid chain too.
    assert_eq!(expired_doc["validation"]["trusted"], false);
    assert_eq!(
        expired_doc["validation"]["error_ignoring_dates"],
        Value::Null
    );
    assert_eq!(tls_json(&run, closed_port)["reachable"], false);

    // Population: a header and one row per endpoint, in config order.
    let csv = std::fs::read_to_string(run.join("artifacts/endpoints.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 11, "{csv}");
    assert!(
        lines[1].starts_with(&format!(
            "127.0.0.1:{good_port},website,good.test,true,refused,refused,accepted,accepted,"
        )),
        "{csv}"
    );
    assert!(
        lines[1].ends_with(",true,true,max-age=31536000; includeSubDomains,0"),
        "{csv}"
    );
    assert!(
        lines[9].starts_with(&format!(
            "127.0.0.1:{closed_port},,closed.test,false,not probed"
        )),
        "{csv}"
    );

    let summary = &record["summary"];
    assert_eq!(summary["endpoints"], 10);
    assert_eq!(
        summary["unreachable"], 1,
        "the silent port connects: {summary:#}"
    );

    let verify = env.run(&["verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
}

#[test]
fn the_modern_profile_flags_tls_1_2() {
    let env = Env::new("");
    let ca = ca();
    let (ca_pem, _) = ca.write(env.path(), "ca");
    let port = serve(
        &make(Spec::leaf(&["good.test"]), ec_key(), Some(&ca)),
        MODERN,
        None,
    );
    env.write_config(&format!(
        "[tls]\nca_file = \"{}\"\nprofile = \"modern\"\n\n{}",
        ca_pem.display(),
        endpoint(port, "good.test", "")
    ));
    let out = collect(&env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = the_run(&env);
    assert_eq!(
        findings(&run),
        vec![pair("tls-protocol-below-profile", port)]
    );
    let f = &run_json(&run)["findings"][0];
    assert_eq!(f["severity"], "medium");
    assert_eq!(
        f["message"].as_str().unwrap(),
        format!(
            "127.0.0.1:{port} accepts TLS 1.2 (cipher ECDHE-ECDSA-AES256-GCM-SHA384); the modern profile allows TLS 1.3 only."
        )
    );
    assert_eq!(
        f["artifact"],
        format!("endpoints/127.0.0.1_{port}/tls.json")
    );
}

#[test]
fn a_run_whose_every_endpoint_is_unreachable_still_succeeds_with_findings() {
    let (a, b) = (tls_server::free_port(), tls_server::free_port());
    let env = Env::new(&format!(
        "[tls]\n{}{}",
        endpoint(a, "a.test", ""),
        endpoint(b, "b.test", "")
    ));
    let out = collect(&env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = the_run(&env);
    assert_eq!(run_json(&run)["status"], "succeeded");
    let mut want = vec![
        pair("tls-endpoint-unreachable", a),
        pair("tls-endpoint-unreachable", b),
    ];
    want.sort();
    assert_eq!(findings(&run), want);
    assert_eq!(run_json(&run)["summary"]["handshakes"], 0);
}

#[test]
fn a_bad_tls_section_names_each_key() {
    let env = Env::new("[tls]\nprofile = \"old\"\n[[tls.endpoints]]\nhost = \"a.example\"\n");
    let out = env.run(&["check-config"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("intermediate"), "{}", text(&out));

    env.write_config(
        "[tls]\ntimeout_secs = 0\n[[tls.endpoints]]\nhost = \"https://a.example/\"\nport = 0\n[[tls.endpoints]]\nhost = \"b.example\"\nsni = \"10.0.0.1\"\n",
    );
    let out = env.run(&["check-config"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    for key in [
        "`tls.endpoints[0].host`",
        "`tls.endpoints[0].port`",
        "`tls.endpoints[1].sni`",
        "`tls.timeout_secs`",
    ] {
        assert!(all.contains(key), "no problem for {key}\n{all}");
    }

    // A CA bundle that is not there fails the run, naming the key and what to do.
    let ca_env =
        Env::new("[tls]\nca_file = \"missing.pem\"\n[[tls.endpoints]]\nhost = \"127.0.0.1\"\n");
    let out = collect(&ca_env);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let record = run_json(&the_run(&ca_env));
    assert_eq!(record["status"], "failed");
    let error = record["error"].as_str().unwrap();
    assert!(
        error.contains("missing.pem") && error.contains("`[tls] ca_file`"),
        "{error}"
    );
}
