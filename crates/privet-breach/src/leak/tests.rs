//! Tests of reading leaked files: every format and the mess real exports come with, on files made here.

use std::cell::Cell;
use std::io::Write;
use std::path::PathBuf;

use DataCategory::*;
use flate2::Compression;
use flate2::write::GzEncoder;

use super::*;

/// A file named `name` holding `bytes` in a fresh directory.
fn file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

fn read_with(name: &str, bytes: &[u8], overrides: &Overrides) -> Result<LeakFile> {
    let (_dir, path) = file(name, bytes);
    read_file(&path, 7, overrides, &|_| {})
}

fn read(name: &str, bytes: &[u8]) -> LeakFile {
    read_with(name, bytes, &Overrides::default()).unwrap()
}

/// [`read`], checking the format the file was read as.
fn read_as(name: &str, bytes: &[u8], format: &str) -> LeakFile {
    let leak = read(name, bytes);
    assert_eq!(leak.summary.format, format, "{name}");
    leak
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// The records' values as `(line, [(category, value)])`.
fn values(leak: &LeakFile) -> Vec<(u64, Vec<(DataCategory, &str)>)> {
    leak.records
        .iter()
        .map(|r| {
            (
                r.line,
                r.values.iter().map(|(c, v)| (*c, v.as_str())).collect(),
            )
        })
        .collect()
}

/// The summary's columns as `(name, category, overridden)`.
fn columns(leak: &LeakFile) -> Vec<(&str, Option<DataCategory>, bool)> {
    leak.summary
        .columns
        .iter()
        .map(|c| (c.column.as_str(), c.category, c.overridden))
        .collect()
}

#[test]
fn column_names_map_to_categories() {
    let cases: &[(&str, Option<DataCategory>)] = &[
        ("email", Some(Email)),
        ("E-Mail", Some(Email)),
        ("mail", Some(Email)),
        ("Email Address", Some(Email)),
        ("$email", Some(Email)),
        ("user_email", Some(Email)),
        ("Work Email", Some(Email)),
        ("billingEmailAddress", Some(Email)),
        ("properties.$email", Some(Email)),
        ("is_email_verified", None),
        ("email_verified", None),
        ("emails_sent", None),
        ("name", Some(Name)),
        ("Full Name", Some(Name)),
        ("$name", Some(Name)),
        ("properties.$name", Some(Name)),
        ("display_name", Some(Name)),
        ("first_name", Some(Name)),
        ("$last_name", Some(Name)),
        ("Surname", Some(Name)),
        ("name.first", Some(Name)),
        ("user.name", Some(Name)),
        ("company.name", Some(OrgName)),
        ("product.name", None),
        ("event.id", None),
        ("username", Some(UserId)),
        ("phone", Some(Phone)),
        ("$phone", Some(Phone)),
        ("mobile", Some(Phone)),
        ("tel", Some(Phone)),
        ("phone.number", Some(Phone)),
        ("billing_phone", Some(Phone)),
        ("distinct_id", Some(UserId)),
        ("$distinct_id", Some(UserId)),
        ("$user_id", Some(UserId)),
        ("userId", Some(UserId)),
        ("UID", Some(UserId)),
        ("account_id", Some(UserId)),
        ("customer_id", Some(UserId)),
        ("$device_id", Some(UserId)),
        ("user.id", Some(UserId)),
        ("id", None),
        ("org_id", Some(OrgId)),
        ("organization_id", Some(OrgId)),
        ("organisationId", Some(OrgId)),
        ("workspace_id", Some(OrgId)),
        ("tenant_id", Some(OrgId)),
        ("$group_id", Some(OrgId)),
        ("company.id", Some(OrgId)),
        ("org_name", Some(OrgName)),
        ("Organisation", Some(OrgName)),
        ("company", Some(OrgName)),
        ("Company Name", Some(OrgName)),
        ("city", Some(City)),
        ("$city", Some(City)),
        ("address.city", Some(City)),
        ("region", Some(Region)),
        ("state", Some(Region)),
        ("province", Some(Region)),
        ("$region", Some(Region)),
        ("subdivision", Some(Region)),
        ("country", Some(Country)),
        ("country_code", Some(Country)),
        ("mp_country_code", Some(Country)),
        ("$country_code", Some(Country)),
        ("country.name", Some(Country)),
        ("ip", Some(Ip)),
        ("IP Address", Some(Ip)),
        ("IPAddress", Some(Ip)),
        ("$ip", Some(Ip)),
        ("client_ip", Some(Ip)),
        ("os", Some(Os)),
        ("$os", Some(Os)),
        ("operating_system", Some(Os)),
        ("platform", Some(Os)),
        ("$os_version", None),
        ("browser", Some(Browser)),
        ("$browser", Some(Browser)),
        ("user_agent", Some(Browser)),
        ("User-Agent", Some(Browser)),
        ("$browser_version", None),
        ("device", Some(Device)),
        ("$device", Some(Device)),
        ("$model", Some(Device)),
        ("$manufacturer", Some(Device)),
        ("referrer", Some(Referrer)),
        ("$referrer", Some(Referrer)),
        ("$initial_referrer", Some(Referrer)),
        ("referring_domain", Some(Referrer)),
        ("$referring_domain", Some(Referrer)),
        ("utm_source", None),
        ("locale", Some(Locale)),
        ("language", Some(Locale)),
        ("lang", Some(Locale)),
        ("$locale", Some(Locale)),
        ("mp_lib", None),
        ("password", Some(Password)),
        ("pass", Some(Password)),
        ("pwd", Some(Password)),
        ("password_hash", Some(Password)),
        ("api_key", Some(ApiKey)),
        ("apikey", Some(ApiKey)),
        ("token", Some(ApiKey)),
        ("secret", Some(ApiKey)),
        ("access_token", Some(ApiKey)),
        ("refreshToken", Some(ApiKey)),
        ("card", Some(Payment)),
        ("card_number", Some(Payment)),
        ("IBAN", Some(Payment)),
        ("payment", Some(Payment)),
        ("message", Some(Conversation)),
        ("chat", Some(Conversation)),
        ("conversation", Some(Conversation)),
        ("prompt", Some(Conversation)),
        ("event", None),
        ("time", None),
        ("$insert_id", None),
        ("$current_url", None),
        ("notes", None),
        ("", None),
    ];
    let wrong: Vec<String> = cases
        .iter()
        .filter(|(name, want)| infer_category(name) != *want)
        .map(|(name, want)| format!("{name}: got {:?}, want {want:?}", infer_category(name)))
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn column_flags_parse_and_name_the_valid_categories() {
    assert_eq!(
        Overrides::parse_column_flag("Work Email=email"),
        Ok(("Work Email".into(), Some(Email)))
    );
    assert_eq!(
        Overrides::parse_column_flag(" notes = ignore "),
        Ok(("notes".into(), None))
    );
    assert_eq!(
        Overrides::parse_column_flag("a=b=User ID"),
        Ok(("a=b".into(), Some(UserId)))
    );
    assert_eq!(
        Overrides::parse_column_flag("key=api-key"),
        Ok(("key".into(), Some(ApiKey)))
    );
    let err = Overrides::parse_column_flag("shoe=shoe_size").unwrap_err();
    assert!(
        err.contains("shoe_size") && err.contains("email, name, phone") && err.contains("ignore"),
        "{err}"
    );
    assert!(
        Overrides::parse_column_flag("email")
            .unwrap_err()
            .contains("COLUMN=CATEGORY")
    );
    assert!(Overrides::parse_column_flag("=email").is_err());
    assert_eq!("JSONL".parse::<Format>(), Ok(Format::Ndjson));
    assert!(
        "xml"
            .parse::<Format>()
            .unwrap_err()
            .contains("csv, json, ndjson or mixpanel")
    );
}

#[test]
fn csv_with_bom_crlf_quotes_blank_lines_and_nulls() {
    let text = "\u{feff}Email,First Name,Last Name,Notes,Phone\r\n\
                ada@example.com , Ada ,Lovelace,\"likes, commas\",+44 20 7946 0000\r\n\
                \r\n\
                \"grace@example.com\",Grace,\"Hopper \"\"Amazing\"\"\",\"two\r\nlines\",NULL\r\n\
                N/A,,,,null\r\n\
                ,, ,\"only notes\",\r\n";
    let leak = read_as("people.csv", text.as_bytes(), "csv");
    assert_eq!(leak.summary.file, "people.csv");
    assert_eq!(
        columns(&leak),
        [
            ("Email", Some(Email), false),
            ("First Name", Some(Name), false),
            ("Last Name", Some(Name), false),
            ("Notes", None, false),
            ("Phone", Some(Phone), false),
        ]
    );
    assert_eq!(
        values(&leak),
        [
            (
                2,
                vec![
                    (Email, "ada@example.com"),
                    (Phone, "+44 20 7946 0000"),
                    (Name, "Ada Lovelace")
                ]
            ),
            (
                4,
                vec![
                    (Email, "grace@example.com"),
                    (Name, "Grace Hopper \"Amazing\"")
                ]
            ),
            (7, vec![]),
        ]
    );
    assert_eq!(leak.summary.records, 3);
    assert!(leak.records.iter().all(|r| r.source == 7));
    assert!(leak.warnings.is_empty(), "{:?}", leak.warnings);
}

#[test]
fn csv_delimiters_are_sniffed_from_the_header_or_given() {
    let expected = [(2, vec![(Email, "a@x.io"), (City, "Lyon")])];
    for (name, text) in [
        ("semi.csv", "email;city;notes\na@x.io;Lyon;\"x,y,z\"\n"),
        ("tabs.tsv", "email\tcity\tnotes\na@x.io\tLyon\tx,y\n"),
        ("pipes.txt", "email|city|notes\na@x.io|Lyon|x;y\n"),
        ("commas.csv", "email,city,\"a;b;c;d\"\na@x.io,Lyon,x\n"),
    ] {
        assert_eq!(values(&read(name, text.as_bytes())), expected, "{name}");
    }
    // Excel's `sep=` line, and a delimiter given by the operator.
    let leak = read("excel.csv", b"sep=;\nemail;city\na@x.io;Lyon\n");
    assert_eq!(
        values(&leak),
        [(3, vec![(Email, "a@x.io"), (City, "Lyon")])]
    );
    let overrides = Overrides {
        delimiter: Some(b':'),
        ..Default::default()
    };
    let leak = read_with(
        "colon.csv",
        b"email:city,region\na@x.io:Lyon,ARA\n",
        &overrides,
    )
    .unwrap();
    assert_eq!(values(&leak), [(2, vec![(Email, "a@x.io")])]);
    assert_eq!(columns(&leak)[1], ("city,region", None, false));
}

#[test]
fn csv_in_utf16_and_windows_1252_is_decoded() {
    let text = "name\temail\tcity\nJosé Müller\tjose@example.com\tZürich\n";
    let expected = [(
        2,
        vec![
            (Name, "José Müller"),
            (Email, "jose@example.com"),
            (City, "Zürich"),
        ],
    )];
    let units: Vec<u16> = text.encode_utf16().collect();
    let mut le = vec![0xff, 0xfe];
    le.extend(units.iter().flat_map(|u| u.to_le_bytes()));
    let mut be = vec![0xfe, 0xff];
    be.extend(units.iter().flat_map(|u| u.to_be_bytes()));
    let bare_le: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
    for (name, bytes) in [("le.csv", le), ("be.csv", be), ("bare-le.txt", bare_le)] {
        assert_eq!(values(&read(name, &bytes)), expected, "{name}");
    }
    // Latin-1 / Windows-1252 bytes, in a file that is otherwise UTF-8 too.
    let mut latin = b"name,email,notes\nJos\xe9 M\xfcller,jose@example.com,\x80 5\n".to_vec();
    latin.extend("Zoë Ånström,zoe@example.com,ok\n".as_bytes());
    assert_eq!(
        values(&read("latin.csv", &latin)),
        [
            (2, vec![(Name, "José Müller"), (Email, "jose@example.com")]),
            (3, vec![(Name, "Zoë Ånström"), (Email, "zoe@example.com")]),
        ]
    );
}

#[test]
fn csv_rows_may_be_short_or_long_and_headers_repeat() {
    let text = "email,email,,city\n\
                a@x.io,b@x.io,,Paris\n\
                c@x.io\n\
                d@x.io,d@x.io,,Rome,overflow,more\n\
                e@x.io,,,Oslo,\n";
    let leak = read("ragged.csv", text.as_bytes());
    assert_eq!(
        columns(&leak),
        [
            ("email", Some(Email), false),
            ("email", Some(Email), false),
            ("column 3", None, false),
            ("city", Some(City), false)
        ]
    );
    assert_eq!(
        values(&leak),
        [
            (
                2,
                vec![(Email, "a@x.io"), (Email, "b@x.io"), (City, "Paris")]
            ),
            (3, vec![(Email, "c@x.io")]),
            (4, vec![(Email, "d@x.io"), (City, "Rome")]),
            (5, vec![(Email, "e@x.io"), (City, "Oslo")]),
        ]
    );
    assert_eq!(leak.warnings.len(), 1, "{:?}", leak.warnings);
    assert!(
        leak.warnings[0].contains("1 rows") && leak.warnings[0].contains("line 4"),
        "{:?}",
        leak.warnings
    );
    assert!(!leak.warnings[0].contains("overflow"));
}

#[test]
fn header_only_and_empty_files_have_no_records() {
    let leak = read("header.csv", b"email,name\r\n");
    assert_eq!(leak.records, []);
    assert_eq!(leak.summary.records, 0);
    assert_eq!(
        columns(&leak),
        [("email", Some(Email), false), ("name", Some(Name), false)]
    );
    assert!(leak.warnings.is_empty());
    let leak = read("empty.csv", b"");
    assert_eq!(leak.records, []);
    assert!(leak.warnings[0].contains("is empty"), "{:?}", leak.warnings);
}

#[test]
fn csv_without_header_names_columns_by_position() {
    let text =
        "ada@example.com,Ada Lovelace,203.0.113.9\ngrace@example.com,Grace Hopper,198.51.100.4\n";
    let leak = read("dump.csv", text.as_bytes());
    assert_eq!(
        columns(&leak),
        [
            ("column 1", Some(Email), false),
            ("column 2", None, false),
            ("column 3", Some(Ip), false)
        ]
    );
    assert_eq!(
        values(&leak),
        [
            (1, vec![(Email, "ada@example.com"), (Ip, "203.0.113.9")]),
            (2, vec![(Email, "grace@example.com"), (Ip, "198.51.100.4")]),
        ]
    );
    assert!(
        leak.warnings[0].contains("column 1=email"),
        "{:?}",
        leak.warnings
    );
    let all = format!("{:?}{:?}", leak.warnings, leak.summary);
    assert!(!all.contains("ada@") && !all.contains("Lovelace"), "{all}");
    // The operator can name them.
    let overrides = Overrides {
        columns: vec![("Column 2".into(), Some(Name))],
        ..Default::default()
    };
    let leak = read_with("dump.csv", text.as_bytes(), &overrides).unwrap();
    assert_eq!(leak.records[0].values[1], (Name, "Ada Lovelace".into()));
}

#[test]
fn overrides_set_categories_ignore_columns_and_report_unknown_names() {
    let overrides = Overrides {
        columns: vec![
            ("work address".into(), Some(Email)),
            ("EMAIL".into(), None),
            ("Nickname".into(), Some(Name)),
        ],
        ..Default::default()
    };
    let text = "email,Work Address,phone\nprivate@x.io,work@x.io,123\n";
    let leak = read_with("o.csv", text.as_bytes(), &overrides).unwrap();
    assert_eq!(
        columns(&leak),
        [
            ("email", None, true),
            ("Work Address", Some(Email), true),
            ("phone", Some(Phone), false)
        ]
    );
    assert_eq!(
        values(&leak),
        [(2, vec![(Email, "work@x.io"), (Phone, "123")])]
    );
    assert_eq!(leak.unused_overrides, ["Nickname"]);
    // A forced format.
    let overrides = Overrides {
        format: Some(Format::Csv),
        ..Default::default()
    };
    let leak = read_with("x.json", b"email\na@x.io\n", &overrides).unwrap();
    assert_eq!(values(&leak), [(2, vec![(Email, "a@x.io")])]);
}

#[test]
fn json_arrays_flatten_nested_objects_and_join_arrays() {
    let text = r#"[
      {"id": 1, "user_id": 12345, "email": "ada@x.io", "address": {"city": "London", "country": {"code": "GB"}},
       "tags": ["admin", null, "beta"], "verified": true, "phone": null, "name": {"first": "Ada", "last": "Lovelace"},
       "orders": [{"ip": "203.0.113.9"}, {"ip": "203.0.113.10"}], "score": 1.5, "locale": ["en", ["fr"]]},
      {"id": 2, "user_id": "u-2", "verified": false},
      {},
      {"user_id": 9007199254740993, "tags": []}
    ]"#;
    let leak = read_as("users.json", text.as_bytes(), "json");
    assert_eq!(
        values(&leak),
        [
            (
                1,
                vec![
                    (UserId, "12345"),
                    (Email, "ada@x.io"),
                    (City, "London"),
                    (Country, "GB"),
                    (Ip, "203.0.113.9"),
                    (Ip, "203.0.113.10"),
                    (Locale, "en, fr"),
                    (Name, "Ada Lovelace"),
                ]
            ),
            (2, vec![(UserId, "u-2")]),
            (4, vec![(UserId, "9007199254740993")]),
        ]
    );
    assert_eq!(
        columns(&leak).iter().map(|c| c.0).collect::<Vec<_>>(),
        [
            "id",
            "user_id",
            "email",
            "address.city",
            "address.country.code",
            "tags",
            "verified",
            "phone",
            "name.first",
            "name.last",
            "orders.ip",
            "score",
            "locale"
        ]
    );
}

#[test]
fn json_objects_holding_an_array_or_being_one_record() {
    let wrapped = r#"{"page": 0, "total": 2, "status": "ok", "results": [{"email": "a@x.io"}, {"email": "b@x.io"}]}"#;
    let leak = read("page.json", wrapped.as_bytes());
    assert_eq!(
        values(&leak),
        [(1, vec![(Email, "a@x.io")]), (2, vec![(Email, "b@x.io")])]
    );
    assert_eq!(columns(&leak), [("email", Some(Email), false)]);
    let deep =
        r#"{"meta": {"count": 1}, "data": {"users": [{"email": "a@x.io", "city": "Oslo"}]}}"#;
    assert_eq!(
        values(&read("deep.json", deep.as_bytes())),
        [(1, vec![(Email, "a@x.io"), (City, "Oslo")])]
    );
    let single = "{\n  \"email\": \"a@x.io\",\n  \"profile\": {\"name\": \"Ada\"},\n  \"tags\": [\"x\", 2]\n}\n";
    let leak = read("one.json", single.as_bytes());
    assert_eq!(values(&leak), [(1, vec![(Email, "a@x.io"), (Name, "Ada")])]);
    assert_eq!(columns(&leak).len(), 3);
}

#[test]
fn identifiers_used_as_keys_never_become_column_names() {
    let firebase = r#"{"users": {
        "Xk2mP9qLr4TzW8vB1nC3dE5fG7h": {"email": "a@x.io", "devices": {"3f2b9c1e-8d4a-4b6e-9f0a-1c2d3e4f5a6b": {"model": "Pixel 8"}}},
        "ada@x.io": {"email": "ada@x.io", "name": "Ada"},
        "1234567": {"phone": "+44 1"}
    }}"#;
    let leak = read("firebase.json", firebase.as_bytes());
    assert_eq!(
        values(&leak),
        [
            (1, vec![(Email, "a@x.io"), (Device, "Pixel 8")]),
            (2, vec![(Email, "ada@x.io"), (Name, "Ada")]),
            (3, vec![(Phone, "+44 1")]),
        ]
    );
    assert_eq!(
        columns(&leak).iter().map(|c| c.0).collect::<Vec<_>>(),
        ["email", "devices.*.model", "name", "phone"]
    );
}

