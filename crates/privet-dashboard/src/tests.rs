//! Templates render, escape what they are given, and show each role only its pages.

use super::*;

fn viewer(role: &str) -> Viewer {
    Viewer {
        id: 1,
        email: "ana@example.com".into(),
        role: role.into(),
        privacy: role != "analyst",
        admin: role == "admin",
    }
}

#[test]
fn every_template_renders() {
    let pages = Pages::new();
    for (name, _) in TEMPLATES {
        let html = pages.render(name, Some(&viewer("admin")), "tok", serde_json::json!({}));
        assert!(!html.contains("could not be drawn"), "{name}: {html}");
    }
}

#[test]
fn escapes_values() {
    let pages = Pages::new();
    let html = pages.render(
        "login.html",
        None,
        "tok",
        serde_json::json!({"error": "<script>alert(1)</script>", "email": "\"><b>"}),
    );
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(html.contains("&lt;script&gt;"));
    assert!(!html.contains("\"><b>"));
}

#[test]
fn navigation_follows_the_role() {
    let pages = Pages::new();
    let analyst = pages.render(
        "app.html",
        Some(&viewer("analyst")),
        "t",
        serde_json::json!({"page": "insights"}),
    );
    assert!(analyst.contains(">Funnels</a>"));
    assert!(!analyst.contains(">Incidents</a>"));
    assert!(!analyst.contains(">Users</a>"));
    let officer = pages.render(
        "app.html",
        Some(&viewer("privacy-officer")),
        "t",
        serde_json::json!({"page": "insights"}),
    );
    assert!(officer.contains(">Incidents</a>"));
    assert!(!officer.contains(">Users</a>"));
    assert_eq!(
        pages.app_page("users", &viewer("analyst"), "t", serde_json::json!({})),
        Err(Refused::Forbidden)
    );
    assert_eq!(
        pages.app_page("nope", &viewer("admin"), "t", serde_json::json!({})),
        Err(Refused::NotFound)
    );
    assert!(
        pages
            .app_page("users", &viewer("admin"), "t", serde_json::json!({}))
            .is_ok()
    );
}

#[test]
fn assets_have_hashed_urls() {
    let url = asset_url("app.js").unwrap();
    assert!(url.starts_with("/assets/app.js?v="), "{url}");
    assert_eq!(
        asset("app.js").unwrap().content_type,
        "text/javascript; charset=utf-8"
    );
    assert!(asset("missing.js").is_none());
}

#[test]
fn qr_codes_are_svg() {
    let svg = qr_svg("otpauth://totp/Privet:ana@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Privet");
    assert!(svg.starts_with("<?xml") || svg.contains("<svg"), "{svg}");
    assert!(svg.contains("aria-label"));
}
