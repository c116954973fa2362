//! Where the demo's people are: forty countries with Zipf-like popularity, each with a few public IPv4 ranges of
//! its large consumer ISPs and its usual UTC offset (people use the dashboard in their working hours).
//!
//! Every range was checked against GeoLite2-City (at least 98.5% of random addresses in it resolve to its
//! country), so with `--geoip` the demo's locations come out right; without a database the pipeline stores no
//! location, as for any event that carries only an address.

use std::net::Ipv4Addr;

use rand::Rng;

use crate::random::Weights;

/// A country and its address ranges.
#[derive(Debug)]
pub struct Country {
    /// ISO 3166-1 alpha-2.
    pub code: &'static str,
    /// Hours ahead of UTC (rounded; a country's main time zone).
    pub utc_offset: i64,
    /// `(network, prefix length)`.
    pub ranges: &'static [([u8; 4], u8)],
}

/// The countries, most popular first.
pub const COUNTRIES: &[Country] = &[
    country(
        "US",
        -6,
        &[
            ([73, 0, 0, 0], 8),
            ([98, 192, 0, 0], 10),
            ([174, 192, 0, 0], 10),
            ([24, 0, 0, 0], 12),
        ],
    ),
    country(
        "IN",
        5,
        &[
            ([117, 192, 0, 0], 10),
            ([49, 32, 0, 0], 12),
            ([106, 192, 0, 0], 11),
            ([122, 160, 0, 0], 12),
        ],
    ),
    country(
        "GB",
        0,
        &[
            ([86, 128, 0, 0], 10),
            ([81, 96, 0, 0], 12),
            ([2, 24, 0, 0], 13),
            ([90, 192, 0, 0], 11),
        ],
    ),
    country(
        "DE",
        1,
        &[
            ([79, 192, 0, 0], 10),
            ([87, 128, 0, 0], 10),
            ([91, 0, 0, 0], 10),
            ([84, 128, 0, 0], 10),
        ],
    ),
    country(
        "BR",
        -3,
        &[
            ([177, 0, 0, 0], 12),
            ([189, 0, 0, 0], 11),
            ([179, 96, 0, 0], 11),
            ([201, 0, 0, 0], 12),
        ],
    ),
    country(
        "FR",
        1,
        &[
            ([86, 192, 0, 0], 10),
            ([82, 64, 0, 0], 14),
            ([78, 192, 0, 0], 10),
            ([88, 160, 0, 0], 11),
        ],
    ),
    country(
        "CA",
        -5,
        &[
            ([99, 224, 0, 0], 11),
            ([70, 24, 0, 0], 13),
            ([174, 88, 0, 0], 13),
            ([142, 112, 0, 0], 12),
        ],
    ),
    country(
        "JP",
        9,
        &[
            ([126, 0, 0, 0], 8),
            ([114, 144, 0, 0], 12),
            ([153, 128, 0, 0], 9),
        ],
    ),
    country("NL", 1, &[([84, 24, 0, 0], 13), ([77, 160, 0, 0], 12)]),
    country(
        "ES",
        1,
        &[
            ([83, 32, 0, 0], 11),
            ([88, 0, 0, 0], 11),
            ([79, 144, 0, 0], 12),
        ],
    ),
    country(
        "PL",
        1,
        &[
            ([83, 0, 0, 0], 11),
            ([79, 184, 0, 0], 13),
            ([89, 64, 0, 0], 12),
        ],
    ),
    country(
        "AU",
        10,
        &[
            ([1, 128, 0, 0], 11),
            ([120, 144, 0, 0], 12),
            ([58, 160, 0, 0], 12),
        ],
    ),
    country(
        "IT",
        1,
        &[
            ([79, 0, 0, 0], 11),
            ([87, 0, 0, 0], 11),
            ([93, 32, 0, 0], 11),
        ],
    ),
    country(
        "SE",
        1,
        &[
            ([90, 224, 0, 0], 12),
            ([83, 248, 0, 0], 13),
            ([81, 224, 0, 0], 12),
        ],
    ),
    country(
        "KR",
        9,
        &[
            ([175, 192, 0, 0], 10),
            ([121, 128, 0, 0], 10),
            ([58, 120, 0, 0], 13),
        ],
    ),
    country("MX", -6, &[([189, 128, 0, 0], 10), ([201, 96, 0, 0], 11)]),
    country("SG", 8, &[([116, 86, 0, 0], 15)]),
    country("CH", 1, &[([85, 0, 0, 0], 13), ([83, 76, 0, 0], 14)]),
    country("IE", 0, &[([86, 40, 0, 0], 13)]),
    country(
        "TR",
        3,
        &[
            ([78, 160, 0, 0], 11),
            ([88, 224, 0, 0], 11),
            ([85, 96, 0, 0], 12),
        ],
    ),
    country("ID", 7, &[([36, 64, 0, 0], 11), ([114, 120, 0, 0], 13)]),
    country("NG", 1, &[([105, 112, 0, 0], 12), ([41, 184, 0, 0], 16)]),
    country("AR", -3, &[([181, 0, 0, 0], 12), ([152, 168, 0, 0], 14)]),
    country("VN", 7, &[([113, 160, 0, 0], 11), ([14, 160, 0, 0], 11)]),
    country("UA", 2, &[([178, 92, 0, 0], 14), ([93, 72, 0, 0], 14)]),
    country("PT", 0, &[([85, 240, 0, 0], 13), ([2, 80, 0, 0], 14)]),
    country("IL", 2, &[([79, 176, 0, 0], 13), ([2, 52, 0, 0], 14)]),
    country("FI", 2, &[([91, 152, 0, 0], 13), ([37, 33, 0, 0], 16)]),
    country("NO", 1, &[([84, 208, 0, 0], 13), ([88, 88, 0, 0], 13)]),
    country("DK", 1, &[([87, 48, 0, 0], 12), ([2, 104, 0, 0], 14)]),
    country("BE", 1, &[([37, 184, 0, 0], 15), ([46, 178, 0, 0], 15)]),
    country(
        "AT",
        1,
        &[
            ([62, 46, 0, 0], 15),
            ([46, 74, 0, 0], 15),
            ([46, 124, 0, 0], 15),
        ],
    ),
    country("CZ", 1, &[([85, 70, 0, 0], 15), ([78, 44, 0, 0], 15)]),
    country("NZ", 12, &[([122, 56, 0, 0], 14), ([49, 224, 0, 0], 14)]),
    country("ZA", 2, &[([41, 112, 0, 0], 13), ([41, 0, 0, 0], 13)]),
    country("PH", 8, &[([49, 144, 0, 0], 14)]),
    country("CO", -5, &[([181, 48, 0, 0], 12), ([152, 200, 0, 0], 14)]),
    country("EG", 2, &[([41, 32, 0, 0], 12), ([156, 192, 0, 0], 11)]),
    country("KE", 3, &[([41, 80, 0, 0], 15), ([102, 166, 0, 0], 15)]),
    country("CL", -4, &[([152, 172, 0, 0], 15), ([146, 83, 0, 0], 16)]),
];

