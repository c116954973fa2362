//! Location: an IP address becomes a coarse place and is then discarded.
//!
//! The address comes from the request (`ip=1`, or `X-Forwarded-For` from a trusted proxy) or from an `ip`/`$ip`
//! property, and is looked up in a MaxMind-format city database ([`GeoDb`]). Without an address or a database,
//! what the client sent (`mp_country_code`, `$region`, `$city`) is used instead. Either way the result passes the
//! same k-anonymity rule (`privet_model::withheld`): a city is shown only once it is published (stored for at
//! least `k` distinct people), otherwise the region; a region only once published, otherwise only the country.
//! What is held back travels sealed beside the event until the store publishes it. The policy's
//! `location_precision` caps how precise a stored place may be (beyond it, nothing is kept, not even sealed).
//! Coordinates are always dropped.

use std::net::IpAddr;
use std::path::Path;

use privet_config::{LocationPrecision, PolicyConfig};
use privet_model::withheld::{self, Dimension, Withheld};
use privet_model::{Dim, Dimensions};

use super::{Field, Working};
use crate::EventContext;
use crate::cache::LocalCache;
use xxhash_rust::xxh3::xxh3_128_with_seed;

/// The properties this transform consumes.
pub const FIELDS: &[(&str, Field)] = &[
    ("ip", Field::Ip),
    ("$ip", Field::DollarIp),
    ("mp_country_code", Field::CountryCode),
    ("$region", Field::Region),
    ("$city", Field::City),
];

/// Coordinates: always dropped.
pub const DROPPED: &[&str] = &["$latitude", "$longitude", "$geo_source"];

/// What a profile update may not say about where its person is.
pub const PROFILE_DROPPED: &[&str] = &[
    "ip",
    "$ip",
    "$latitude",
    "$longitude",
    "$geo_source",
    "$city",
    "$region",
    "mp_country_code",
    "$country_code",
];

/// A place, as precise as the source knows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Place {
    /// ISO 3166-1 alpha-2, upper case.
    pub country: Option<Dim>,
    pub region: Option<Dim>,
    pub city: Option<Dim>,
}

/// Looks addresses up in a city database.
pub trait Geo: Send + Sync {
    fn place(&self, ip: IpAddr) -> Option<Place>;
}

/// A MaxMind-format database (GeoLite2-City, GeoIP2-City, DB-IP City Lite), with a cache of recent lookups
/// ([`LocalCache`]: per thread): a person's address repeats from event to event.
///
/// The cache is keyed by a 128-bit hash of the address under a random per-process seed, so no address stays in
/// memory once its event is minimised; only the places do.
pub struct GeoDb {
    reader: maxminddb::Reader<Vec<u8>>,
    seed: u64,
    cache: LocalCache<u128, Option<Place>>,
}

/// Entries in all threads (about 100 bytes each).
const GEO_CACHE: usize = 100_000;

impl GeoDb {
    pub fn open(path: &Path) -> Result<GeoDb, String> {
        let reader = maxminddb::Reader::open_readfile(path).map_err(|e| {
            format!(
                "cannot read the GeoIP database {}: {e}; point --geoip at a GeoLite2-City or DB-IP City .mmdb file",
                path.display()
            )
        })?;
        Ok(GeoDb {
            reader,
            seed: rand::random(),
            cache: LocalCache::new(GEO_CACHE),
        })
    }

    fn lookup(&self, ip: IpAddr) -> Option<Place> {
        let city: maxminddb::geoip2::City = self.reader.lookup(ip).ok()?.decode().ok()??;
        let country = city.country.iso_code.map(|c| c.to_ascii_uppercase().into());
        let region = city
            .subdivisions
            .first()
            .and_then(|s| s.names.english)
            .map(Dim::from);
        let city_name = city.city.names.english.map(Dim::from);
        Some(Place {
            country,
            region,
            city: city_name,
        })
    }
}

impl Geo for GeoDb {
    fn place(&self, ip: IpAddr) -> Option<Place> {
        let key = match ip {
            IpAddr::V4(v4) => xxh3_128_with_seed(&v4.octets(), self.seed),
            IpAddr::V6(v6) => xxh3_128_with_seed(&v6.octets(), self.seed),
        };
        if let Some(hit) = self.cache.get(&key) {
            return hit;
        }
        let place = self.lookup(ip);
        self.cache.insert(key, place.clone());
        place
    }
}

/// What the location transform did (for the pipeline's counters).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub looked_up: bool,
    pub coarsened: bool,
}

/// Applies the location transform to an event.
pub fn apply(
    w: &mut Working,
    ctx: &EventContext,
    geo: Option<&dyn Geo>,
    policy: &PolicyConfig,
    published: &dyn Fn(Dimension, &str) -> bool,
) -> Outcome {
    let property_ip = [Field::Ip, Field::DollarIp]
        .into_iter()
        .filter_map(|field| w.take(field))
        .find_map(|value| {
            privet_model::json::trim(&value.as_str()?)
                .parse::<IpAddr>()
                .ok()
        });
    let sent = Place {
        country: w
            .take_text(Field::CountryCode)
            .filter(|c| c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()))
            .map(|c| c.to_ascii_uppercase().into()),
        region: w.take_dim(Field::Region),
        city: w.take_dim(Field::City),
    };
    let ip = ctx.client_ip.or(property_ip);
    let looked_up = ip.zip(geo).and_then(|(ip, geo)| geo.place(ip));
    let outcome = Outcome {
        looked_up: looked_up.is_some(),
        coarsened: false,
    };
    let place = looked_up.unwrap_or(sent);
    let coarsened = settle(place, policy, &mut w.dims, &mut w.withheld, published);
    Outcome {
        coarsened,
        ..outcome
    }
}

