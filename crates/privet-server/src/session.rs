//! Who is calling: an API key (`Authorization: Bearer …` or HTTP Basic) or a dashboard session (a cookie), and
//! the checks that go with a session: CSRF tokens, `Secure` cookies, and the per-address sign-in throttle.
//!
//! Every API route authorises through [`authorize`], so keys and signed-in users get the same roles and the
//! same answers. A session is accepted only once sign-in is complete. State-changing API calls made with a
//! session must carry its CSRF token in the `X-CSRF-Token` header ([`csrf_guard`]; the dashboard's scripts
//! send it on every call), so another site cannot make a signed-in browser change anything. Refusals of
//! sensitive permissions are written to the audit log.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, header};
use chrono::Utc;
use parking_lot::Mutex;
use privet_audit::{Outcome, Record};
use privet_auth::{Permission, Role, Session, Stage, UserId};
use privet_config::SecureCookies;
use privet_model::ProjectId;

use crate::app::App;
use crate::routes::api::ApiError;

/// The session cookie's name (with the `__Host-` prefix when the cookie is `Secure`, which browsers then bind to
/// this exact host and path).
pub const COOKIE: &str = "privet_session";
const SECURE_COOKIE: &str = "__Host-privet_session";
/// The double-submit cookie that protects the sign-in forms (there is no session yet to hold a token).
pub const FORM_COOKIE: &str = "privet_form";
/// The header the dashboard's scripts send the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Who is acting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    Key(String),
    User(UserId),
}

/// An authenticated caller: who, with which role, limited to which project.
#[derive(Clone, Debug)]
pub struct Principal {
    pub actor: Actor,
    pub role: Role,
    /// The project an API key is limited to; `None` for admin keys without a project and for users.
    pub project: Option<ProjectId>,
}

impl Principal {
    /// How the audit log names the caller: `key:key_ab12c` or `user:3`.
    pub fn label(&self) -> String {
        match &self.actor {
            Actor::Key(id) => format!("key:{id}"),
            Actor::User(id) => format!("user:{id}"),
        }
    }

    pub fn covers(&self, project: ProjectId) -> bool {
        self.project.is_none_or(|p| p == project)
    }
}

/// Reads a cookie from the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The session token the request carries, if any.
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, SECURE_COOKIE).or_else(|| cookie(headers, COOKIE))
}

/// The live session of the request (any stage).
pub fn session(app: &App, headers: &HeaderMap) -> Result<Option<(String, Session)>, ApiError> {
    let Some(token) = session_token(headers) else {
        return Ok(None);
    };
    let session = app
        .control
        .session(token, Utc::now())
        .map_err(|e| ApiError::owned(503, e.to_string(), None))?;
    Ok(session.map(|s| (token.to_string(), s)))
}

/// Whether the request arrived over HTTPS, or is from a browser on this machine over plain HTTP.
fn secure_request(app: &App, headers: &HeaderMap) -> bool {
    match app.config.dashboard.secure_cookies {
        SecureCookies::Always => true,
        SecureCookies::Never => false,
        SecureCookies::Auto => {
            let forwarded_https = headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("https"));
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let hostname = host
                .rsplit_once(':')
                .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
                .map_or(host, |(name, _)| name);
            let loopback = hostname == "localhost"
                || hostname
                    .trim_matches(['[', ']'])
                    .parse::<IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            forwarded_https || !loopback
        }
    }
}

/// `Set-Cookie` for a session token (`None` clears it). HttpOnly (scripts cannot read it), SameSite=Strict (other
/// sites cannot send it), Secure and `__Host-` unless this is plain HTTP on loopback (see `secure_cookies`).
pub fn session_cookie(app: &App, headers: &HeaderMap, token: Option<&str>) -> HeaderValue {
    let secure = secure_request(app, headers);
    let name = if secure { SECURE_COOKIE } else { COOKIE };
    let flags = if secure { "; Secure" } else { "" };
    let value = match token {
        Some(token) => format!("{name}={token}; Path=/; HttpOnly; SameSite=Strict{flags}"),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{flags}"),
    };
    HeaderValue::from_str(&value).expect("tokens are hex")
}

/// `Set-Cookie` for the sign-in forms' double-submit token.
pub fn form_cookie(app: &App, headers: &HeaderMap, token: &str) -> HeaderValue {
    let flags = if secure_request(app, headers) {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{FORM_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{flags}"
    ))
    .expect("tokens are hex")
}