#[test]
fn ndjson_skips_and_counts_bad_lines() {
    let text = "{\"email\": \"a@x.io\", \"plan\": \"pro\"}\n\
                \n\
                {\"email\": \"secret@x.io\", \"oops\n\
                [1, 2]\n\
                {\"ip\": \"203.0.113.9\", \"email\": \"b@x.io\"}\r\n\
                {\"email\": \"c@x.io\", \"phone\": \"+33 1";
    let leak = read_as("events.ndjson", text.as_bytes(), "ndjson");
    assert_eq!(
        values(&leak),
        [
            (1, vec![(Email, "a@x.io")]),
            (5, vec![(Ip, "203.0.113.9"), (Email, "b@x.io")])
        ]
    );
    assert_eq!(leak.skipped, 3);
    assert_eq!(
        columns(&leak).iter().map(|c| c.0).collect::<Vec<_>>(),
        ["email", "plan", "ip"]
    );
    assert_eq!(leak.warnings.len(), 1);
    assert!(
        leak.warnings[0].contains("3 lines") && leak.warnings[0].contains("line 3"),
        "{:?}",
        leak.warnings
    );
    assert!(!leak.warnings[0].contains("secret"));
    // Nothing readable: an error naming the file and what to do.
    let err = read_with(
        "bad.ndjson",
        b"email,name\nsecret@x.io,Ada\n",
        &Overrides::default(),
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("bad.ndjson")
            && message.contains("line 1")
            && message.contains("--format"),
        "{message}"
    );
    assert!(!message.contains("secret"), "{message}");
}

