//! Reading credentials from a request: `Authorization: Bearer KEY`, or HTTP Basic with the key as the user name
//! (what Mixpanel SDKs send for an API secret) or as the password (service-account style).

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The candidate secrets a request carries, most likely first.
pub fn secrets(headers: &HeaderMap) -> Vec<String> {
    let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Vec::new();
    };
    let value = value.trim();
    if let Some(token) = strip_scheme(value, "bearer") {
        return vec![token.trim().to_string()];
    }
    if let Some(encoded) = strip_scheme(value, "basic") {
        let Ok(decoded) = STANDARD.decode(encoded.trim()) else {
            return Vec::new();
        };
        let Ok(text) = String::from_utf8(decoded) else {
            return Vec::new();
        };
        let (user, password) = text.split_once(':').unwrap_or((text.as_str(), ""));
        return [user, password]
            .into_iter()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
    }
    Vec::new()
}

fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (head, rest) = value.split_once(' ')?;
    head.eq_ignore_ascii_case(scheme).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, value.parse().unwrap());
        h
    }

    #[test]
    fn bearer_and_basic() {
        assert_eq!(secrets(&headers("Bearer pvt_abc")), vec!["pvt_abc"]);
        let basic = format!("Basic {}", STANDARD.encode("pvt_abc:"));
        assert_eq!(secrets(&headers(&basic)), vec!["pvt_abc"]);
        let service = format!("Basic {}", STANDARD.encode("robot:pvt_abc"));
        assert_eq!(secrets(&headers(&service)), vec!["robot", "pvt_abc"]);
        assert!(secrets(&HeaderMap::new()).is_empty());
        assert!(secrets(&headers("Basic !!!")).is_empty());
    }
}
