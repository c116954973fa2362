//! Client: operating system, browser, device and SDK, as the SDK reported them.

use super::Working;

/// Applies the client transform to an event.
pub fn apply(w: &mut Working) {
    w.dims.os = w.take_text("$os");
    w.dims.os_version = w.take_text("$os_version").map(|v| major(&v));
    w.dims.browser = w.take_text("$browser");
    w.dims.browser_version = w.take_text("$browser_version").map(|v| major(&v));
    w.dims.device_type = w
        .take_text("$device_type")
        .or_else(|| w.take_text("$device"));
    w.dims.lib = w.take_text("mp_lib");
}

/// The major part of a version ("120.0.6099" → "120").
pub fn major(version: &str) -> String {
    version
        .split(['.', '_', ' '])
        .next()
        .unwrap_or(version)
        .to_string()
}
