//! k-anonymity at rest: dimensions withheld until `k` people are stored with them.
//!
//! A region, a city, an OS/browser family or a full OS/browser/version combination is *published* (shown in the
//! analytics store) only once at least `k` distinct people are stored with it. Until then an event is stored with
//! something coarser (the region instead of the city, the country instead of the region, the families without
//! versions, or only the device type), and the precise values travel beside it *sealed*: encrypted under a key
//! derived from the vault's master key, in the store's hidden `_sealed` column, unreadable from a copy of the data
//! directory.
//!
//! The store counts distinct people per withheld value on sealed rows; when a value reaches `k`, it unseals every
//! row that carries it in one manifest swap, so the value appears for `k` people at once and never for fewer
//! (see `privet-store`'s `publication` module). From then on the pipeline stores it directly.
//!
//! This module holds the one rule both sides apply ([`withhold`], [`restore`], [`keys`]) and the contract between
//! them ([`Publisher`]).

use serde::{Deserialize, Serialize};

use crate::event::{Dim, Dimensions};

/// A kind of value that must be shared by `k` people before it is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Dimension {
    /// `region|country`.
    Region,
    /// `city|region|country`.
    City,
    /// `os|browser|device_type`.
    ClientFamily,
    /// `os|os_version|browser|browser_version|device_type`.
    Client,
}

impl Dimension {
    pub const ALL: [Dimension; 4] = [
        Dimension::Region,
        Dimension::City,
        Dimension::ClientFamily,
        Dimension::Client,
    ];

    /// The name stored in the store's `published` table.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Region => "region",
            Dimension::City => "city",
            Dimension::ClientFamily => "client_family",
            Dimension::Client => "client",
        }
    }

    pub fn parse(name: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.as_str() == name)
    }
}

/// The precise values an event is stored without (what its sealed blob holds).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withheld {
    pub region: Option<Dim>,
    pub city: Option<Dim>,
    pub os: Option<Dim>,
    pub os_version: Option<Dim>,
    pub browser: Option<Dim>,
    pub browser_version: Option<Dim>,
}

impl Withheld {
    pub fn is_empty(&self) -> bool {
        *self == Withheld::default()
    }
}

/// What the store needs from the side that holds the sealing key and the policy (implemented by the pipeline).
pub trait Publisher: Send + Sync {
    /// How many distinct people must share a value of `project` before it is shown.
    fn k(&self, project: i64) -> usize;
    /// Seals the withheld values of an event of `project`.
    fn seal(&self, project: i64, withheld: &Withheld) -> Vec<u8>;
    /// Opens a blob made by [`Publisher::seal`]; `None` if it is not one (or the key is not the one that made it).
    fn open(&self, project: i64, sealed: &[u8]) -> Option<Withheld>;
    /// Whether a value of `project` is published.
    fn is_published(&self, project: i64, dimension: Dimension, key: &str) -> bool;
    /// Marks values of `project` as published (they are now stored for at least `k` people).
    fn publish(&self, project: i64, keys: &[(Dimension, String)]);
    /// Whether `project`'s policy allows storing values of `dimension` at all (its `location_precision`).
    fn allows(&self, project: i64, dimension: Dimension) -> bool;
}

/// Builds the key of a value: its parts joined by `|`, missing parts empty, `|` and `\` inside a part escaped
/// with `\` (client-sent names may contain them; `A|B` in `C` and `A` in `B|C` must not share a key).
fn key(out: &mut String, parts: &[&Option<Dim>]) {
    out.clear();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push('|');
        }
        let part = part.as_deref().unwrap_or("");
        if part.contains(['|', '\\']) {
            for c in part.chars() {
                if c == '|' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
        } else {
            out.push_str(part);
        }
    }
}

/// The key of `dims`' value of `dimension` (see [`Dimension`]).
fn key_of(out: &mut String, dimension: Dimension, d: &Dimensions) {
    match dimension {
        Dimension::Region => key(out, &[&d.region, &d.country]),
        Dimension::City => key(out, &[&d.city, &d.region, &d.country]),
        Dimension::ClientFamily => key(out, &[&d.os, &d.browser, &d.device_type]),
        Dimension::Client => key(
            out,
            &[
                &d.os,
                &d.os_version,
                &d.browser,
                &d.browser_version,
                &d.device_type,
            ],
        ),
    }
}

/// Keeps in `dims` the most precise place that `published` allows; moves the rest into `out`.
///
/// A region is shown only when published (otherwise only the country is); a city only when its region is shown
/// and the city is published too. Without a country, a region or city name is ambiguous: the caller drops them.
pub fn withhold_place(
    dims: &mut Dimensions,
    out: &mut Withheld,
    published: &dyn Fn(Dimension, &str) -> bool,
) {
    if dims.region.is_none() {
        // A city without its region cannot be placed (two Springfields): drop it.
        dims.city = None;
        return;
    }
    KEY.with_borrow_mut(|k| {
        key_of(k, Dimension::Region, dims);
        if !published(Dimension::Region, k) {
            out.region = dims.region.take();
            out.city = dims.city.take();
            return;
        }
        if dims.city.is_some() {
            key_of(k, Dimension::City, dims);
            if !published(Dimension::City, k) {
                out.city = dims.city.take();
            }
        }
    });
}

