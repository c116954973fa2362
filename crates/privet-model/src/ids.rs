//! Placeholder identifiers that mean "no id" even though they are non-empty strings.
//!
//! Buggy integrations send `"undefined"`, `"null"`, `"0"` or an all-zero UUID as a distinct id. Treating those as
//! real ids would merge every such visitor into one giant person, so Privet, like Mixpanel, treats them as missing.

/// Values (compared case-insensitively, after trimming) that count as a missing id.
pub const PLACEHOLDER_IDS: &[&str] = &[
    "",
    "00000000-0000-0000-0000-000000000000",
    "0",
    "-1",
    "[]",
    "{}",
    "<nil>",
    "[object object]",
    "anon",
    "anonymous",
    "false",
    "lmy47d",
    "n/a",
    "na",
    "nan",
    "nil",
    "none",
    "null",
    "true",
    "undefined",
    "unknown",
];

/// True when `id` is one of the [`PLACEHOLDER_IDS`].
pub fn is_placeholder_id(id: &str) -> bool {
    real_id(id).is_none()
}

/// Returns the trimmed id, or `None` when it is a placeholder.
pub fn real_id(id: &str) -> Option<&str> {
    let id = crate::json::trim(id);
    let placeholder = PLACEHOLDER_IDS.iter().any(|p| p.eq_ignore_ascii_case(id));
    (!placeholder).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_missing() {
        for id in [
            "undefined",
            "NULL",
            " anon ",
            "00000000-0000-0000-0000-000000000000",
            "-1",
            "[object Object]",
            "",
        ] {
            assert!(is_placeholder_id(id), "{id:?} should be a placeholder");
            assert_eq!(real_id(id), None);
        }
    }

    #[test]
    fn real_ids_are_kept_trimmed() {
        assert_eq!(real_id(" user-42 "), Some("user-42"));
        assert_eq!(real_id("$device:abc"), Some("$device:abc"));
        assert!(!is_placeholder_id("00000000-0000-0000-0000-000000000001"));
    }
}