#[test]
fn mixpanel_event_export_maps_properties() {
    let text = r#"{"event":"Signed up","properties":{"time":1700000000,"distinct_id":"u-1","$insert_id":"abc","token":"proj-token","$email":"ada@x.io","$city":"London","$region":"England","mp_country_code":"GB","$os":"Mac OS X","$browser":"Chrome","$referrer":"https://news.example/","$device_id":"dev-1","$screen_width":1440,"plan":"pro"}}
{"event":"Viewed","properties":{"time":1700000100,"distinct_id":"u-2","$os":"iOS","$model":"iPhone14,2"}}
"#;
    // Saved as `.json`, as people do: detected from the content.
    let leak = read_as("export.json", text.as_bytes(), "mixpanel");
    assert_eq!(
        values(&leak),
        [
            (
                1,
                vec![
                    (UserId, "u-1"),
                    (Email, "ada@x.io"),
                    (City, "London"),
                    (Region, "England"),
                    (Country, "GB"),
                    (Os, "Mac OS X"),
                    (Browser, "Chrome"),
                    (Referrer, "https://news.example/"),
                    (UserId, "dev-1"),
                ]
            ),
            (
                2,
                vec![(UserId, "u-2"), (Os, "iOS"), (Device, "iPhone14,2")]
            ),
        ]
    );
    let cols = columns(&leak);
    assert_eq!(cols[0], ("event", None, false));
    assert_eq!(cols[1], ("time", None, false));
    assert_eq!(cols[2], ("distinct_id", Some(UserId), false));
    assert!(cols.contains(&("token", None, false)), "{cols:?}");
    // An override may name a column with or without `properties.`.
    let overrides = Overrides {
        columns: vec![("properties.plan".into(), Some(OrgName))],
        ..Default::default()
    };
    let leak = read_with("export.ndjson", text.as_bytes(), &overrides).unwrap();
    assert_eq!(leak.summary.format, "mixpanel");
    assert!(leak.records[0].values.contains(&(OrgName, "pro".into())));
    assert!(leak.unused_overrides.is_empty());
}

