//! Small non-cryptographic randomness (run-id suffixes, schedule jitter) without a crate.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// A random-enough u32: std's RandomState is seeded from the OS; a counter and the clock keep
/// consecutive calls apart.
pub fn u32() -> u32 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    h.write_u128(nanos);
    h.write_u32(std::process::id());
    h.finish() as u32
}

/// Uniform-ish in `0..=max`.
pub fn up_to(max: u64) -> u64 {
    if max == 0 {
        0
    } else {
        u64::from(u32()) % (max + 1)
    }
}
