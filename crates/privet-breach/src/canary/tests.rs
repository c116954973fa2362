use chrono::Utc;

use super::*;
use crate::IncidentStore;

#[test]
fn canaries_are_unique_per_destination_and_hits_are_attributed() {
    let dir = tempfile::tempdir().unwrap();
    let store = IncidentStore::open(dir.path()).unwrap();
    let ledger = Ledger::new(store.connection()).unwrap();
    // The ledger keeps microseconds.
    let now = crate::incident::from_micros(Utc::now().timestamp_micros());
    let vendor = ledger
        .plant("Mixpanel", "vendor", "canary.example.com", now)
        .unwrap();
    let export = ledger
        .plant("Weekly CSV export", "export", "@Canary.Example.com", now)
        .unwrap();
    assert_ne!(vendor.email, export.email);
    assert_ne!(vendor.user_id, export.user_id);
    assert!(
        export.email.ends_with("@canary.example.com"),
        "{}",
        export.email
    );
    assert_eq!(export.name.split(' ').count(), 2);
    assert_eq!(ledger.list().unwrap(), vec![vendor.clone(), export.clone()]);
    let failed = ledger
        .plant("Unreachable", "vendor", "canary.example.com", now)
        .unwrap();
    ledger.forget(failed.id).unwrap();
    assert_eq!(
        ledger.list().unwrap().len(),
        2,
        "a canary that never left is forgotten"
    );

    let hit = ledger
        .record_hit(
            &vendor.email.to_uppercase(),
            now,
            Some("security@openai-support.example"),
            Some("Verify your API account"),
        )
        .unwrap()
        .expect("a canary address");
    assert_eq!(hit.planted_for, "Mixpanel");
    assert_eq!(ledger.hits().unwrap(), vec![hit]);
    assert_eq!(
        ledger
            .record_hit("someone@else.example", now, None, None)
            .unwrap(),
        None
    );
}

#[test]
fn bad_plant_requests_are_refused_with_advice() {
    let dir = tempfile::tempdir().unwrap();
    let store = IncidentStore::open(dir.path()).unwrap();
    let ledger = Ledger::new(store.connection()).unwrap();
    let now = Utc::now();
    let err = ledger.plant(" ", "vendor", "x.com", now).unwrap_err();
    assert!(err.to_string().contains("--for"), "{err}");
    let err = ledger.plant("v", "partner", "x.com", now).unwrap_err();
    assert!(err.to_string().contains("vendor, export, key"), "{err}");
    let err = ledger.plant("v", "vendor", "localhost", now).unwrap_err();
    assert!(err.to_string().contains("canary_domain"), "{err}");
}