#[test]
fn mixpanel_people_export_as_array_page_and_lines() {
    let people = r#"[{"$distinct_id": 42, "$properties": {"$email": "ada@x.io", "$first_name": "Ada", "$last_name": "Lovelace", "$phone": "+44 1", "$created": "2024-01-01", "company": "Analytical Engines", "$city": "London"}}]"#;
    let expected = [(
        1,
        vec![
            (UserId, "42"),
            (Email, "ada@x.io"),
            (Phone, "+44 1"),
            (OrgName, "Analytical Engines"),
            (City, "London"),
            (Name, "Ada Lovelace"),
        ],
    )];
    let leak = read_as("people.json", people.as_bytes(), "mixpanel");
    assert_eq!(values(&leak), expected);
    let page = format!(
        r#"{{"page": 0, "page_size": 1000, "session_id": "s", "status": "ok", "total": 1, "results": {people}}}"#
    );
    assert_eq!(values(&read("engage.json", page.as_bytes())), expected);
    let lines = format!(
        "{}\n{}\n",
        &people[1..people.len() - 1],
        &people[1..people.len() - 1]
    );
    let leak = read_as("people.jsonl", lines.as_bytes(), "mixpanel");
    assert_eq!(leak.records.len(), 2);
    assert_eq!(leak.records[1].line, 2);
}

