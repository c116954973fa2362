//! Built-in word lists for real-looking people and organisations: first and last names from many countries,
//! the two halves of made-up company names, legal-form suffixes, domains and free-mail providers.
//!
//! Organisation names are built so that no two organisations share one (see [`org_name`]): the demo's people
//! and organisations must be distinct for the counts in the analytics to make sense.

/// First names (a mix of the countries the demo's people come from).
pub const FIRST_NAMES: &[&str] = &[
    "Ada",
    "Alan",
    "Alice",
    "Amara",
    "Amelia",
    "Ana",
    "Andrea",
    "Anna",
    "Arjun",
    "Astrid",
    "Ben",
    "Bianca",
    "Carlos",
    "Charlotte",
    "Chen",
    "Chloé",
    "Daniel",
    "David",
    "Diego",
    "Elena",
    "Elif",
    "Emma",
    "Erik",
    "Fatima",
    "Felix",
    "Finn",
    "Gabriel",
    "Grace",
    "Hana",
    "Hannah",
    "Hiro",
    "Ingrid",
    "Isabel",
    "Ivan",
    "Jakub",
    "James",
    "Jana",
    "Javier",
    "Jonas",
    "José",
    "Julia",
    "Kai",
    "Karim",
    "Kenji",
    "Laura",
    "Leila",
    "Leon",
    "Liam",
    "Lucas",
    "Lucía",
    "Luis",
    "Maja",
    "Marco",
    "Maria",
    "Mateo",
    "Mei",
    "Mia",
    "Mohammed",
    "Nadia",
    "Noah",
    "Nora",
    "Oliver",
    "Olivia",
    "Omar",
    "Paula",
    "Pedro",
    "Priya",
    "Rahul",
    "Rosa",
    "Ruth",
    "Sakura",
    "Samuel",
    "Sara",
    "Sofia",
    "Sven",
    "Tariq",
    "Thomas",
    "Tomás",
    "Valentina",
    "Wei",
    "Yara",
    "Yusuf",
    "Zoe",
    "Łukasz",
];

/// Last names.
pub const LAST_NAMES: &[&str] = &[
    "Abbott",
    "Acheampong",
    "Alvarez",
    "Andersson",
    "Bauer",
    "Becker",
    "Bianchi",
    "Brown",
    "Castro",
    "Chen",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fernández",
    "Fischer",
    "Garcia",
    "Gonzalez",
    "Gupta",
    "Hansen",
    "Hoffmann",
    "Ivanova",
    "Jansen",
    "Johansson",
    "Kim",
    "Kowalski",
    "Kumar",
    "Larsen",
    "Lee",
    "Lefebvre",
    "Lopez",
    "Martin",
    "Meyer",
    "Moreau",
    "Müller",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Okafor",
    "Olsen",
    "Patel",
    "Pereira",
    "Petrov",
    "Ricci",
    "Rodriguez",
    "Rossi",
    "Santos",
    "Sato",
    "Schmidt",
    "Schneider",
    "Shah",
    "Silva",
    "Singh",
    "Smith",
    "Suzuki",
    "Tanaka",
    "Taylor",
    "Thompson",
    "van Dijk",
    "Virtanen",
    "Wagner",
    "Walker",
    "Wang",
    "Weber",
    "Williams",
    "Wilson",
    "Wójcik",
    "Yamamoto",
    "Yilmaz",
    "Zhang",
    "Zimmermann",
];

/// First halves of organisation names.
pub const ORG_HEADS: &[&str] = &[
    "Amber", "Apex", "Arc", "Aster", "Birch", "Bright", "Cedar", "Cinder", "Clear", "Cobalt",
    "Copper", "Coral", "Crimson", "Delta", "Drift", "Ember", "Fable", "Fern", "Flint", "Frost",
    "Golden", "Granite", "Harbor", "Hazel", "Indigo", "Iron", "Juniper", "Kestrel", "Lantern",
    "Lumen", "Maple", "Meadow", "Mosaic", "North", "Nova", "Oak", "Onyx", "Orbit", "Pebble",
    "Pine", "Polar", "Quartz", "Quill", "Raven", "Ridge", "River", "Sable", "Saffron", "Silver",
    "Slate", "Solar", "Spruce", "Summit", "Tidal", "Timber", "Velvet", "Willow", "Zephyr",
];

