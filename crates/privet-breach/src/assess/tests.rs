//! Assessment against a real vault, a real accounts file and a messy leaked CSV whose answers are known.

use std::path::Path;

use chrono::Utc;
use privet_model::{DataCategory, ProjectId};
use privet_vault::{IdKind, Ticket, Vault, crypto::Key};

use super::*;
use crate::canary::Ledger;
use crate::leak::{self, Overrides};
use crate::{IncidentStore, RiskLevel};

const P: ProjectId = ProjectId(1);

fn vault_with_people(dir: &Path) -> Vault {
    let vault = Vault::open(&dir.join("vault"), Key::random()).unwrap();
    let mut t = Ticket::default();
    for (id, fields) in [
        (
            "user-1",
            vec![
                ("$email", "Ada.Lovelace@gmail.com"),
                ("$name", "Ada Lovelace"),
            ],
        ),
        (
            "user-2",
            vec![
                ("$email", "bob@example.com"),
                ("$first_name", "Bob"),
                ("$last_name", "Stone"),
            ],
        ),
        (
            "user-3",
            vec![("$email", "carol+work@example.org"), ("locale", "lv")],
        ),
    ] {
        let p = vault.pseudonym(P, IdKind::Person, id, &mut t).unwrap();
        for (name, value) in fields {
            vault.set_field(P, p, name, value, &mut t).unwrap();
        }
    }
    let org = vault
        .pseudonym(P, IdKind::Group("org_id"), "org-1", &mut t)
        .unwrap();
    vault
        .set_field(P, org, "$name", "Analytical Engines", &mut t)
        .unwrap();
    vault.sync_blocking(t).unwrap();
    vault
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_messy_leak_is_matched_person_by_person_with_the_right_rules() {
    let dir = tempfile::tempdir().unwrap();
    let vault = vault_with_people(dir.path());
    let store = IncidentStore::open(dir.path()).unwrap();
    let ledger = Ledger::new(store.connection()).unwrap();
    let canary = ledger
        .plant("Mixpanel", "vendor", "canary.example.com", Utc::now())
        .unwrap();
    let accounts = write(
        dir.path(),
        "accounts.csv",
        "email;full_name;user_id;org_id;org_name;role;locale\n\
         bob@example.com;Bob Stone;user-2;org-1;Analytical Engines;member;de\n\
         dave@example.net;Dave Admin;user-4;org-1;Analytical Engines;owner;fr\n\
         ;Erin Example;user-5;org-2;Difference Ltd;admin;es\n",
    );
    let leaked = format!(
        "\u{feff}Email,Name,City,Country,OS,Browser,User ID,Org ID\r\n\
         ADA.LOVELACE@GMAIL.COM ,Ada Lovelace,Berlin,DE,Mac OS X,Chrome,,\r\n\
         adalovelace+promo@googlemail.com,,,,,,,\r\n\
         bob+x@example.com,\"Stone, Bob\",Paris,FR,Windows,Firefox,,org-1\r\n\
         ,,Riga,LV,,,user-3,\r\n\
         ,Erin Example,,,,,,org-2\r\n\
         {},{},,,,,,\r\n\
         stranger@nowhere.example,Nobody,,,,\r\n",
        canary.email.to_uppercase(),
        canary.name
    );
    let leak = leak::read_file(
        &write(dir.path(), "leak.csv", &leaked),
        0,
        &Overrides::default(),
        &|_| {},
    )
    .unwrap();

    let mut people = People::from_vault(&vault, P).unwrap();
    assert_eq!(people.known.len(), 3);
    assert_eq!(
        people.org_names.get("org-1").map(String::as_str),
        Some("Analytical Engines")
    );
    people.add_accounts(accounts::read(&accounts).unwrap());
    assert_eq!(people.known.len(), 5, "bob merged, dave and erin added");

    let salt = [7u8; 32];
    let canaries = ledger.list().unwrap();
    let files = [leak];
    let outcome = assess(
        &Input {
            incident: 1,
            salt: &salt,
            files: &files,
            people: &people,
            canaries: &canaries,
            now: Utc::now(),
        },
        &|_| {},
    );
    let a = &outcome.assessment;
    assert_eq!(a.records, 7);
    assert_eq!(
        (a.matched_records, a.unmatched_records, a.canary_records),
        (5, 1, 1)
    );
    assert_eq!(a.people.len(), 4);
    let person = |id: &str| {
        let i = people
            .known
            .iter()
            .position(|k| k.user_ids.iter().any(|u| u == id))
            .unwrap();
        let key = people.key(i, &salt);
        a.people
            .iter()
            .find(|p| p.key == key)
            .unwrap_or_else(|| panic!("{id} not affected"))
    };
    let ada = person("user-1");
    assert_eq!(
        ada.matched_by,
        vec![MatchRule::Email, MatchRule::ProviderRule]
    );
    assert_eq!(ada.records, 2);
    assert_eq!(
        ada.exposed,
        vec![
            DataCategory::Email,
            DataCategory::Name,
            DataCategory::City,
            DataCategory::Country,
            DataCategory::Os,
            DataCategory::Browser
        ]
    );
    assert_eq!(ada.risk.level, RiskLevel::High);
    assert_eq!(ada.country.as_deref(), Some("DE"));
    assert_eq!(ada.contact.as_deref(), Some("A***@gmail.com"));
    let bob = person("user-2");
    assert_eq!(bob.matched_by, vec![MatchRule::EmailWithoutTag]);
    assert_eq!(bob.locale.as_deref(), Some("de"));
    assert!(bob.in_accounts && bob.pseudonym.is_some());
    let carol = person("user-3");
    assert_eq!(carol.matched_by, vec![MatchRule::UserId]);
    assert_eq!(carol.locale.as_deref(), Some("lv"));
    assert_eq!(carol.risk.level, RiskLevel::Low);
    let erin = person("user-5");
    assert_eq!(erin.matched_by, vec![MatchRule::NameAndOrganisation]);
    assert_eq!(erin.contact, None, "no address: public notice");
    assert!(erin.admin);
    assert_eq!(
        erin.risk.level,
        RiskLevel::Medium,
        "an administrator's risk is raised"
    );

    let org1 = a
        .organisations
        .iter()
        .find(|o| o.key == People::org_key("org-1", &salt))
        .unwrap();
    assert_eq!(org1.members, vec![bob.key.clone()]);
    assert_eq!(org1.admin_contacts, vec!["d***@example.net".to_string()]);
    assert!(org1.pseudonym.is_some());
    assert_eq!(a.organisations.len(), 2);

    assert_eq!(a.canaries.len(), 1);
    assert_eq!(a.canaries[0].planted_for, "Mixpanel");
    assert_eq!(
        a.canaries[0].matched_on,
        vec![DataCategory::Email, DataCategory::Name]
    );
    assert_eq!(a.people_by_country.get("DE"), Some(&1));
    assert_eq!(a.people_by_country.get("FR"), Some(&1));
    assert_eq!(a.people_by_country.get("LV"), Some(&1));
    assert_eq!(a.records_by_category.get(&DataCategory::Email), Some(&4));
    assert!(
        outcome
            .addresses
            .contains(&"stranger@nowhere.example".to_string())
    );

    // Nothing in the saved forms carries an address or a name.
    let json = serde_json::to_string(a).unwrap();
    let incident = store
        .open_incident(
            crate::incident::NewIncident {
                title: "Vendor <export>".into(),
                aware_reason: "the vendor sent the dataset".into(),
                ..Default::default()
            },
            Utc::now(),
        )
        .unwrap();
    let html = report::html(&incident, a, Utc::now());
    let text = report::summary(&incident, a, Utc::now());
    for raw in [
        "lovelace", "bob@", "Stone", "dave@", "Erin", "user-3", "org-1",
    ] {
        for (what, doc) in [("json", &json), ("html", &html), ("summary", &text)] {
            assert!(
                !doc.to_lowercase().contains(&raw.to_lowercase()),
                "{raw} in {what}"
            );
        }
    }
    assert!(html.contains("Vendor &lt;export&gt;"));
    assert!(
        text.contains("this dataset came from \"Mixpanel\""),
        "{text}"
    );
}

#[test]
fn a_real_person_sharing_a_canarys_name_is_not_a_canary() {
    let dir = tempfile::tempdir().unwrap();
    let vault = vault_with_people(dir.path());
    let store = IncidentStore::open(dir.path()).unwrap();
    let ledger = Ledger::new(store.connection()).unwrap();
    let canary = ledger
        .plant("Vendor X", "vendor", "canary.example.com", Utc::now())
        .unwrap();
    // Canary names are realistic: a real Ada Lovelace may carry one. Name alone, or organisation alone, is not
    // a canary; name and organisation together, or the canary's own email or ids, are.
    let leaked = format!(
        "email,name,org_name,user_id\n\
         Ada.Lovelace@gmail.com,{name},,\n\
         someone@elsewhere.example,,{org},\n\
         ,{name},{org},\n\
         ,,,{uid}\n",
        name = canary.name,
        org = canary.org_name,
        uid = canary.user_id,
    );
    let leak = leak::read_file(
        &write(dir.path(), "leak.csv", &leaked),
        0,
        &Overrides::default(),
        &|_| {},
    )
    .unwrap();
    let people = People::from_vault(&vault, P).unwrap();
    let canaries = ledger.list().unwrap();
    let files = [leak];
    let outcome = assess(
        &Input {
            incident: 1,
            salt: &[1u8; 32],
            files: &files,
            people: &people,
            canaries: &canaries,
            now: Utc::now(),
        },
        &|_| {},
    );
    let a = &outcome.assessment;
    assert_eq!(a.canary_records, 2, "name+org and the user id");
    assert_eq!(
        a.matched_records, 1,
        "Ada is assessed and notified like anyone"
    );
    assert_eq!(a.unmatched_records, 1);
    assert_eq!(a.canaries[0].records, 2);
    assert_eq!(
        a.canaries[0].matched_on,
        vec![
            DataCategory::Name,
            DataCategory::UserId,
            DataCategory::OrgName
        ]
    );
}

#[test]
fn name_and_organisation_name_match_without_ids() {
    let dir = tempfile::tempdir().unwrap();
    let vault = vault_with_people(dir.path());
    let accounts = write(
        dir.path(),
        "accounts.csv",
        "email,full_name,user_id,org_id,org_name,role\n\
         bob@example.com,Bob Stone,user-2,org-1,Analytical Engines,member\n",
    );
    // The vendor's export names the company, not its id.
    let leak = leak::read_file(
        &write(
            dir.path(),
            "leak.csv",
            "full_name,company\nbob stone,ANALYTICAL ENGINES\nBob Stone,Other Co\n",
        ),
        0,
        &Overrides::default(),
        &|_| {},
    )
    .unwrap();
    let mut people = People::from_vault(&vault, P).unwrap();
    people.add_accounts(accounts::read(&accounts).unwrap());
    let files = [leak];
    let outcome = assess(
        &Input {
            incident: 1,
            salt: &[1u8; 32],
            files: &files,
            people: &people,
            canaries: &[],
            now: Utc::now(),
        },
        &|_| {},
    );
    let a = &outcome.assessment;
    assert_eq!((a.matched_records, a.unmatched_records), (1, 1));
    assert_eq!(a.people.len(), 1);
    assert_eq!(a.people[0].matched_by, vec![MatchRule::NameAndOrganisation]);
    assert_eq!(
        a.organisations.len(),
        1,
        "the organisation is found by its name too"
    );
    assert_eq!(a.organisations[0].members.len(), 1);
}