#[test]
fn gzip_is_read_transparently_even_when_cut_short() {
    let text = "email,city\na@x.io,Paris\nb@x.io,Rome\n";
    for name in ["leak.csv.gz", "leak.csv", "leak.gz"] {
        let leak = read_as(name, &gzip(text.as_bytes()), "csv");
        assert_eq!(leak.records.len(), 2, "{name}");
    }
    // Concatenated members (`cat a.gz b.gz`).
    let mut two = gzip(b"{\"email\": \"a@x.io\"}\n");
    two.extend(gzip(b"{\"email\": \"b@x.io\"}\n"));
    let leak = read("two.ndjson.gz", &two);
    assert_eq!(
        values(&leak),
        [(1, vec![(Email, "a@x.io")]), (2, vec![(Email, "b@x.io")])]
    );
    // A truncated gzip keeps what came before the cut.
    let mut big = String::from("email,n\n");
    for i in 0..20_000 {
        big.push_str(&format!("user{i}@example.com,{i}\n"));
    }
    let zipped = gzip(big.as_bytes());
    let leak = read("cut.csv.gz", &zipped[..zipped.len() / 2]);
    assert!(
        leak.records.len() > 1000 && leak.records.len() < 20_000,
        "{}",
        leak.records.len()
    );
    assert!(
        leak.warnings.iter().any(|w| w.contains("truncated")),
        "{:?}",
        leak.warnings
    );
}

