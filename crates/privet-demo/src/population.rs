//! The demo's organisations and people.
//!
//! Organisations have Zipf-like sizes from 1 to 50 members, a country (most members work there; some share the
//! office's address) and a unique made-up name with a matching domain. Each person belongs to one organisation
//! and keeps one browser (user agent), one address and one device for the whole dataset.

use std::collections::HashSet;
use std::net::Ipv4Addr;

use rand::Rng;

use crate::clients::USER_AGENTS;
use crate::names::{FIRST_NAMES, FREE_MAIL, LAST_NAMES, ORG_SUFFIXES, TLDS, ascii_slug, org_name};
use crate::places::{COUNTRIES, Country, address, country_weights};
use crate::random::{Weights, mix, pick};
use crate::web::token;

/// The largest organisation.
pub const MAX_ORG_SIZE: u32 = 50;

/// An organisation (a Mixpanel group under the `org_id` key).
#[derive(Clone, Debug)]
pub struct Organisation {
    /// Its position in the dataset (organisations are generated in this order).
    pub index: u64,
    /// `org-` and ten letters and digits, as events carry it in `org_id`.
    pub id: String,
    pub name: String,
    pub domain: String,
    /// How many people it would have if everyone invited joined before the span ends.
    pub size: u32,
    pub country: &'static Country,
    office: Ipv4Addr,
}

/// A person.
#[derive(Clone, Debug)]
pub struct Person {
    /// The organisation's id.
    pub org_id: String,
    /// Position in the organisation: 0 is the founder, who signs up first and invites the others.
    pub member: u32,
    /// The id the product identifies them by (`distinct_id` and `$user_id` once signed up).
    pub user_id: String,
    /// The browser's device id (`$device_id`; the `distinct_id` of anonymous visits before sign-up).
    pub device_id: String,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub email: String,
    pub ip: Ipv4Addr,
    /// ISO code of the country the address belongs to.
    pub country: &'static str,
    pub user_agent: &'static str,
    /// `owner`, `admin` or `member`.
    pub role: &'static str,
}

impl Person {
    /// First and last name.
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// Organisation number `index` of the dataset for `seed`.
pub fn organisation(rng: &mut impl Rng, seed: u64, index: u64) -> Organisation {
    let sizes = Weights::zipf(MAX_ORG_SIZE as usize, 1.6);
    let size = sizes.pick(rng) as u32 + 1;
    let (stem_name, stem) = org_name(index, mix(seed));
    let suffix = ORG_SUFFIXES[rng.random_range(0..ORG_SUFFIXES.len())];
    let tld = TLDS[rng.random_range(0..TLDS.len())];
    let country = &COUNTRIES[country_weights().pick(rng)];
    Organisation {
        index,
        id: org_id(rng),
        name: format!("{stem_name}{suffix}"),
        domain: format!("{stem}.{tld}"),
        size,
        country,
        office: address(rng, country),
    }
}

/// `org-` and ten lower-case letters and digits, at least two of them digits (an id, not a word).
fn org_id(rng: &mut impl Rng) -> String {
    let mut id: Vec<u8> = token(rng, 10).into_bytes();
    if id.iter().filter(|b| b.is_ascii_digit()).count() < 2 {
        id[1] = b'0' + rng.random_range(0..10u8);
        id[6] = b'0' + rng.random_range(0..10u8);
    }
    format!("org-{}", String::from_utf8(id).expect("ASCII"))
}

/// The organisation's members (all `size` of them; whether they join in time is decided by their behaviour).
pub fn members(rng: &mut impl Rng, org: &Organisation) -> Vec<Person> {
    let countries = country_weights();
    let mut emails = HashSet::new();
    let free_mail = org.size <= 2 && rng.random_bool(0.6);
    (0..org.size)
        .map(|member| {
            let first_name = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
            let last_name = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
            let (first, last) = (ascii_slug(first_name), ascii_slug(last_name));
            let email = if free_mail {
                let provider = FREE_MAIL[rng.random_range(0..FREE_MAIL.len())];
                format!("{first}.{last}{}@{provider}", org.index)
            } else {
                let local = match rng.random_range(0..4) {
                    0 | 1 => format!("{first}.{last}"),
                    2 => first.clone(),
                    _ => format!("{}{last}", &first[..1]),
                };
                let mut email = format!("{local}@{}", org.domain);
                if emails.contains(&email) {
                    email = format!("{first}.{last}{member}@{}", org.domain);
                }
                email
            };
            emails.insert(email.clone());
            let local = member == 0 || rng.random_bool(0.8);
            let country = if local {
                org.country
            } else {
                &COUNTRIES[countries.pick(rng)]
            };
            let ip = if local && org.size >= 3 && rng.random_bool(0.35) {
                org.office
            } else {
                address(rng, country)
            };
            let user_agent = *pick(rng, USER_AGENTS);
            let role = if member == 0 {
                "owner"
            } else if rng.random_bool(0.15) {
                "admin"
            } else {
                "member"
            };
            Person {
                org_id: org.id.clone(),
                member,
                user_id: format!("user-{:012x}", rng.random::<u64>() >> 16),
                device_id: uuid(rng),
                first_name,
                last_name,
                email,
                ip,
                country: country.code,
                user_agent,
                role,
            }
        })
        .collect()
}

/// A random (version 4 shaped) UUID.
fn uuid(rng: &mut impl Rng) -> String {
    let a: u128 = rng.random();
    let hex = format!("{a:032x}");
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::stream;

    #[test]
    fn organisations_have_zipf_sizes_and_id_like_ids() {
        let orgs: Vec<Organisation> = (0..2_000)
            .map(|i| organisation(&mut stream(5, i, 0), 5, i))
            .collect();
        let solo = orgs.iter().filter(|o| o.size == 1).count();
        let large = orgs.iter().filter(|o| o.size >= 20).count();
        assert!(solo > large * 2, "{solo} solo, {large} large");
        assert!(orgs.iter().all(|o| (1..=MAX_ORG_SIZE).contains(&o.size)));
        assert!(orgs.iter().any(|o| o.size == MAX_ORG_SIZE));
        for org in &orgs {
            assert!(
                privet_pipeline_id_like(&org.id),
                "{} must look like an id",
                org.id
            );
        }
    }

    /// The rule the pipeline's web transform uses to replace URL segments by `:id` (prefixed ids with digits).
    fn privet_pipeline_id_like(s: &str) -> bool {
        s.chars().filter(char::is_ascii_digit).count() >= 2 && s.len() >= 5
    }

    #[test]
    fn members_have_unique_emails_and_one_of_everything() {
        let mut rng = stream(1, 7, 0);
        let mut org = organisation(&mut rng, 1, 7);
        org.size = 50;
        let people = members(&mut rng, &org);
        let emails: HashSet<_> = people.iter().map(|p| p.email.as_str()).collect();
        assert_eq!(emails.len(), 50);
        assert_eq!(people[0].role, "owner");
        assert!(
            people
                .iter()
                .all(|p| p.email.contains('@') && p.org_id == org.id)
        );
        assert!(people.iter().all(|p| p.device_id.len() == 36));
    }
}
