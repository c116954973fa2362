//! The embedded scripts, styles and icon, served under `/assets/NAME?v=HASH`. The hash of each file's content
//! is in every URL the pages use, so browsers may cache assets forever and still never run a stale script.

use std::sync::OnceLock;

use sha2::{Digest, Sha256};

/// An embedded file.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
    /// The first 12 hex characters of the SHA-256 of `bytes`.
    pub hash: String,
}

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/app.js"),
    ),
    (
        "charts.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/charts.js"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_bytes!("../assets/icon.svg"),
    ),
];

fn all() -> &'static [Asset] {
    static ASSETS: OnceLock<Vec<Asset>> = OnceLock::new();
    ASSETS.get_or_init(|| {
        FILES
            .iter()
            .map(|(name, content_type, bytes)| Asset {
                name,
                content_type,
                bytes,
                hash: hex::encode(&Sha256::digest(bytes)[..6]),
            })
            .collect()
    })
}

/// The embedded file called `name`.
pub fn asset(name: &str) -> Option<&'static Asset> {
    all().iter().find(|a| a.name == name)
}

/// The URL pages use for `name`, with its content hash.
pub fn asset_url(name: &str) -> Option<String> {
    asset(name).map(|a| format!("/assets/{}?v={}", a.name, a.hash))
}
