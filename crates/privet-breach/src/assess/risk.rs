//! A risk rating per affected person: what the exposed categories make likely, and why.

use std::collections::BTreeSet;

use privet_model::DataCategory;

use crate::{Risk, RiskLevel};

/// Rates the exposure of one person. `admin`: the person administers an organisation, so a successful phish
/// reaches everyone in it.
pub fn rate(exposed: &BTreeSet<DataCategory>, admin: bool) -> Risk {
    use DataCategory::*;
    let has = |c: DataCategory| exposed.contains(&c);
    let mut reasons = Vec::new();
    let secrets: Vec<&str> = DataCategory::SENSITIVE
        .iter()
        .filter(|c| has(**c))
        .map(|c| c.key())
        .collect();
    let location = exposed.iter().any(|c| c.is_location());
    let organisation = has(OrgId) || has(OrgName);
    let mut level = RiskLevel::Low;
    if !secrets.is_empty() {
        level = RiskLevel::High;
        reasons.push(format!(
            "secrets were exposed ({}): accounts can be taken over directly",
            secrets.join(", ")
        ));
    }
    if has(Email) && has(Name) && (location || organisation) {
        level = RiskLevel::High;
        let mut context = Vec::new();
        if location {
            context.push("location");
        }
        if organisation {
            context.push("organisation");
        }
        reasons.push(format!(
            "email, name and {} together make convincing targeted phishing possible",
            context.join(" and ")
        ));
    } else if has(Email) && (has(Name) || location || organisation || has(UserId)) {
        level = level.max(RiskLevel::Medium);
        reasons.push("an email address with personal context allows targeted phishing".into());
    } else if has(Phone) && (has(Name) || location) {
        level = level.max(RiskLevel::Medium);
        reasons.push(
            "a phone number with personal context allows targeted SMS or voice phishing".into(),
        );
    } else if has(Email) || has(Phone) {
        reasons.push("a contact address alone allows untargeted spam and phishing".into());
    }
    if has(UserId) || has(OrgId) {
        reasons.push("internal ids let the leak be linked with other datasets".into());
    }
    if admin {
        if level < RiskLevel::High {
            level = if level == RiskLevel::Low {
                RiskLevel::Medium
            } else {
                RiskLevel::High
            };
        }
        reasons.push("administers an organisation: a successful phish reaches all of it".into());
    }
    if reasons.is_empty() {
        reasons.push("only coarse, non-contact data was exposed".into());
    }
    Risk { level, reasons }
}