/// Second halves of organisation names (lower case: they are glued to a head, `Quill` + `stone`).
pub const ORG_TAILS: &[&str] = &[
    "bay", "beam", "bit", "bridge", "brook", "cast", "cloud", "craft", "crest", "dale", "dock",
    "field", "forge", "gate", "grid", "grove", "hive", "hub", "lab", "leaf", "light", "line",
    "loop", "mark", "mill", "mint", "nest", "path", "peak", "point", "port", "scape", "shift",
    "signal", "sky", "spark", "stack", "stone", "stream", "works",
];

/// What follows an organisation's name.
pub const ORG_SUFFIXES: &[&str] = &[
    "",
    "",
    "",
    " Labs",
    " AI",
    " Inc.",
    " GmbH",
    " Ltd",
    " Technologies",
    " Software",
    " Analytics",
    " Systems",
    " Studio",
    " Health",
    " Robotics",
    " Data",
];

/// Top-level domains of organisations' domains.
pub const TLDS: &[&str] = &[
    "com", "com", "com", "io", "io", "ai", "dev", "co", "de", "fr", "co.uk", "app",
];

/// Free-mail providers (people in very small organisations often sign up with one).
pub const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "outlook.com",
    "proton.me",
    "icloud.com",
    "yahoo.com",
];

/// How many distinct organisation names the lists give before numbers are needed.
pub fn org_name_space() -> u64 {
    (ORG_HEADS.len() * ORG_TAILS.len()) as u64
}

/// The name and domain stem of organisation number `index`: a permutation of every head × tail pair (so names
/// never repeat among the first [`org_name_space`] organisations; later ones get a number), shuffled by `salt`.
pub fn org_name(index: u64, salt: u64) -> (String, String) {
    let space = org_name_space();
    // A stride coprime with the space visits every pair once.
    let stride = (0..)
        .map(|k| 1_237 + 2 * k)
        .find(|s| gcd(*s, space) == 1)
        .expect("a coprime stride exists");
    let pair = (index % space * stride + salt % space) % space;
    let head = ORG_HEADS[(pair / ORG_TAILS.len() as u64) as usize];
    let tail = ORG_TAILS[(pair % ORG_TAILS.len() as u64) as usize];
    let round = index / space;
    let (name, stem) = (
        format!("{head}{tail}"),
        ascii_slug(&format!("{head}{tail}")),
    );
    if round == 0 {
        (name, stem)
    } else {
        (
            format!("{name} {}", round + 1),
            format!("{stem}{}", round + 1),
        )
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Lower-case ASCII letters and digits only (`Łukasz` → `lukasz`, `van Dijk` → `vandijk`), for email addresses
/// and domains.
pub fn ascii_slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ñ' | 'ń' => 'n',
            'ç' | 'ć' => 'c',
            'ł' | 'Ł' => 'l',
            'ś' => 's',
            'ż' | 'ź' => 'z',
            other => other.to_ascii_lowercase(),
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn organisation_names_and_domains_never_repeat() {
        let space = org_name_space();
        let mut names = HashSet::new();
        let mut stems = HashSet::new();
        for index in 0..space * 2 + 10 {
            let (name, stem) = org_name(index, 77);
            assert!(names.insert(name.clone()), "{name} repeats");
            assert!(stems.insert(stem.clone()), "{stem} repeats");
            assert!(stem.chars().all(|c| c.is_ascii_alphanumeric()), "{stem}");
        }
    }

    #[test]
    fn slugs_are_plain_ascii() {
        assert_eq!(ascii_slug("Łukasz"), "lukasz");
        assert_eq!(ascii_slug("van Dijk"), "vandijk");
        assert_eq!(ascii_slug("Fernández"), "fernandez");
        assert_eq!(ascii_slug("Müller"), "muller");
        for name in FIRST_NAMES.iter().chain(LAST_NAMES) {
            assert!(!ascii_slug(name).is_empty(), "{name}");
        }
    }
}
