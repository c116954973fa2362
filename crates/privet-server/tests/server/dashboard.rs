//! The dashboard over HTTP, as a browser without JavaScript would use it: the set-up link, sign-in with
//! password and TOTP, lock-out, CSRF, mandatory MFA, roles (an analyst refused a reveal, a privacy officer
//! revealing with a reason), the admin API, and the audit log that records it all without identifiers.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use privet_auth::Role;
use privet_auth::users::totp::code_at;
use serde_json::{Value, json};

use crate::common::TestServer;

const PASSWORD: &str = "correct horse battery staple";

/// A cookie-keeping HTTP client that does not follow redirects, so every step can be checked.
struct Browser {
    client: reqwest::Client,
    base: String,
    cookies: HashMap<String, String>,
    csrf: Option<String>,
}

struct Page {
    status: u16,
    location: Option<String>,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Browser {
    fn new(s: &TestServer) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: s.url.clone(),
            cookies: HashMap::new(),
            csrf: None,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, response: reqwest::Response) -> Page {
        for value in response.headers().get_all(reqwest::header::SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (pair, attrs) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let location = headers
            .get(reqwest::header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string());
        let body = response.text().await.unwrap();
        if let Some(token) = between(&body, "name=\"csrf-token\" content=\"", "\"")
            && !token.is_empty()
        {
            self.csrf = Some(token);
        }
        Page {
            status,
            location,
            headers,
            body,
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }

    async fn post_form(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }

    /// Calls the JSON API with the session cookie, with (or without) the CSRF header.
    async fn api(
        &mut self,
        method: &str,
        path: &str,
        body: Option<Value>,
        csrf: bool,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, self.cookie_header());
        if csrf && let Some(token) = &self.csrf {
            request = request.header("X-CSRF-Token", token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Signs in with the password form; returns the answer to the form post.
    async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        assert_eq!(form.status, 200);
        let token = between(&form.body, "name=\"csrf\" value=\"", "\"").unwrap();
        self.post_form(
            "/login",
            &[
                ("csrf", &token),
                ("email", email),
                ("password", password),
                ("next", "/funnels"),
            ],
        )
        .await
    }
}

fn between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(text[from..to].to_string())
}

fn form_csrf(page: &Page) -> String {
    between(&page.body, "name=\"csrf\" value=\"", "\"")
        .expect("the page has a form with a CSRF token")
}

fn audit_text(s: &TestServer) -> String {
    let bytes = std::fs::read(s.app.data_dir.join("audit").join("audit.sqlite")).unwrap();
    let wal =
        std::fs::read(s.app.data_dir.join("audit").join("audit.sqlite-wal")).unwrap_or_default();
    String::from_utf8_lossy(&[bytes, wal].concat()).into_owned()
}

async fn entries(s: &TestServer, action: &str) -> Vec<Value> {
    let (status, body) = s.get(&format!("/api/audit?action={action}")).await;
    assert_eq!(status, 200);
    body["entries"].as_array().unwrap().clone()
}

/// A server with one dashboard user.
async fn with_user(email: &str, role: Role) -> TestServer {
    let s = TestServer::start().await;
    s.app
        .control
        .create_user(email, role, PASSWORD, false)
        .unwrap();
    s
}

#[tokio::test]
async fn setup_link_creates_the_first_admin_once() {
    let s = TestServer::start().await;
    let token = s.app.control.issue_setup_token().unwrap().unwrap();
    let mut b = Browser::new(&s);
    assert_eq!(b.get("/setup?token=wrong").await.status, 404);
    let page = b.get(&format!("/setup?token={token}")).await;
    assert_eq!(page.status, 200);
    let mismatch = b
        .post_form(
            "/setup",
            &[
                ("token", &token),
                ("email", "root@example.com"),
                ("password", PASSWORD),
                ("confirm", "other"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, 400);
    assert!(mismatch.body.contains("differ"));
    let done = b
        .post_form(
            "/setup",
            &[
                ("token", &token),
                ("email", "root@example.com"),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, 303);
    assert_eq!(done.location.as_deref(), Some("/account"));
    let account = b.get("/account").await;
    assert_eq!(account.status, 200, "{}", account.body);
    assert!(account.body.contains("root@example.com"));
    // The link is spent.
    assert_eq!(b.get(&format!("/setup?token={token}")).await.status, 404);
    assert_eq!(s.app.control.users().unwrap()[0].role, Role::Admin);
    s.stop().await;
}

#[tokio::test]
async fn password_then_totp_sign_in_with_csrf_and_replay_protection() {
    let s = with_user("ana@example.com", Role::Analyst).await;
    let mut b = Browser::new(&s);

    // Pages need a session.
    let page = b.get("/insights").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location.as_deref(), Some("/login?next=%2Finsights"));

    // The sign-in form refuses a post without its double-submit token.
    let forged = b
        .post_form(
            "/login",
            &[
                ("csrf", "x"),
                ("email", "ana@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);

    let wrong = b.sign_in("ana@example.com", "not the password").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("wrong"), "{}", wrong.body);

    let ok = b.sign_in("ana@example.com", PASSWORD).await;
    assert_eq!(ok.status, 303);
    assert_eq!(ok.location.as_deref(), Some("/funnels"));
    let set_cookie = ok
        .headers
        .get(reqwest::header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );

    let page = b.get("/funnels").await;
    assert_eq!(page.status, 200);
    let csp = page
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(page.body.contains("data-page=\"funnels\""));

    // The API with the session: reads need no token, changes do.
    let (status, me) = b.api("GET", "/api/me", None, false).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["role"], "analyst");
    let insights = json!({"events": [], "measure": "total", "bucket": "all"});
    let (status, body) = b
        .api("POST", "/api/insights", Some(insights.clone()), false)
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"].as_str().unwrap().contains("CSRF"));
    let (status, body) = b.api("POST", "/api/insights", Some(insights), true).await;
    assert_eq!(status, 200, "{body}");

    // Enrol an authenticator: the secret is on the page, a code confirms it, recovery codes come once.
    let enrol = b.get("/account/mfa").await;
    assert_eq!(enrol.status, 200);
    assert!(enrol.body.contains("<svg"), "a QR code");
    let secret = between(&enrol.body, "id=\"totp-secret\" class=\"secret\">", "<").unwrap();
    let csrf = form_csrf(&enrol);
    let bad = b
        .post_form("/account/mfa", &[("csrf", &csrf), ("code", "000000")])
        .await;
    assert_eq!(bad.status, 400);
    let code = code_at(&secret, Utc::now()).unwrap();
    let codes_page = b
        .post_form("/account/mfa", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert_eq!(codes_page.status, 200, "{}", codes_page.body);
    let recovery = between(&codes_page.body, "<li><code>", "</code>").unwrap();
    assert_eq!(recovery.len(), 11);

    // Sign out (the form needs the session's token), then in again: now a code is needed.
    let logout_csrf = form_csrf(&b.get("/account").await);
    assert_eq!(
        b.post_form("/logout", &[("csrf", "nope")]).await.status,
        403
    );
    assert_eq!(
        b.post_form("/logout", &[("csrf", &logout_csrf)])
            .await
            .status,
        303
    );
    assert_eq!(b.get("/insights").await.status, 303);

    let ok = b.sign_in("ana@example.com", PASSWORD).await;
    assert_eq!(ok.location.as_deref(), Some("/login/code?next=%2Ffunnels"));
    // Half signed in is not signed in.
    assert_eq!(b.get("/insights").await.status, 303);
    assert_eq!(b.api("GET", "/api/me", None, false).await.0, 401);
    let code_page = b.get("/login/code?next=%2Ffunnels").await;
    let csrf = form_csrf(&code_page);
    let refused = b
        .post_form("/login/code", &[("csrf", &csrf), ("code", "123456")])
        .await;
    assert_eq!(refused.status, 401);
    // The code used at enrolment is spent; the next time step's code is accepted (one step of skew).
    let replay = b
        .post_form("/login/code", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert_eq!(replay.status, 401, "a used code is refused");
    let next = code_at(&secret, Utc::now() + Duration::seconds(30)).unwrap();
    let done = b
        .post_form(
            "/login/code",
            &[("csrf", &csrf), ("code", &next), ("next", "/funnels")],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/funnels"));
    assert_eq!(b.get("/funnels").await.status, 200);

    // A recovery code works once, from a fresh sign-in.
    let csrf = form_csrf(&b.get("/account").await);
    b.post_form("/logout", &[("csrf", &csrf)]).await;
    b.sign_in("ana@example.com", PASSWORD).await;
    let csrf = form_csrf(&b.get("/login/code").await);
    let done = b
        .post_form("/login/code", &[("csrf", &csrf), ("code", &recovery)])
        .await;
    assert_eq!(done.status, 303);

    let signins = entries(&s, "sign_in").await;
    assert!(
        signins.iter().any(|e| e["outcome"] == "denied"),
        "{signins:?}"
    );
    assert!(
        signins
            .iter()
            .any(|e| e["detail"]["factors"] == json!(["password", "recovery_code"]))
    );
    assert!(
        !audit_text(&s).contains("ana@example.com"),
        "the audit log holds no email address"
    );
    s.stop().await;
}

#[tokio::test]
async fn repeated_failures_lock_the_account() {
    let s = with_user("ana@example.com", Role::Analyst).await;
    let mut b = Browser::new(&s);
    for _ in 0..privet_auth::users::MAX_FAILURES {
        b.sign_in("ana@example.com", "wrong wrong wrong").await;
    }
    let locked = b.sign_in("ana@example.com", PASSWORD).await;
    assert_eq!(locked.status, 401);
    assert!(locked.body.contains("locked"), "{}", locked.body);
    let id = s.app.control.find_user("ana@example.com").unwrap().id;
    s.app.control.unlock_user(id).unwrap();
    assert_eq!(b.sign_in("ana@example.com", PASSWORD).await.status, 303);
    s.stop().await;
}

#[tokio::test]
async fn mandatory_mfa_sends_users_to_enrol_first() {
    let s = with_user("po@example.com", Role::PrivacyOfficer).await;
    let (status, _) = s
        .api("/api/admin/settings", json!({"require_mfa": true}))
        .await;
    assert_eq!(status, 200);
    let mut b = Browser::new(&s);
    let ok = b.sign_in("po@example.com", PASSWORD).await;
    assert_eq!(ok.location.as_deref(), Some("/account/mfa"));
    assert_eq!(
        b.get("/insights").await.location.as_deref(),
        Some("/account/mfa")
    );
    assert_eq!(b.api("GET", "/api/me", None, false).await.0, 401);
    let enrol = b.get("/account/mfa").await;
    assert!(enrol.body.contains("requires two-step verification"));
    let secret = between(&enrol.body, "id=\"totp-secret\" class=\"secret\">", "<").unwrap();
    let code = code_at(&secret, Utc::now()).unwrap();
    let done = b
        .post_form(
            "/account/mfa",
            &[("csrf", &form_csrf(&enrol)), ("code", &code)],
        )
        .await;
    assert_eq!(done.status, 200);
    assert_eq!(
        b.get("/incidents").await.status,
        200,
        "enrolling completed the sign-in"
    );
    s.stop().await;
}

/// Sends a person with an email and a name, and returns their `person_id`.
async fn alice(s: &TestServer) -> i64 {
    let events = json!([
        {"event": "Signed up", "properties": {"token": s.token, "distinct_id": "user-1", "$email": "alice@example.com", "$name": "Alice Liddell", "time": 1_700_000_100}},
    ]);
    assert_eq!(s.post_form("/track", &events.to_string()).await.0, 200);
    let rows = s.sql("SELECT person_id FROM events").await;
    rows[0][0].as_i64().unwrap()
}

#[tokio::test]
async fn only_privacy_officers_reveal_and_every_reveal_is_audited() {
    let s = TestServer::start().await;
    let person = alice(&s).await;
    s.app
        .control
        .create_user("ana@example.com", Role::Analyst, PASSWORD, false)
        .unwrap();
    s.app
        .control
        .create_user("po@example.com", Role::PrivacyOfficer, PASSWORD, false)
        .unwrap();
    let path = format!("/api/people/{person}/reveal");
    let reason = json!({"reason": "DSR-42: subject asked for access"});

    let mut analyst = Browser::new(&s);
    analyst.sign_in("ana@example.com", PASSWORD).await;
    analyst.get("/insights").await;
    let (status, body) = analyst.api("POST", &path, Some(reason.clone()), true).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("privacy-officer"),
        "{body}"
    );
    assert_eq!(
        analyst.get("/incidents").await.status,
        403,
        "not the analyst's page"
    );
    assert_eq!(analyst.get("/users").await.status, 403);

    let mut officer = Browser::new(&s);
    officer.sign_in("po@example.com", PASSWORD).await;
    officer.get("/insights").await;
    let (status, body) = officer
        .api("POST", &path, Some(json!({"reason": "x"})), true)
        .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("reason")));
    let (status, identity) = officer
        .api(
            "POST",
            &path,
            Some(json!({"reason": "DSR-42 access request from alice@example.com"})),
            true,
        )
        .await;
    assert_eq!(status, 200, "{identity}");
    assert_eq!(identity["personal_fields"]["$email"], "alice@example.com");
    assert_eq!(identity["personal_fields"]["$name"], "Alice Liddell");
    assert!(
        identity["identifiers"]
            .as_array()
            .unwrap()
            .contains(&json!("user-1"))
    );
    // Data-subject requests need a reason from officers too.
    let (status, body) = officer
        .api(
            "POST",
            "/api/privacy/export",
            Some(json!({"id": "user-1"})),
            true,
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("reason")),
        "{body}"
    );
    let (status, body) = officer
        .api(
            "POST",
            "/api/privacy/export",
            Some(json!({"id": "user-1", "reason": "DSR-42"})),
            true,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let exports = entries(&s, "person.export").await;
    assert_eq!(exports[0]["target"], format!("person:{person}"));
    assert_eq!(exports[0]["reason"], "DSR-42");
    // Officers still cannot manage users.
    assert_eq!(
        officer.api("GET", "/api/admin/users", None, false).await.0,
        403
    );

    let reveals = entries(&s, "identity.reveal").await;
    assert_eq!(reveals.len(), 1);
    assert_eq!(reveals[0]["target"], format!("person:{person}"));
    let reason_kept = reveals[0]["reason"].as_str().unwrap();
    assert!(
        reason_kept.starts_with("DSR-42 access request from [email]"),
        "{reason_kept}"
    );
    let denied = entries(&s, "access.denied").await;
    assert!(
        denied
            .iter()
            .any(|e| e["detail"]["permission"] == "Reveal" && e["detail"]["role"] == "analyst"),
        "{denied:?}"
    );
    let text = audit_text(&s);
    assert!(!text.contains("alice@example.com") && !text.contains("Alice Liddell"));

    // The same role rules hold for API keys.
    let (_, analyst_key) = s.app.control.create_key(Role::Analyst, None, None).unwrap();
    let response = s
        .client
        .post(format!("{}{path}", s.url))
        .bearer_auth(analyst_key)
        .json(&reason)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let (_, verify) = s.get("/api/audit/verify").await;
    assert_eq!(verify["ok"], true, "{verify}");
    s.stop().await;
}

#[tokio::test]
async fn admins_manage_users_and_keys() {
    let s = TestServer::start().await;
    let (status, created) = s
        .api(
            "/api/admin/users",
            json!({"email": "new@example.com", "role": "analyst"}),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let password = created["password"].as_str().unwrap().to_string();
    let id = created["user"]["id"].as_i64().unwrap();
    let (status, dup) = s
        .api(
            "/api/admin/users",
            json!({"email": "NEW@example.com", "role": "analyst"}),
        )
        .await;
    assert_eq!((status, dup["field"].as_str()), (409, Some("email")));
    let (status, bad) = s
        .api(
            "/api/admin/users",
            json!({"email": "x@example.com", "role": "ingest"}),
        )
        .await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("role")));

    // The generated password works once and sends the user to choose their own.
    let mut b = Browser::new(&s);
    let ok = b.sign_in("new@example.com", &password).await;
    assert_eq!(ok.location.as_deref(), Some("/account"));
    assert_eq!(
        b.get("/insights").await.location.as_deref(),
        Some("/account")
    );
    let account = b.get("/account").await;
    let changed = b
        .post_form(
            "/account/password",
            &[
                ("csrf", &form_csrf(&account)),
                ("current", &password),
                ("new", PASSWORD),
                ("confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(b.get("/insights").await.status, 200);

    // A role change ends the user's sessions.
    let (status, _) = s
        .api(
            &format!("/api/admin/users/{id}"),
            json!({"role": "privacy-officer"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(b.get("/insights").await.status, 303);
    let (status, _) = s
        .api(&format!("/api/admin/users/{id}"), json!({"disabled": true}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(b.sign_in("new@example.com", PASSWORD).await.status, 401);

    let (status, key) = s
        .api(
            "/api/admin/keys",
            json!({"role": "privacy-officer", "project": "default"}),
        )
        .await;
    assert_eq!(status, 200, "{key}");
    let secret = key["secret"].as_str().unwrap();
    let (_, me) = s.get_with("/api/me", secret).await;
    assert_eq!(me["role"], "privacy-officer");
    assert!(
        me["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("reveal"))
    );
    let key_id = key["key"]["id"].as_str().unwrap();
    let (status, _) = s
        .api(&format!("/api/admin/keys/{key_id}/revoke"), json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(s.get_with("/api/me", secret).await.0, 401);

    // Projects: the token is shown once and works at once; a rotation replaces it.
    let (status, project) = s.api("/api/admin/projects", json!({"name": "shop"})).await;
    assert_eq!(status, 200, "{project}");
    let token = project["token"].as_str().unwrap().to_string();
    let event = json!({"event": "e", "properties": {"token": token, "distinct_id": "u"}});
    assert_eq!(s.post_form("/track", &event.to_string()).await.0, 200);
    let (status, dup) = s.api("/api/admin/projects", json!({"name": "shop"})).await;
    assert_eq!((status, dup["field"].as_str()), (409, Some("name")));
    let (status, bad) = s
        .api("/api/admin/projects", json!({"name": "Bad Name"}))
        .await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("name")));
    let (status, rotated) = s
        .api("/api/admin/projects/shop/rotate-token", json!({}))
        .await;
    assert_eq!(status, 200);
    assert_ne!(rotated["token"], token);
    assert_eq!(
        s.post_form("/track", &event.to_string()).await.0,
        401,
        "the old token is refused"
    );

    let actions: Vec<String> = entries(&s, "")
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    for action in [
        "user.create",
        "user.role",
        "user.disable",
        "key.create",
        "key.revoke",
    ] {
        assert!(
            actions.contains(&action.to_string()),
            "{action} in {actions:?}"
        );
    }
    s.stop().await;
}

#[tokio::test]
async fn pages_and_assets_are_served_with_the_right_headers() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    let login = b.get("/login").await;
    assert_eq!(login.status, 200);
    let asset = between(&login.body, "href=\"/assets/app.css?v=", "\"").unwrap();
    let css = b.get(&format!("/assets/app.css?v={asset}")).await;
    assert_eq!(css.status, 200);
    assert!(
        css.headers
            .get("cache-control")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let js = b.get("/assets/charts.js").await;
    assert_eq!(js.status, 200);
    assert_eq!(js.headers.get("cache-control").unwrap(), "no-cache");
    assert_eq!(b.get("/assets/nope.js").await.status, 404);
    // The dashboard's routes do not shadow the ingestion API.
    let (status, _) = s.post_form("/groups", &json!({"$token": s.token, "$group_key": "org_id", "$group_id": "o1", "$set": {"plan": "pro"}}).to_string()).await;
    assert_eq!(status, 200);
    s.stop().await;
}
