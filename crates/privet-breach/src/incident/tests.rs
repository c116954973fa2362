use chrono::{Duration, TimeZone, Utc};

use super::*;

fn store() -> (tempfile::TempDir, IncidentStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = IncidentStore::open(dir.path()).unwrap();
    (dir, store)
}

#[test]
fn deadline_is_72_hours_after_awareness_and_late_reports_need_reasons() {
    let (_dir, store) = store();
    let aware = Utc.with_ymd_and_hms(2025, 11, 9, 15, 0, 0).unwrap();
    let incident = store
        .open_incident(
            NewIncident {
                title: "Analytics vendor export".into(),
                aware_at: Some(aware),
                aware_reason: "the vendor sent us the affected dataset".into(),
                processor: Some("Mixpanel".into()),
                ..Default::default()
            },
            aware,
        )
        .unwrap();
    assert_eq!(incident.deadline(), aware + Duration::hours(72));
    assert_eq!(
        incident.clock(aware + Duration::hours(30)),
        "1 d 18 h left to notify the authority"
    );
    assert_eq!(
        incident.clock(aware + Duration::minutes(72 * 60 + 65)),
        "past the 72-hour deadline by 1 h 5 min"
    );
    let late = aware + Duration::hours(80);
    let err = store
        .change(incident.id, Change::AuthorityNotifiedAt(late))
        .unwrap_err();
    assert!(err.to_string().contains("--delay-reason"), "{err}");
    store
        .change(
            incident.id,
            Change::DelayReason("the vendor's dataset arrived on day 3".into()),
        )
        .unwrap();
    let done = store
        .change(incident.id, Change::AuthorityNotifiedAt(late))
        .unwrap();
    assert!(done.late(late));
    assert_eq!(
        done.clock(late),
        "authority notified 8 h 0 min after the deadline"
    );
}

#[test]
fn incidents_keep_their_history_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let id = {
        let store = IncidentStore::open(dir.path()).unwrap();
        let i = store
            .open_incident(
                NewIncident {
                    title: "t".into(),
                    aware_reason: "the vendor told us".into(),
                    ..Default::default()
                },
                now,
            )
            .unwrap();
        store
            .change(
                i.id,
                Change::AddMeasure("revoked the vendor's access".into()),
            )
            .unwrap();
        store.add_update(i.id, "phase 2: full list", now).unwrap();
        i.id
    };
    let store = IncidentStore::open(dir.path()).unwrap();
    let i = store.get(id).unwrap();
    assert_eq!(i.measures, vec!["revoked the vendor's access".to_string()]);
    assert_eq!(i.salt.len(), 32);
    assert_eq!(store.updates(id).unwrap()[0].text, "phase 2: full list");
    assert!(matches!(store.get(id + 1), Err(BreachError::NoIncident(_))));
    assert!(store.open_incident(NewIncident::default(), now).is_err());
}
