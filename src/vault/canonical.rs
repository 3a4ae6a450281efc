//! Canonical JSON, SHA-256 and timestamps: the byte-exact forms that get hashed.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Rebuilds every object with keys inserted in sorted order, so the output is sorted whether or
/// not serde_json's `preserve_order` feature is switched on by some other crate.
fn sorted(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

fn to_value<T: Serialize>(v: &T) -> Value {
    // Our record types serialize to JSON infallibly (string keys, no non-finite floats).
    sorted(serde_json::to_value(v).expect("record types serialize to JSON"))
}

/// Pretty canonical JSON with a final newline (run.json).
pub fn pretty<T: Serialize>(v: &T) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(&to_value(v)).expect("a JSON value serializes");
    out.push(b'\n');
    out
}

/// Compact canonical JSON without newline (a ledger line).
pub fn compact<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(&to_value(v)).expect("a JSON value serializes")
}

/// Whether `bytes` is exactly the compact canonical form of the JSON it holds.
pub fn is_compact_canonical(bytes: &[u8]) -> bool {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => compact(&v) == bytes,
        Err(_) => false,
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// RFC 3339, UTC, milliseconds, `Z`.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}
