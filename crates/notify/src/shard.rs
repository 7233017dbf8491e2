//! Which queue of a target an object's events go to: FNV-1a 64 of `<bucket>/<key>` modulo
//! [`SHARDS`]. Both are fixed (the same on every instance, before and after every restart or
//! upgrade), so the events of one key always share one queue and arrive in order: a number
//! that could differ between instances, or change while queues hold events, would put a key's
//! newer events in another queue than its older ones.

/// Queues per target: delivered side by side, each in order.
pub(crate) const SHARDS: u16 = 8;

const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a, 64 bits, of `bytes`.
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(OFFSET_BASIS, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(PRIME)
    })
}

/// The shard (`0..shards`) of `key` in `bucket`; `shards` of 0 counts as 1.
pub(crate) fn shard_of(bucket: &str, key: &str, shards: u16) -> u16 {
    let mut name = Vec::with_capacity(bucket.len() + 1 + key.len());
    name.extend_from_slice(bucket.as_bytes());
    name.push(b'/');
    name.extend_from_slice(key.as_bytes());
    let shard = fnv1a64(&name) % u64::from(shards.max(1));
    // Below `shards`, so it fits.
    u16::try_from(shard).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_matches_the_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"images/a.png"), 0xd26f_5f3f_c24b_437e);
    }

    #[test]
    fn shard_is_stable() {
        // Computed by a reference FNV-1a 64 (Python): 0xd26f5f3fc24b437e % 8 == 6.
        assert_eq!(shard_of("images", "a.png", 8), 6);
        assert_eq!(shard_of("images", "a.png", 1), 0);
        assert_eq!(shard_of("images", "a.png", 0), 0);
        for shards in 1..=256 {
            assert!(shard_of("b", "some/key.png", shards) < shards);
        }
    }
}
