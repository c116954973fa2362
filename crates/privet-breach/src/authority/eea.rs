//! The EU/EEA member states and their supervisory authorities, and how the report groups affected people by
//! country: each member state on its own line, everyone else in one "outside the EEA" line, unknown apart.

use std::collections::BTreeMap;

use super::MemberStateCount;

/// Every EU member state plus Iceland, Liechtenstein and Norway: ISO 3166-1 alpha-2 code, country, the name of
/// its supervisory authority. Sorted by code.
///
/// Greece is `GR` here (ISO); the EU's own `EL` is accepted wherever a code is read. The United Kingdom (`GB`)
/// is not in the EEA: its authority is the ICO, see [`UK_AUTHORITY`].
pub const EEA: &[(&str, &str, &str)] = &[
    ("AT", "Austria", "Datenschutzbehörde (DSB)"),
    (
        "BE",
        "Belgium",
        "Autorité de protection des données / Gegevensbeschermingsautoriteit (APD/GBA)",
    ),
    (
        "BG",
        "Bulgaria",
        "Commission for Personal Data Protection (CPDP)",
    ),
    ("CY", "Cyprus", "Commissioner for Personal Data Protection"),
    ("CZ", "Czechia", "Úřad pro ochranu osobních údajů (ÚOOÚ)"),
    ("DE", "Germany", "BfDI / Landesdatenschutzbehörde"),
    ("DK", "Denmark", "Datatilsynet"),
    ("EE", "Estonia", "Andmekaitse Inspektsioon (AKI)"),
    ("ES", "Spain", "AEPD"),
    (
        "FI",
        "Finland",
        "Tietosuojavaltuutetun toimisto (Data Protection Ombudsman)",
    ),
    ("FR", "France", "CNIL"),
    ("GR", "Greece", "Hellenic Data Protection Authority (HDPA)"),
    (
        "HR",
        "Croatia",
        "Agencija za zaštitu osobnih podataka (AZOP)",
    ),
    ("HU", "Hungary", "NAIH"),
    ("IE", "Ireland", "Data Protection Commission"),
    ("IS", "Iceland", "Persónuvernd"),
    (
        "IT",
        "Italy",
        "Garante per la protezione dei dati personali",
    ),
    ("LI", "Liechtenstein", "Datenschutzstelle"),
    (
        "LT",
        "Lithuania",
        "Valstybinė duomenų apsaugos inspekcija (VDAI)",
    ),
    (
        "LU",
        "Luxembourg",
        "CNPD (Commission nationale pour la protection des données)",
    ),
    ("LV", "Latvia", "Datu valsts inspekcija"),
    (
        "MT",
        "Malta",
        "Information and Data Protection Commissioner (IDPC)",
    ),
    ("NL", "Netherlands", "Autoriteit Persoonsgegevens"),
    ("NO", "Norway", "Datatilsynet"),
    ("PL", "Poland", "UODO"),
    (
        "PT",
        "Portugal",
        "CNPD (Comissão Nacional de Proteção de Dados)",
    ),
    ("RO", "Romania", "ANSPDCP"),
    ("SE", "Sweden", "IMY (Integritetsskyddsmyndigheten)"),
    ("SI", "Slovenia", "Informacijski pooblaščenec"),
    ("SK", "Slovakia", "Úrad na ochranu osobných údajov"),
];

/// The United Kingdom's supervisory authority (UK GDPR), named apart because the UK is not in the EEA.
pub const UK_AUTHORITY: &str = "Information Commissioner's Office (ICO)";

/// The EEA entry for a country code (any case; `EL` is Greece).
pub fn member_state(code: &str) -> Option<(&'static str, &'static str, &'static str)> {
    let code = normalise(code)?;
    EEA.iter().copied().find(|(c, _, _)| *c == code)
}

/// Upper-cases a code and maps the EU's `EL` to `GR` and `UK` to `GB`; `None` for anything that is not two
/// letters (`??`, empty).
pub(crate) fn normalise(code: &str) -> Option<String> {
    let code = code.trim().to_ascii_uppercase();
    if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    Some(match code.as_str() {
        "EL" => "GR".into(),
        "UK" => "GB".into(),
        _ => code,
    })
}

/// Affected people grouped for the report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Countries {
    /// EEA member states, most people first (then by code).
    pub member_states: Vec<MemberStateCount>,
    /// Countries outside the EEA (the UK included), most people first: code and people.
    pub outside: Vec<(String, u64)>,
    /// People in the United Kingdom (also counted in `outside`).
    pub uk: u64,
    /// People whose country is unknown.
    pub unknown: u64,
}

impl Countries {
    /// Groups [`crate::Assessment::people_by_country`].
    pub(crate) fn group(people_by_country: &BTreeMap<String, u64>) -> Countries {
        let mut eea: BTreeMap<&'static str, u64> = BTreeMap::new();
        let mut outside: BTreeMap<String, u64> = BTreeMap::new();
        let mut unknown = 0;
        for (code, &people) in people_by_country {
            match normalise(code) {
                None => unknown += people,
                Some(code) => match member_state(&code) {
                    Some((c, _, _)) => *eea.entry(c).or_default() += people,
                    None => *outside.entry(code).or_default() += people,
                },
            }
        }
        let mut member_states: Vec<MemberStateCount> = eea
            .into_iter()
            .filter(|&(_, people)| people > 0)
            .filter_map(|(code, people)| {
                let (code, country, authority) = member_state(code)?;
                Some(MemberStateCount {
                    code: code.into(),
                    country: country.into(),
                    authority: authority.into(),
                    people,
                })
            })
            .collect();
        member_states.sort_by(|a, b| b.people.cmp(&a.people).then_with(|| a.code.cmp(&b.code)));
        let uk = outside.get("GB").copied().unwrap_or(0);
        let mut outside: Vec<(String, u64)> = outside.into_iter().filter(|&(_, n)| n > 0).collect();
        outside.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Countries {
            member_states,
            outside,
            uk,
            unknown,
        }
    }

    /// People outside the EEA, in all.
    pub(crate) fn outside_total(&self) -> u64 {
        self.outside.iter().map(|(_, n)| n).sum()
    }
}
