//! Network: the caller's IP address is never kept.
//!
//! `ip` and `$ip` properties are removed; the country an SDK computed (`mp_country_code`) and a client-sent
//! region become columns.

use serde_json::{Map, Value};

use super::Working;
use crate::EventContext;

const IP_PROPERTIES: &[&str] = &["ip", "$ip", "$latitude", "$longitude"];

/// Applies the network transform to an event.
pub fn apply(w: &mut Working, _ctx: &EventContext) {
    strip(&mut w.props);
    w.dims.country = w
        .take_text("mp_country_code")
        .filter(|c| c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()))
        .map(|c| c.to_ascii_uppercase());
    w.dims.region = w.take_text("$region");
}

/// Removes addresses and coordinates from profile properties.
pub fn strip_profile(props: &mut Map<String, Value>) {
    strip(props);
}

fn strip(props: &mut Map<String, Value>) {
    for key in IP_PROPERTIES {
        props.remove(*key);
    }
}
