//! The web dashboard's front end, embedded in the binary: page templates (`templates/`, rendered with
//! minijinja, auto-escaped), the scripts and styles (`assets/`), and QR codes for authenticator enrolment.
//!
//! There is no build step and no separate front-end server. Sign-in, second factor, set-up and account pages are
//! plain HTML forms that work without JavaScript; the analytics, privacy, incident and admin pages are a shell
//! that `assets/app.js` fills from the same JSON APIs that API keys use, drawing charts as SVG
//! (`assets/charts.js`). The HTTP side (routes, sessions, CSRF) lives in `privet-server`.

mod assets;
mod qr;

use minijinja::Environment;
use serde::Serialize;

pub use assets::{Asset, asset, asset_url};
pub use qr::qr_svg;

/// Who is signed in, for the navigation bar.
#[derive(Clone, Debug, Serialize)]
pub struct Viewer {
    pub id: i64,
    pub email: String,
    pub role: String,
    /// May reveal identities, run breach response and read the audit log.
    pub privacy: bool,
    /// May manage users and keys.
    pub admin: bool,
}

/// A link in the navigation bar.
#[derive(Clone, Debug, Serialize)]
struct NavItem {
    href: &'static str,
    label: &'static str,
    page: &'static str,
}

/// The pages of the dashboard that `app.js` draws, with their title and who may see them.
pub const APP_PAGES: &[(&str, &str, Access)] = &[
    ("insights", "Insights", Access::Analyst),
    ("funnels", "Funnels", Access::Analyst),
    ("retention", "Retention", Access::Analyst),
    ("flows", "Flows", Access::Analyst),
    ("events", "Live events", Access::Analyst),
    ("people", "People", Access::Analyst),
    ("person", "Person", Access::Analyst),
    ("group", "Organisation", Access::Analyst),
    ("privacy", "Data & privacy", Access::Privacy),
    ("incidents", "Incidents", Access::Privacy),
    ("incident", "Incident", Access::Privacy),
    ("audit", "Audit log", Access::Privacy),
    ("users", "Users", Access::Admin),
    ("keys", "Keys & projects", Access::Admin),
];

/// Whether `name` is one of the pages `app.js` draws.
pub fn is_page(name: &str) -> bool {
    APP_PAGES.iter().any(|(page, _, _)| *page == name)
}

/// Why a page is not shown.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    NotFound,
    /// The viewer's role may not see it.
    Forbidden,
}

/// Who may open a page.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Access {
    Analyst,
    Privacy,
    Admin,
}

impl Access {
    pub fn allows(self, viewer: &Viewer) -> bool {
        match self {
            Access::Analyst => true,
            Access::Privacy => viewer.privacy,
            Access::Admin => viewer.admin,
        }
    }
}

const NAV: &[NavItem] = &[
    NavItem {
        href: "/insights",
        label: "Insights",
        page: "insights",
    },
    NavItem {
        href: "/funnels",
        label: "Funnels",
        page: "funnels",
    },
    NavItem {
        href: "/retention",
        label: "Retention",
        page: "retention",
    },
    NavItem {
        href: "/flows",
        label: "Flows",
        page: "flows",
    },
    NavItem {
        href: "/events",
        label: "Live events",
        page: "events",
    },
    NavItem {
        href: "/people",
        label: "People",
        page: "people",
    },
    NavItem {
        href: "/privacy",
        label: "Data & privacy",
        page: "privacy",
    },
    NavItem {
        href: "/incidents",
        label: "Incidents",
        page: "incidents",
    },
    NavItem {
        href: "/audit",
        label: "Audit log",
        page: "audit",
    },
    NavItem {
        href: "/users",
        label: "Users",
        page: "users",
    },
    NavItem {
        href: "/keys",
        label: "API keys",
        page: "keys",
    },
];

/// The dashboard's templates.
pub struct Pages {
    env: Environment<'static>,
}

impl Default for Pages {
    fn default() -> Self {
        Self::new()
    }
}

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("app.html", include_str!("../templates/app.html")),
    ("login.html", include_str!("../templates/login.html")),
    (
        "second_factor.html",
        include_str!("../templates/second_factor.html"),
    ),
    ("setup.html", include_str!("../templates/setup.html")),
    ("account.html", include_str!("../templates/account.html")),
    ("enrol.html", include_str!("../templates/enrol.html")),
    (
        "recovery_codes.html",
        include_str!("../templates/recovery_codes.html"),
    ),
    ("message.html", include_str!("../templates/message.html")),
];

impl Pages {
    pub fn new() -> Pages {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name}: {e}"));
        }
        // Asset URLs are ours (a path and a hex hash): safe as they are.
        env.add_function("asset", |path: String| {
            minijinja::Value::from_safe_string(asset_url(&path).unwrap_or_default())
        });
        Pages { env }
    }

    /// Renders `template` with `context` (a JSON object) plus the navigation for `viewer`.
    pub fn render(
        &self,
        template: &str,
        viewer: Option<&Viewer>,
        csrf: &str,
        context: serde_json::Value,
    ) -> String {
        let nav: Vec<&NavItem> = match viewer {
            None => Vec::new(),
            Some(v) => NAV
                .iter()
                .filter(|item| {
                    APP_PAGES
                        .iter()
                        .find(|(page, _, _)| *page == item.page)
                        .is_some_and(|(_, _, access)| access.allows(v))
                })
                .collect(),
        };
        let mut ctx = match context {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        ctx.insert(
            "viewer".into(),
            serde_json::to_value(viewer).unwrap_or_default(),
        );
        ctx.insert("nav".into(), serde_json::to_value(nav).unwrap_or_default());
        ctx.insert("csrf".into(), csrf.into());
        self.env
            .get_template(template)
            .and_then(|t| t.render(minijinja::value::Serde(&ctx)))
            .unwrap_or_else(|e| format!("<!doctype html><p>The page could not be drawn: {e}</p>"))
    }

    /// The shell of a page that `app.js` draws.
    pub fn app_page(
        &self,
        page: &str,
        viewer: &Viewer,
        csrf: &str,
        args: serde_json::Value,
    ) -> Result<String, Refused> {
        let (_, title, access) = APP_PAGES
            .iter()
            .find(|(p, _, _)| *p == page)
            .ok_or(Refused::NotFound)?;
        if !access.allows(viewer) {
            return Err(Refused::Forbidden);
        }
        Ok(self.render(
            "app.html",
            Some(viewer),
            csrf,
            serde_json::json!({"page": page, "title": title, "args": args.to_string()}),
        ))
    }
}

#[cfg(test)]
mod tests;