const fn country(code: &'static str, utc_offset: i64, ranges: &'static [([u8; 4], u8)]) -> Country {
    Country {
        code,
        utc_offset,
        ranges,
    }
}

/// Zipf-like popularity of the countries (the first is the most popular).
pub fn country_weights() -> Weights {
    Weights::zipf(COUNTRIES.len(), 1.1)
}

/// A random public address of `country`: a random range, random host bits, never a `.0` or `.255` address.
pub fn address(rng: &mut impl Rng, country: &Country) -> Ipv4Addr {
    let (network, prefix) = country.ranges[rng.random_range(0..country.ranges.len())];
    let base = u32::from_be_bytes(network);
    let host_bits = 32 - u32::from(prefix);
    let host = rng.random::<u32>() & ((1u32 << host_bits) - 1);
    let mut octets = (base | host).to_be_bytes();
    octets[3] = rng.random_range(1..=254);
    Ipv4Addr::from(octets)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn addresses_are_public_and_inside_their_ranges() {
        let mut rng = StdRng::seed_from_u64(3);
        for country in COUNTRIES {
            assert!(!country.ranges.is_empty(), "{}", country.code);
            for _ in 0..200 {
                let ip = address(&mut rng, country);
                assert!(
                    !(ip.is_private()
                        || ip.is_loopback()
                        || ip.is_link_local()
                        || ip.is_broadcast()
                        || ip.is_documentation()
                        || ip.is_unspecified()
                        || ip.is_multicast()),
                    "{ip}"
                );
                let inside = country.ranges.iter().any(|(network, prefix)| {
                    let mask = u32::MAX << (32 - u32::from(*prefix));
                    u32::from(ip) & mask == u32::from_be_bytes(*network) & mask
                });
                assert!(inside, "{ip} is outside {}'s ranges", country.code);
            }
        }
        let codes: std::collections::HashSet<_> = COUNTRIES.iter().map(|c| c.code).collect();
        assert_eq!(codes.len(), COUNTRIES.len(), "each country once");
    }
}