#[test]
fn json_documents_cut_short_keep_their_records_and_bad_ones_say_where() {
    let cut = r#"[{"email": "a@x.io"}, {"email": "b@x.io"}, {"email": "c@x"#;
    let leak = read("cut.json", cut.as_bytes());
    assert_eq!(
        values(&leak),
        [(1, vec![(Email, "a@x.io")]), (2, vec![(Email, "b@x.io")])]
    );
    assert!(
        leak.warnings[0].contains("truncated") && leak.warnings[0].contains("2 records"),
        "{:?}",
        leak.warnings
    );
    let bad = "[{\"email\": \"a@x.io\"},\n {\"email\": \"secret@x.io\" \"name\": \"Ada\"}]";
    let err = read_with("bad.json", bad.as_bytes(), &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bad.json") && err.contains("line 2") && err.contains("column"),
        "{err}"
    );
    assert!(
        err.contains("--format ndjson") && err.contains("1 records"),
        "{err}"
    );
    assert!(!err.contains("secret") && !err.contains("Ada"), "{err}");
}

#[test]
fn formats_are_detected_by_extension_then_content() {
    let p = |name: &str| PathBuf::from(format!("/leak/{name}"));
    let ndjson = b"{\"a\": 1}\n{\"a\": 2}\n";
    let cases: &[(&str, &[u8], Format)] = &[
        ("a.csv", b"[not json", Format::Csv),
        ("a.tsv", b"x\ty", Format::Csv),
        ("a.CSV.gz", b"{", Format::Csv),
        ("a.json", b"[{\"a\": 1}]", Format::Json),
        ("a.json", b"{\"results\": [\n{\"a\": 1}\n]}", Format::Json),
        ("a.json", b"{\"a\": 1}", Format::Json),
        ("a.json", ndjson, Format::Ndjson),
        ("a.jsonl", b"{\"a\": 1}", Format::Ndjson),
        ("a.ndjson.gz", ndjson, Format::Ndjson),
        (
            "a.json",
            b"{\"event\": \"x\", \"properties\": {\"time\": 1}}\n",
            Format::Mixpanel,
        ),
        (
            "a.ndjson",
            b"{\"event\": \"x\", \"properties\" : {\"time\": 1}}\n",
            Format::Mixpanel,
        ),
        (
            "a.json",
            b"[{\"$distinct_id\": 1, \"$properties\": {}}]",
            Format::Mixpanel,
        ),
        (
            "a.json",
            b"[{\"properties\": \"not an object\"}]",
            Format::Json,
        ),
        ("dump", b"  \n[{\"a\": 1}]", Format::Json),
        ("dump", ndjson, Format::Ndjson),
        ("dump.txt", b"email,name\n", Format::Csv),
        ("dump", b"", Format::Csv),
    ];
    for (name, head, want) in cases {
        assert_eq!(
            detect_format(&p(name), head),
            *want,
            "{name} {:?}",
            String::from_utf8_lossy(head)
        );
    }
}

