//! Opaque cursors for keyset pagination.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::DateTime;
use entities::releases::list::SortKey;

/// Encodes a sort key as an opaque cursor.
pub fn encode(key: &SortKey) -> String {
    let start = key
        .planned_start
        .map_or_else(String::new, |s| s.timestamp_micros().to_string());
    URL_SAFE_NO_PAD.encode(format!("r1:{}:{start}", key.id))
}

/// Decodes a cursor made by [`encode`]; `None` if it was not.
pub fn decode(cursor: &str) -> Option<SortKey> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let mut parts = raw.strip_prefix("r1:")?.splitn(2, ':');
    let id = parts.next()?.parse().ok()?;
    let planned_start = match parts.next()? {
        "" => None,
        micros => Some(DateTime::from_timestamp_micros(micros.parse().ok()?)?),
    };
    Some(SortKey { id, planned_start })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let key = SortKey {
            id: 42,
            planned_start: DateTime::from_timestamp_micros(1_700_000_000_123_456),
        };
        assert_eq!(decode(&encode(&key)), Some(key));
        let open = SortKey {
            id: 7,
            planned_start: None,
        };
        assert_eq!(decode(&encode(&open)), Some(open));
        assert_eq!(decode("not a cursor"), None);
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode("r1:x:")), None);
    }
}
