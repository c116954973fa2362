"""The official `mixpanel` Python SDK, pointed at Privet, works unchanged."""

import json
import time

import mixpanel
import pytest


def consumer(url, buffered=False):
    endpoints = dict(
        events_url=f"{url}/track",
        people_url=f"{url}/engage",
        groups_url=f"{url}/groups",
        import_url=f"{url}/import",
    )
    if buffered:
        return mixpanel.BufferedConsumer(max_size=25, **endpoints)
    return mixpanel.Consumer(**endpoints)


def test_events_people_groups_and_import(privet):
    mp = mixpanel.Mixpanel(privet.token, consumer=consumer(privet.url))

    mp.track("user-1", "Signed up", {"plan": "free", "company_id": "org-1", "referrer_kind": "search"})
    mp.track("user-1", "Created API key", {"company_id": "org-1"})
    mp.track("user-2", "Signed up", {"plan": "pro", "$os": "Linux", "mp_country_code": "de"})

    mp.people_set("user-1", {"plan": "free", "$email": "one@example.com", "$name": "User One", "seats": 1})
    mp.people_set_once("user-1", {"plan": "pro", "first_source": "ads"})
    mp.people_increment("user-1", {"seats": 4})
    mp.people_append("user-1", {"log": "signed-up"})
    mp.people_union("user-1", {"features": ["sso", "api"]})
    mp.people_remove("user-1", {"features": "api"})
    mp.people_unset("user-1", ["first_source"])
    mp.people_set("user-2", {"plan": "pro"})
    mp.people_delete("user-2")

    mp.group_set("company_id", "org-1", {"name": "Wonderland Inc", "tier": "enterprise"})
    mp.group_set_once("company_id", "org-1", {"tier": "free", "region": "eu"})
    mp.group_union("company_id", "org-1", {"products": ["api", "chat"]})
    mp.group_remove("company_id", "org-1", {"products": "chat"})
    mp.group_unset("company_id", "org-1", ["region"])
    mp.group_set("company_id", "org-2", {"tier": "free"})
    mp.group_delete("company_id", "org-2")

    # /import with the admin key as api_secret (HTTP Basic user name), events from months ago.
    old = int(time.time()) - 90 * 86400
    for i in range(3):
        mp.import_data(None, "user-3", "Imported", old + i, {"i": i}, api_secret=privet.admin_key)
    # $merge goes through /import too.
    mp.track("user-4", "Visited")
    mp.merge(None, "user-3", "user-4", api_secret=privet.admin_key)

    rows = privet.sql("SELECT event, count(*) FROM events GROUP BY event ORDER BY event")
    assert rows == [["Created API key", 1], ["Imported", 3], ["Signed up", 2], ["Visited", 1]]
    assert privet.scalar("SELECT lib FROM events WHERE event = 'Created API key'") == "python"
    assert privet.scalar("SELECT country FROM events WHERE os = 'Linux'") == "DE"
    # One person per user; user-3 and user-4 merged.
    assert privet.scalar("SELECT count(DISTINCT person_id) FROM events") == 3
    assert privet.scalar(
        "SELECT count(DISTINCT person_id) FROM events WHERE event IN ('Imported', 'Visited')"
    ) == 1
    # Imported events keep their own time.
    assert privet.scalar("SELECT min(time) < now() - INTERVAL '80 days' FROM events") is True

    people = [json.loads(r[0]) for r in privet.sql("SELECT properties FROM people ORDER BY properties")]
    assert {"plan": "free", "seats": 5, "log": ["signed-up"], "features": ["sso"]} in people
    assert {} in people  # user-2, deleted
    assert not any("$email" in p or "$name" in p for p in people)

    # The organisation's name is personal data: it went to the identity vault, not the store.
    groups = privet.sql("SELECT group_key, properties FROM groups")
    assert groups == [["company_id", json.dumps({"products": ["api"], "tier": "enterprise"}, separators=(",", ":"))]]
    # Events carry the same organisation pseudonym as the group profile.
    assert privet.scalar(
        "SELECT count(*) FROM events e JOIN groups g ON json_get_int(e.properties, 'company_id') = g.group_id"
    ) == 2


def test_buffered_consumer_batches(privet):
    buffered = consumer(privet.url, buffered=True)
    mp = mixpanel.Mixpanel(privet.token, consumer=buffered)
    for i in range(120):
        mp.track(f"user-{i % 7}", "Batched", {"i": i})
    buffered.flush()
    assert privet.scalar("SELECT count(*) FROM events WHERE event = 'Batched'") == 120
    assert privet.scalar("SELECT count(DISTINCT person_id) FROM events") == 7


def test_sdk_sees_errors(privet):
    mp = mixpanel.Mixpanel("wrong-token", consumer=consumer(privet.url))
    with pytest.raises(mixpanel.MixpanelException, match="token"):
        mp.track("user-1", "Nope")
    good = mixpanel.Mixpanel(privet.token, consumer=consumer(privet.url))
    with pytest.raises(mixpanel.MixpanelException):
        good.import_data(None, "u", "Bad key", int(time.time()), api_secret="pvt_not_a_key")
    assert privet.scalar("SELECT count(*) FROM events") == 0


def test_offline_sql_and_cli(privet):
    mp = mixpanel.Mixpanel(privet.token, consumer=consumer(privet.url))
    mp.track("user-1", "From the SDK")
    # Offline, on the data directory, while the server runs (events still only in the write-ahead log).
    out = privet.cli("sql", "SELECT event, count(*) AS n FROM events GROUP BY event", "--format", "csv")
    assert out.strip().splitlines() == ["event,n", "From the SDK,1"]
    key = privet.cli("key", "create", "--role", "analyst", "--project", "default").strip().splitlines()[-1]
    out = privet.cli("sql", "SELECT count(*) AS n FROM events", "--url", privet.url, "--key", key, "--format", "json")
    assert json.loads(out)["rows"] == [[1]]