#[test]
fn archives_and_binary_files_are_refused_with_what_to_do() {
    for (bytes, hint) in [
        (&b"PK\x03\x04rest of a zip"[..], "unzip"),
        (&b"SQLite format 3\0...."[..], "sqlite3"),
        (&[0x28, 0xb5, 0x2f, 0xfd, 1, 2][..], "zstd -d"),
        (&b"\x7fELF\x02\x01\x01\0\0\0\0"[..], "NUL"),
    ] {
        let err = read_with("leak.csv", bytes, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("leak.csv") && err.contains(hint), "{err}");
    }
    let err = read_file(
        Path::new("/nonexistent/leak.csv"),
        0,
        &Overrides::default(),
        &|_| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/leak.csv"), "{err}");
}

#[test]
fn progress_reports_bytes_read_up_to_the_file_size() {
    let mut text = String::from("email,city\n");
    for i in 0..30_000 {
        text.push_str(&format!("user{i}@example.com,City {i}\n"));
    }
    let (_dir, path) = file("big.csv", text.as_bytes());
    let calls = Cell::new(0u32);
    let last = Cell::new(0u64);
    let leak = read_file(&path, 0, &Overrides::default(), &|bytes| {
        assert!(bytes >= last.get());
        last.set(bytes);
        calls.set(calls.get() + 1);
    })
    .unwrap();
    assert_eq!(leak.records.len(), 30_000);
    assert_eq!(last.get(), text.len() as u64);
    assert!(calls.get() >= 2, "{}", calls.get());
}

/// Writes `path`: `header` (if any), then a million lines made by `line`.
fn write_million(path: &Path, header: Option<&str>, line: impl Fn(u32) -> String) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let lines = header.map(str::to_string).into_iter();
    for text in lines.chain((0..1_000_000u32).map(line)) {
        writeln!(out, "{text}").unwrap();
    }
}