thread_local! {
    /// The buffer [`withhold_place`] and [`withhold_client`] spell keys into (two allocations fewer per event).
    static KEY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Keeps in `dims` the most precise client combination that `published` allows; moves the rest into `out`.
///
/// The full combination (with major versions) is shown when both it and its family are published; otherwise the
/// families without versions when the family is; otherwise only the device type. Versions sent without any
/// family need the full combination published too.
pub fn withhold_client(
    dims: &mut Dimensions,
    out: &mut Withheld,
    published: &dyn Fn(Dimension, &str) -> bool,
) {
    let has_family = dims.os.is_some() || dims.browser.is_some();
    let versions = dims.os_version.is_some() || dims.browser_version.is_some();
    if !has_family && !versions {
        return;
    }
    let (family, shown) = KEY.with_borrow_mut(|k| {
        let family = !has_family || {
            key_of(k, Dimension::ClientFamily, dims);
            published(Dimension::ClientFamily, k)
        };
        let shown = if family && versions {
            key_of(k, Dimension::Client, dims);
            published(Dimension::Client, k)
        } else {
            family
        };
        (family, shown)
    });
    if shown {
        return;
    }
    out.os_version = dims.os_version.take();
    out.browser_version = dims.browser_version.take();
    if !family {
        out.os = dims.os.take();
        out.browser = dims.browser.take();
    }
}

/// Drops from `dims` and `withheld` the levels of place a project's policy does not allow (a policy lowered from
/// `city` to `region` after values were sealed): publication never shows them, and re-seals without them.
pub fn cap(dims: &mut Dimensions, withheld: &mut Withheld, allows: &dyn Fn(Dimension) -> bool) {
    if !allows(Dimension::Region) {
        dims.region = None;
        withheld.region = None;
    }
    if !allows(Dimension::City) || dims.region.is_none() {
        dims.city = None;
        withheld.city = None;
    }
}

/// Both rules: what `dims` may show, and what it must be stored without.
pub fn withhold(dims: &mut Dimensions, published: &dyn Fn(Dimension, &str) -> bool) -> Withheld {
    let mut out = Withheld::default();
    withhold_place(dims, &mut out, published);
    withhold_client(dims, &mut out, published);
    out
}

/// Puts withheld values back into `dims` (the precise form, before [`withhold`] is applied again).
pub fn restore(dims: &mut Dimensions, withheld: Withheld) {
    let Withheld {
        region,
        city,
        os,
        os_version,
        browser,
        browser_version,
    } = withheld;
    for (slot, value) in [
        (&mut dims.region, region),
        (&mut dims.city, city),
        (&mut dims.os, os),
        (&mut dims.os_version, os_version),
        (&mut dims.browser, browser),
        (&mut dims.browser_version, browser_version),
    ] {
        if value.is_some() {
            *slot = value;
        }
    }
}

/// The values (dimension and key) a row needs published to show what it holds back: `dims` are its precise
/// dimensions (after [`restore`]), `withheld` what its stored form lacks.
pub fn keys(dims: &Dimensions, withheld: &Withheld) -> Vec<(Dimension, String)> {
    let needed = [
        (Dimension::Region, withheld.region.is_some()),
        (Dimension::City, withheld.city.is_some()),
        (
            Dimension::ClientFamily,
            withheld.os.is_some() || withheld.browser.is_some(),
        ),
        (
            Dimension::Client,
            withheld.os_version.is_some() || withheld.browser_version.is_some(),
        ),
    ];
    needed
        .into_iter()
        .filter(|(_, needed)| *needed)
        .map(|(dimension, _)| {
            let mut k = String::new();
            key_of(&mut k, dimension, dims);
            (dimension, k)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn precise() -> Dimensions {
        Dimensions {
            country: Some("FR".into()),
            region: Some("Occitanie".into()),
            city: Some("Albi".into()),
            os: Some("Linux".into()),
            os_version: Some("6".into()),
            browser: Some("Firefox".into()),
            browser_version: Some("133".into()),
            device_type: Some("desktop".into()),
            url_path: Some("/pricing".into()),
            ..Default::default()
        }
    }

    fn set(keys: &[(Dimension, &str)]) -> HashSet<(Dimension, String)> {
        keys.iter().map(|(d, k)| (*d, k.to_string())).collect()
    }

    #[test]
    fn nothing_published_leaves_country_and_device() {
        let mut dims = precise();
        let withheld = withhold(&mut dims, &|_, _| false);
        assert_eq!(dims.country.as_deref(), Some("FR"));
        assert_eq!(dims.device_type.as_deref(), Some("desktop"));
        assert_eq!(dims.url_path.as_deref(), Some("/pricing"));
        for hidden in [
            &dims.region,
            &dims.city,
            &dims.os,
            &dims.os_version,
            &dims.browser,
            &dims.browser_version,
        ] {
            assert_eq!(hidden, &None);
        }
        assert_eq!(withheld.city.as_deref(), Some("Albi"));
        assert_eq!(withheld.browser_version.as_deref(), Some("133"));
        // Restoring and applying the rule again with everything published gives the precise dimensions back.
        restore(&mut dims, withheld);
        let rest = withhold(&mut dims, &|_, _| true);
        assert!(rest.is_empty());
        assert_eq!(dims, precise());
    }

    #[test]
    fn each_level_needs_its_own_key() {
        let published = set(&[
            (Dimension::Region, "Occitanie|FR"),
            (Dimension::ClientFamily, "Linux|Firefox|desktop"),
        ]);
        let mut dims = precise();
        let withheld = withhold(&mut dims, &|d, k| published.contains(&(d, k.to_string())));
        assert_eq!(dims.region.as_deref(), Some("Occitanie"));
        assert_eq!(dims.city, None);
        assert_eq!(dims.browser.as_deref(), Some("Firefox"));
        assert_eq!(dims.browser_version, None);
        assert_eq!(
            withheld,
            Withheld {
                city: Some("Albi".into()),
                os_version: Some("6".into()),
                browser_version: Some("133".into()),
                ..Default::default()
            }
        );
        // A published city under an unpublished region stays hidden: the region is the coarser value.
        let city_only = set(&[(Dimension::City, "Albi|Occitanie|FR")]);
        let mut dims = precise();
        withhold(&mut dims, &|d, k| city_only.contains(&(d, k.to_string())));
        assert_eq!((dims.region, dims.city), (None, None));
    }

    #[test]
    fn parts_containing_the_separator_do_not_collide() {
        let named = |city: &str, region: &str| {
            let dims = Dimensions {
                country: Some("FR".into()),
                region: Some(region.into()),
                city: Some(city.into()),
                ..Default::default()
            };
            let mut k = String::new();
            key_of(&mut k, Dimension::City, &dims);
            k
        };
        assert_ne!(named("A|B", "C"), named("A", "B|C"));
        assert_ne!(named("A\\", "|C"), named("A\\|", "C"));
        assert_eq!(named("Albi", "Occitanie"), "Albi|Occitanie|FR");
    }

    #[test]
    fn versions_without_families_need_their_combination_published() {
        let mut dims = Dimensions {
            os_version: Some("17".into()),
            device_type: Some("mobile".into()),
            ..Default::default()
        };
        let withheld = withhold(&mut dims, &|_, _| false);
        assert_eq!(dims.os_version, None);
        assert_eq!(withheld.os_version.as_deref(), Some("17"));
        let mut precise = dims.clone();
        restore(&mut precise, withheld.clone());
        assert_eq!(
            keys(&precise, &withheld),
            vec![(Dimension::Client, "|17|||mobile".to_string())]
        );
        let mut shown = precise.clone();
        assert!(
            withhold(&mut shown, &|d, k| d == Dimension::Client
                && k == "|17|||mobile")
            .is_empty()
        );
        assert_eq!(shown.os_version.as_deref(), Some("17"));
    }

    #[test]
    fn capping_drops_what_the_policy_no_longer_allows() {
        let mut dims = precise();
        let mut withheld = withhold(&mut dims, &|_, _| false);
        restore(&mut dims, withheld.clone());
        cap(&mut dims, &mut withheld, &|d| d != Dimension::City);
        assert_eq!(
            (dims.region.as_deref(), dims.city.as_deref()),
            (Some("Occitanie"), None)
        );
        assert_eq!(withheld.city, None);
        assert_eq!(withheld.region.as_deref(), Some("Occitanie"));
        cap(&mut dims, &mut withheld, &|d| {
            d != Dimension::Region && d != Dimension::City
        });
        assert_eq!((dims.region, withheld.region), (None, None));
    }

    #[test]
    fn keys_name_the_levels_a_row_holds_back() {
        let mut dims = precise();
        let withheld = withhold(&mut dims, &|_, _| false);
        let mut precise_again = dims.clone();
        restore(&mut precise_again, withheld.clone());
        assert_eq!(
            keys(&precise_again, &withheld),
            vec![
                (Dimension::Region, "Occitanie|FR".to_string()),
                (Dimension::City, "Albi|Occitanie|FR".to_string()),
                (Dimension::ClientFamily, "Linux|Firefox|desktop".to_string()),
                (Dimension::Client, "Linux|6|Firefox|133|desktop".to_string()),
            ]
        );
        // A row that shows its region and client family needs only its city and versions.
        let published = set(&[
            (Dimension::Region, "Occitanie|FR"),
            (Dimension::ClientFamily, "Linux|Firefox|desktop"),
        ]);
        let mut dims = precise();
        let withheld = withhold(&mut dims, &|d, k| published.contains(&(d, k.to_string())));
        restore(&mut dims, withheld.clone());
        assert_eq!(
            keys(&dims, &withheld),
            vec![
                (Dimension::City, "Albi|Occitanie|FR".to_string()),
                (Dimension::Client, "Linux|6|Firefox|133|desktop".to_string()),
            ]
        );
        for d in Dimension::ALL {
            assert_eq!(Dimension::parse(d.as_str()), Some(d));
        }
    }
}