/// Whether a policy's `location_precision` lets values of `dimension` be stored at all (sealed or shown).
pub fn allows(precision: LocationPrecision, dimension: Dimension) -> bool {
    match dimension {
        Dimension::Region => precision >= LocationPrecision::Region,
        Dimension::City => precision >= LocationPrecision::City,
        Dimension::ClientFamily | Dimension::Client => true,
    }
}

/// Puts into `dims` the most precise level of `place` that the policy allows and that is published; the levels
/// the policy allows but that are not published yet go to `withheld`. Returns whether anything was held back or
/// dropped.
pub fn settle(
    place: Place,
    policy: &PolicyConfig,
    dims: &mut Dimensions,
    withheld: &mut Withheld,
    published: &dyn Fn(Dimension, &str) -> bool,
) -> bool {
    let Some(country) = place.country else {
        // Without a country, a region or city name is ambiguous and unverifiable: keep nothing.
        return place.region.is_some() || place.city.is_some();
    };
    let region_wanted = allows(policy.location_precision, Dimension::Region);
    let city_wanted = allows(policy.location_precision, Dimension::City);
    let capped = !region_wanted && place.region.is_some() || !city_wanted && place.city.is_some();
    dims.country = Some(country);
    dims.region = place.region.filter(|_| region_wanted);
    dims.city = place.city.filter(|_| city_wanted);
    let had = (dims.region.is_some(), dims.city.is_some());
    withheld::withhold_place(dims, withheld, published);
    capped || had != (dims.region.is_some(), dims.city.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(country: &str, region: &str, city: &str) -> Place {
        Place {
            country: Some(country.into()),
            region: Some(region.into()),
            city: Some(city.into()),
        }
    }

    /// Settles `place` with only `published` keys published; returns what is shown and what is withheld.
    fn settled(place: Place, policy: &PolicyConfig, published: &[&str]) -> (Place, Withheld) {
        let mut dims = Dimensions::default();
        let mut withheld = Withheld::default();
        settle(place, policy, &mut dims, &mut withheld, &|_, key| {
            published.contains(&key)
        });
        let shown = Place {
            country: dims.country,
            region: dims.region,
            city: dims.city,
        };
        (shown, withheld)
    }

    #[test]
    fn places_are_withheld_until_published() {
        let policy = PolicyConfig {
            location_precision: LocationPrecision::City,
            ..Default::default()
        };
        let lyon = place("FR", "Auvergne-Rhône-Alpes", "Lyon");
        let (shown, withheld) = settled(lyon.clone(), &policy, &[]);
        assert_eq!(
            shown,
            Place {
                country: Some("FR".into()),
                ..Default::default()
            }
        );
        assert_eq!(withheld.region.as_deref(), Some("Auvergne-Rhône-Alpes"));
        assert_eq!(withheld.city.as_deref(), Some("Lyon"));
        let region = "Auvergne-Rhône-Alpes|FR";
        let (shown, withheld) = settled(lyon.clone(), &policy, &[region]);
        assert_eq!((shown.region.is_some(), shown.city), (true, None));
        assert_eq!(withheld.city.as_deref(), Some("Lyon"));
        let (shown, withheld) = settled(
            lyon.clone(),
            &policy,
            &[region, "Lyon|Auvergne-Rhône-Alpes|FR"],
        );
        assert_eq!(shown, lyon);
        assert!(withheld.is_empty());
    }

    #[test]
    fn precision_caps_what_is_kept_even_sealed() {
        let policy = PolicyConfig {
            location_precision: LocationPrecision::Country,
            ..Default::default()
        };
        let (shown, withheld) = settled(place("DE", "Berlin", "Berlin"), &policy, &[]);
        assert_eq!(
            shown,
            Place {
                country: Some("DE".into()),
                ..Default::default()
            }
        );
        assert!(
            withheld.is_empty(),
            "beyond the policy's precision nothing is kept"
        );
        // Region precision by default.
        let policy = PolicyConfig::default();
        let (shown, withheld) = settled(place("DE", "Berlin", "Berlin"), &policy, &["Berlin|DE"]);
        assert_eq!(
            (shown.region.as_deref(), shown.city),
            (Some("Berlin"), None)
        );
        assert!(withheld.is_empty());
    }

    struct FixedGeo;
    impl Geo for FixedGeo {
        fn place(&self, ip: IpAddr) -> Option<Place> {
            (ip.to_string() == "81.2.69.142").then(|| place("GB", "England", "London"))
        }
    }

    #[test]
    fn addresses_are_looked_up_then_discarded() {
        let policy = PolicyConfig {
            k: 1,
            ..Default::default()
        };
        let raw = privet_model::RawEvent::from_json(
            "x",
            0,
            None,
            &serde_json::json!({"ip": "81.2.69.142", "$latitude": 1.5, "$city": "Paris", "mp_country_code": "fr"}),
        );
        let properties = raw.properties.clone();
        let roles = crate::transforms::Roles::new(&policy);
        let mut w = Working::new(raw, &properties, &roles);
        let outcome = apply(
            &mut w,
            &EventContext::default(),
            Some(&FixedGeo),
            &policy,
            &|_, _| true,
        );
        assert!(outcome.looked_up);
        assert_eq!(w.dims.country.as_deref(), Some("GB"));
        assert_eq!(w.dims.region.as_deref(), Some("England"));
        let event = w.finish(None);
        assert_eq!(
            event.properties, "{}",
            "address, coordinates and client place are gone"
        );
    }
}