/// Reads `path`, timing it: the file read, its size in MB and how long reading took.
fn timed_read(path: &Path) -> (LeakFile, u64, std::time::Duration) {
    let size = std::fs::metadata(path).unwrap().len();
    let start = std::time::Instant::now();
    let leak = read_file(path, 0, &Overrides::default(), &|_| {}).unwrap();
    (leak, size / 1_000_000, start.elapsed())
}

/// Reads a million-row, eight-column CSV and prints how long it took:
/// `cargo test --release -p privet-breach leak::tests::million -- --ignored --nocapture`.
#[test]
#[ignore]
fn million_row_csv() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("million.csv");
    write_million(
        &path,
        Some("user_id,email,first_name,last_name,phone,city,country,ip,plan,signup_source"),
        |i| {
            format!(
                "{i},person.number{i}@example-mail.com,Firstname{},Lastname{},+44 20 7946 {:04},\"City, {}\",GB,10.{}.{}.{},pro,\"https://www.example.com/landing?campaign={}\"",
                i % 5000,
                i % 7919,
                i % 10_000,
                i % 300,
                i % 256,
                (i / 256) % 256,
                i % 250,
                i % 97
            )
        },
    );
    let (leak, mb, elapsed) = timed_read(&path);
    assert_eq!(leak.records.len(), 1_000_000);
    println!(
        "read {} records, {mb} MB, in {elapsed:?}",
        leak.records.len()
    );
    let gz = dir.path().join("million.csv.gz");
    let mut encoder = GzEncoder::new(std::fs::File::create(&gz).unwrap(), Compression::fast());
    std::io::copy(&mut std::fs::File::open(&path).unwrap(), &mut encoder).unwrap();
    encoder.finish().unwrap();
    let (leak, _, elapsed) = timed_read(&gz);
    println!("read {} gzipped records in {elapsed:?}", leak.records.len());

    let path = dir.path().join("events.json");
    write_million(&path, None, |i| {
        format!(
            r#"{{"event":"Viewed page","properties":{{"time":{},"distinct_id":"u-{}","$insert_id":"{i:x}","$email":"person{}@example.com","$city":"London","$region":"England","mp_country_code":"GB","$os":"Mac OS X","$browser":"Chrome","$browser_version":120,"$current_url":"https://app.example.com/page/{}","$screen_width":1440,"plan":"pro","tags":["a","b"]}}}}"#,
            1_700_000_000 + i,
            i % 50_000,
            i % 50_000,
            i % 100
        )
    });
    let (leak, mb, elapsed) = timed_read(&path);
    assert_eq!(leak.summary.format, "mixpanel");
    println!(
        "read {} Mixpanel events, {mb} MB, in {elapsed:?}",
        leak.records.len()
    );
}
