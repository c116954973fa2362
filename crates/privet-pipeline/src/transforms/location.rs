//! Location: an IP address becomes a coarse place and is then discarded.
//!
//! The address comes from the request (`ip=1`, or `X-Forwarded-For` from a trusted proxy) or from an `ip`/`$ip`
//! property, and is looked up in a MaxMind-format city database ([`GeoDb`]). Without an address or a database,
//! what the client sent (`mp_country_code`, `$region`, `$city`) is used instead. Either way the result passes the
//! same k-anonymity rule: a city is stored only once `k` distinct people have been seen in it, otherwise the
//! region; a region only once `k` people have been seen in it, otherwise only the country. The policy's
//! `location_precision` caps how precise a stored place may be. Coordinates are always dropped.

use std::net::IpAddr;
use std::path::Path;

use hashbrown::HashMap;
use parking_lot::Mutex;
use privet_config::{LocationPrecision, PolicyConfig};

use super::{Field, Working};
use crate::EventContext;
use crate::vault::IdentityVault;

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
    pub country: Option<String>,
    pub region: Option<String>,
    pub city: Option<String>,
}

/// Looks addresses up in a city database.
pub trait Geo: Send + Sync {
    fn place(&self, ip: IpAddr) -> Option<Place>;
}

/// A MaxMind-format database (GeoLite2-City, GeoIP2-City, DB-IP City Lite), with a cache of recent lookups:
/// a person's address repeats from event to event.
pub struct GeoDb {
    reader: maxminddb::Reader<Vec<u8>>,
    cache: Mutex<HashMap<IpAddr, Option<Place>>>,
}

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
            cache: Mutex::new(HashMap::new()),
        })
    }

    fn lookup(&self, ip: IpAddr) -> Option<Place> {
        let city: maxminddb::geoip2::City = self.reader.lookup(ip).ok()?.decode().ok()??;
        let country = city.country.iso_code.map(|c| c.to_ascii_uppercase());
        let region = city
            .subdivisions
            .first()
            .and_then(|s| s.names.english)
            .map(str::to_string);
        let city_name = city.city.names.english.map(str::to_string);
        Some(Place {
            country,
            region,
            city: city_name,
        })
    }
}

impl Geo for GeoDb {
    fn place(&self, ip: IpAddr) -> Option<Place> {
        if let Some(hit) = self.cache.lock().get(&ip) {
            return hit.clone();
        }
        let place = self.lookup(ip);
        let mut cache = self.cache.lock();
        if cache.len() >= GEO_CACHE {
            cache.clear();
        }
        cache.insert(ip, place.clone());
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
    vault: &dyn IdentityVault,
) -> Outcome {
    let property_ip = [Field::Ip, Field::DollarIp]
        .into_iter()
        .filter_map(|field| w.take(field))
        .find_map(|value| value.as_str()?.trim().parse::<IpAddr>().ok());
    let sent = Place {
        country: w
            .take_text(Field::CountryCode)
            .filter(|c| c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()))
            .map(|c| c.to_ascii_uppercase()),
        region: w.take_string(Field::Region),
        city: w.take_string(Field::City),
    };
    let ip = ctx.client_ip.or(property_ip);
    let looked_up = ip.zip(geo).and_then(|(ip, geo)| geo.place(ip));
    let outcome = Outcome {
        looked_up: looked_up.is_some(),
        coarsened: false,
    };
    let place = looked_up.unwrap_or(sent);
    let (dims, coarsened) = coarsen(place, policy, w.person(), vault);
    w.dims.country = dims.country;
    w.dims.region = dims.region;
    w.dims.city = dims.city;
    Outcome {
        coarsened,
        ..outcome
    }
}

