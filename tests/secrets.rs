//! Tests: secrets reach only the collector they are granted to, and their values never reach
//! the vault or the agent's logs.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::custom_collectors::only_run;
use crate::util::{Env, run_json, text};

/// Every file under `dir` (staging included) whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return hits;
    };
    for e in rd.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.as_bytes().windows(needle.len()).any(|w| w == needle) {
            hits.push(format!("name: {}", p.display()));
        }
        if e.file_type().unwrap().is_dir() {
            hits.extend(files_containing(&p, needle));
        } else if let Ok(bytes) = std::fs::read(&p)
            && bytes.windows(needle.len()).any(|w| w == needle)
        {
            hits.push(p.display().to_string());
        }
    }
    hits
}

#[test]
fn a_secret_value_never_reaches_the_vault_or_the_logs() {
    const VALUE: &str = "s3cr3t-Value-9876";
    let env = Env::new("[collectors.leaky.secrets]\nAPI_TOKEN = \"env:EVTEST_LEAKY_TOKEN\"\n");
    env.add_collector(
        "leaky",
        "secrets = [\"API_TOKEN\"]",
        r#"
printf %s "$API_TOKEN" | sha256sum | cut -d' ' -f1 > "$EVIDENCE_OUT_DIR/token.sha256"
echo "plain evidence" > "$EVIDENCE_OUT_DIR/good.txt"
echo "config: token=$API_TOKEN" > "$EVIDENCE_OUT_DIR/dump.txt"
echo "named after it" > "$EVIDENCE_OUT_DIR/$API_TOKEN.txt"
echo "calling the API with $API_TOKEN" >&2
printf '{"findings":[{"rule":"r","severity":"low","subject":"key %s","message":"saw %s"}],"summary":{"token":"%s"}}\n' "$API_TOKEN" "$API_TOKEN" "$API_TOKEN"
"#,
    );
    let out = env
        .command(&["collect", "leaky"])
        .env("EVTEST_LEAKY_TOKEN", VALUE)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = only_run(&env, "leaky");
    let record = run_json(&run);
    assert_eq!(record["status"], "succeeded");

    // The collector did get the value: it hashed it into an artifact.
    let expected = format!("{}\n", hex::encode(Sha256::digest(VALUE)));
    assert_eq!(
        std::fs::read_to_string(run.join("artifacts/token.sha256")).unwrap(),
        expected
    );
    // Files holding the value (in their name or contents) are refused, with the reason.
    let refused = record["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 2, "{refused:?}");
    for r in refused {
        assert!(
            r["reason"]
                .as_str()
                .unwrap()
                .contains("contains the value of secret API_TOKEN"),
            "{r}"
        );
    }
    assert!(!run.join("artifacts/dump.txt").exists());
    // The log and the record show where it was, masked.
    let log = std::fs::read_to_string(run.join("run.log")).unwrap();
    assert!(
        log.contains("calling the API with [redacted secret API_TOKEN]"),
        "{log}"
    );
    assert_eq!(record["summary"]["token"], "[redacted secret API_TOKEN]");

    // Nowhere in the vault, nor in what the agent printed.
    assert_eq!(
        files_containing(&env.vault(), VALUE.as_bytes()),
        Vec::<String>::new()
    );
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!printed.contains(VALUE), "{printed}");
    assert!(
        printed.contains("calling the API with [redacted secret API_TOKEN]"),
        "the collector's stderr reaches the agent's log, masked: {printed}"
    );
    // The names of the secrets are recorded, for provenance.
    assert_eq!(
        record["parameters"]["secrets"],
        serde_json::json!(["API_TOKEN"])
    );
}

#[test]
fn a_secret_reaches_only_the_collector_it_is_granted_to() {
    let env = Env::new("");
    let token_file = env.path().join("beta-token");
    std::fs::write(&token_file, "beta-value-5678\n").unwrap();
    env.write_config(&format!(
        "[collectors.alpha.secrets]\nALPHA_TOKEN = \"env:EVTEST_ALPHA\"\n\n[collectors.beta.secrets]\nBETA_TOKEN = \"file:{}\"\n",
        token_file.display()
    ));
    let script = r#"
env | cut -d= -f1 | sort > "$EVIDENCE_OUT_DIR/names.txt"
printf %s "${ALPHA_TOKEN-}${BETA_TOKEN-}" | sha256sum | cut -d' ' -f1 > "$EVIDENCE_OUT_DIR/value.sha256"
"#;
    env.add_collector("alpha", "secrets = [\"ALPHA_TOKEN\"]", script);
    env.add_collector("beta", "", script);
    let out = env
        .command(&["collect"])
        .env("EVTEST_ALPHA", "alpha-value-1234")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for (name, var, value, other) in [
        ("alpha", "ALPHA_TOKEN", "alpha-value-1234", "BETA_TOKEN"),
        // A `file:` secret loses its final newline, as files written by editors end in one.
        ("beta", "BETA_TOKEN", "beta-value-5678", "ALPHA_TOKEN"),
    ] {
        let run = only_run(&env, name);
        let names = std::fs::read_to_string(run.join("artifacts/names.txt")).unwrap();
        let names: Vec<&str> = names.lines().collect();
        assert!(names.contains(&var), "{name}: {names:?}");
        assert!(!names.contains(&other), "{name} got {other}: {names:?}");
        assert!(
            !names.contains(&"EVTEST_ALPHA"),
            "{name} got the agent's variable: {names:?}"
        );
        assert_eq!(
            std::fs::read_to_string(run.join("artifacts/value.sha256")).unwrap(),
            format!("{}\n", hex::encode(Sha256::digest(value))),
            "{name}"
        );
        assert_eq!(
            run_json(&run)["parameters"]["secrets"],
            serde_json::json!([var])
        );
    }
}

#[test]
fn a_missing_secret_variable_skips_the_run_with_a_record() {
    let env = Env::new("[collectors.needy.secrets]\nAPI_TOKEN = \"env:EVTEST_UNSET_VARIABLE\"\n");
    let ran = env.path().join("ran");
    env.add_collector(
        "needy",
        "secrets = [\"API_TOKEN\"]",
        &format!("touch {}", ran.display()),
    );
    let out = env
        .command(&["collect", "needy"])
        .env_remove("EVTEST_UNSET_VARIABLE")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "a skipped run is an honest gap, not a failure: {}",
        text(&out)
    );
    assert!(
        !ran.exists(),
        "the collector must not run without its secret"
    );
    let record = run_json(&only_run(&env, "needy"));
    assert_eq!(record["status"], "skipped");
    let error = record["error"].as_str().unwrap();
    assert!(
        error.contains("API_TOKEN") && error.contains("EVTEST_UNSET_VARIABLE"),
        "{error}"
    );
    assert_eq!(record["artifacts"], serde_json::json!([]));
}