/// Authenticates an API caller that needs `permission`: an API key, or a complete dashboard session with its
/// CSRF token. A refusal of anything beyond reading analytics is audited.
pub fn authorize(
    app: &App,
    headers: &HeaderMap,
    permission: Permission,
) -> Result<Principal, ApiError> {
    let principal = authenticate(app, headers)?;
    if !principal.role.allows(permission) {
        if permission != Permission::Query {
            let _ = app.audit.append(
                Record::new(principal.label(), "access.denied")
                    .outcome(Outcome::Denied)
                    .detail(serde_json::json!({
                        "permission": format!("{permission:?}"),
                        "role": principal.role.as_str(),
                    })),
            );
        }
        let roles: Vec<&str> = Role::granting(permission)
            .into_iter()
            .filter(|r| *r != Role::Ingest || permission == Permission::Ingest)
            .map(Role::as_str)
            .collect();
        return Err(ApiError::owned(
            403,
            format!(
                "the role `{}` cannot do this; it needs the role {}",
                principal.role,
                roles.join(" or ")
            ),
            None,
        ));
    }
    Ok(principal)
}

/// Identifies the caller without checking a permission.
pub fn authenticate(app: &App, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let secrets = crate::auth::secrets(headers);
    if !secrets.is_empty() {
        for secret in &secrets {
            let key = app
                .control
                .authenticate(secret)
                .map_err(|e| ApiError::owned(503, e.to_string(), None))?;
            if let Some(key) = key {
                return Ok(Principal {
                    actor: Actor::Key(key.id),
                    role: key.role,
                    project: key.project,
                });
            }
        }
        return Err(ApiError::owned(
            401,
            "the key is unknown or revoked".into(),
            None,
        ));
    }
    if let Some((_, session)) = session(app, headers)? {
        if session.stage != Stage::Full {
            return Err(ApiError::owned(
                401,
                "finish signing in (second factor) first".into(),
                None,
            ));
        }
        return Ok(Principal {
            actor: Actor::User(session.user.id),
            role: session.user.role,
            project: None,
        });
    }
    Err(ApiError::owned(
        401,
        "send an API key as `Authorization: Bearer KEY` (create one with `privet key create --role analyst`), or sign in to the dashboard".into(),
        None,
    ))
}

/// Middleware for `/api/…`: a state-changing request (not GET, HEAD or OPTIONS) that authenticates with the
/// session cookie rather than a key must carry the session's CSRF token in `X-CSRF-Token`.
pub async fn csrf_guard(
    axum::extract::State(app): axum::extract::State<std::sync::Arc<App>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::Method;
    use axum::response::IntoResponse;
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let headers = request.headers();
    let by_cookie =
        headers.get(header::AUTHORIZATION).is_none() && session_token(headers).is_some();
    if !safe && by_cookie && request.uri().path().starts_with("/api/") {
        let expected = match session(&app, headers) {
            Ok(Some((_, s))) => Some(s.csrf),
            Ok(None) => None,
            Err(e) => return e.into_response(),
        };
        let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        let valid =
            matches!((sent, &expected), (Some(t), Some(e)) if privet_auth::secrets_equal(t, e));
        if expected.is_some() && !valid {
            return ApiError::owned(
                403,
                "missing or wrong CSRF token: send the session's token in the X-CSRF-Token header"
                    .into(),
                None,
            )
            .into_response();
        }
    }
    next.run(request).await
}

/// Limits sign-in attempts per client address (in memory only: addresses are never stored).
pub struct LoginThrottle {
    per_minute: u32,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl LoginThrottle {
    pub fn new(per_minute: u32) -> LoginThrottle {
        LoginThrottle {
            per_minute: per_minute.max(1),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt from `ip`; `false` when it is over the limit for the current minute.
    pub fn allow(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut seen = self.seen.lock();
        if seen.len() > 100_000 {
            seen.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let entry = seen.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.per_minute
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cookies() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; privet_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(session_token(&h), Some("abc"));
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn throttles_per_address() {
        let t = LoginThrottle::new(3);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(t.allow(a) && t.allow(a) && t.allow(a));
        assert!(!t.allow(a));
        assert!(t.allow(b));
    }
}