/// Keeps the most precise level of `place` that the policy allows and that at least `k` people share.
pub fn coarsen(
    place: Place,
    policy: &PolicyConfig,
    person: Option<privet_model::Pseudonym>,
    vault: &dyn IdentityVault,
) -> (Place, bool) {
    let Some(country) = place.country else {
        // Without a country, a region or city name is ambiguous and unverifiable: keep nothing.
        let coarsened = place.region.is_some() || place.city.is_some();
        return (Place::default(), coarsened);
    };
    let mut out = Place {
        country: Some(country.clone()),
        region: None,
        city: None,
    };
    let region_wanted = policy.location_precision >= LocationPrecision::Region;
    let city_wanted = policy.location_precision >= LocationPrecision::City;
    let mut coarsened =
        !region_wanted && place.region.is_some() || !city_wanted && place.city.is_some();
    // Count the person in their region and in their city, so that both open once k people share them.
    let mut key = String::with_capacity(64);
    let region = place.region.filter(|_| region_wanted).map(|region| {
        key.push_str(&region);
        key.push('|');
        key.push_str(&country);
        let open = vault.admit("region", &key, person, policy.k);
        (region, open)
    });
    let city = match (&region, place.city.filter(|_| city_wanted)) {
        (Some(_), Some(city)) => {
            // "{city}|{region}|{country}"
            key.insert(0, '|');
            key.insert_str(0, &city);
            let open = vault.admit("city", &key, person, policy.k);
            Some((city, open))
        }
        _ => None,
    };
    match region {
        Some((region, true)) => {
            out.region = Some(region);
            match city {
                Some((city, true)) => out.city = Some(city),
                Some((_, false)) => coarsened = true,
                None => {}
            }
        }
        Some((_, false)) => coarsened = true,
        None => {}
    }
    (out, coarsened)
}

#[cfg(test)]
mod tests {
    use privet_model::Pseudonym;

    use super::*;
    use crate::vault::MemoryVault;

    fn place(country: &str, region: &str, city: &str) -> Place {
        Place {
            country: Some(country.into()),
            region: Some(region.into()),
            city: Some(city.into()),
        }
    }

    #[test]
    fn cities_need_k_people_regions_too() {
        let vault = MemoryVault::default();
        let policy = PolicyConfig {
            location_precision: LocationPrecision::City,
            k: 3,
            ..Default::default()
        };
        let lyon = place("FR", "Auvergne-Rhône-Alpes", "Lyon");
        let seen = |n: i64| coarsen(lyon.clone(), &policy, Some(Pseudonym(n)), &vault).0;
        assert_eq!(
            seen(1),
            Place {
                country: Some("FR".into()),
                ..Default::default()
            }
        );
        assert_eq!(seen(2).region, None);
        let third = seen(3);
        assert_eq!(third.region.as_deref(), Some("Auvergne-Rhône-Alpes"));
        assert_eq!(third.city.as_deref(), Some("Lyon"));
        assert_eq!(seen(1).city.as_deref(), Some("Lyon"));
        // A small town in an open region gets the region only.
        let town = place("FR", "Auvergne-Rhône-Alpes", "Yssingeaux");
        let (out, coarsened) = coarsen(town, &policy, Some(Pseudonym(1)), &vault);
        assert!(coarsened);
        assert_eq!((out.region.is_some(), out.city), (true, None));
    }

    #[test]
    fn precision_caps_what_is_kept() {
        let vault = MemoryVault::default();
        let policy = PolicyConfig {
            location_precision: LocationPrecision::Country,
            k: 1,
            ..Default::default()
        };
        let out = coarsen(place("DE", "Berlin", "Berlin"), &policy, None, &vault).0;
        assert_eq!(
            out,
            Place {
                country: Some("DE".into()),
                ..Default::default()
            }
        );
        let policy = PolicyConfig {
            k: 1,
            ..Default::default()
        }; // region precision by default
        let out = coarsen(place("DE", "Berlin", "Berlin"), &policy, None, &vault).0;
        assert_eq!((out.region.as_deref(), out.city), (Some("Berlin"), None));
    }

    struct FixedGeo;
    impl Geo for FixedGeo {
        fn place(&self, ip: IpAddr) -> Option<Place> {
            (ip.to_string() == "81.2.69.142").then(|| place("GB", "England", "London"))
        }
    }

    #[test]
    fn addresses_are_looked_up_then_discarded() {
        let vault = MemoryVault::default();
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
            &vault,
        );
        assert!(outcome.looked_up);
        assert_eq!(w.dims.country.as_deref(), Some("GB"));
        assert_eq!(w.dims.region.as_deref(), Some("England"));
        let event = w.finish();
        assert_eq!(
            event.properties, "{}",
            "address, coordinates and client place are gone"
        );
    }
}
