"""The breach drill: play the attacker who steals Privet's analytics store.

A realistic dataset goes in through the official Mixpanel Python SDK: thousands of people with real-looking
names, emails, phone numbers, user and organisation ids, public IP addresses from many countries, browser user
agents, referrers and URLs whose query strings carry emails and tokens, and free text with phone numbers and API
keys. Then the test takes everything a thief of the data directory would get, except the identity vault: every
file, raw and decoded (Parquet read back column by column), the server's log, and `SELECT *` of every table. It
asserts that

1. not one planted identifier appears anywhere;
2. every city, region and OS/browser combination in the store is shared by at least k people;
3. the analytics still work: counts per event, per country and per browser match what was sent, and each
   person's events share one person_id;

and finally that the vault directory, stolen too but without the master key, reveals nothing planted.
"""

import collections
import json
import os
import random
import string

import _maxminddb_geolite2
import maxminddb
import mixpanel
import pyarrow.parquet as pq
from faker import Faker

from test_mixpanel_sdk import consumer

GEOLITE = os.path.join(os.path.dirname(_maxminddb_geolite2.__file__), "GeoLite2-City.mmdb")
K = 10
PEOPLE = 2000
ORGS = 150

USER_AGENTS = {
    # user agent: (browser, os) as the pipeline reports them (woothee's names)
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36": "Chrome",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36": "Chrome",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:145.0) Gecko/20100101 Firefox/145.0": "Firefox",
    "Mozilla/5.0 (X11; Linux x86_64; rv:145.0) Gecko/20100101 Firefox/145.0": "Firefox",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/19.1 Safari/605.1.15": "Safari",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1": "Safari",
}
EVENTS = ["Viewed dashboard", "Created API key", "Ran playground", "Viewed usage", "Invited member"]


def luhn_card(rng):
    digits = [4] + [rng.randrange(10) for _ in range(14)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return "".join(map(str, digits + [(10 - total % 10) % 10]))


def make_dataset(seed=7):
    rng = random.Random(seed)
    fake = Faker(["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL"])
    Faker.seed(seed)
    geo = maxminddb.open_database(GEOLITE)
    # Addresses people share (offices, NATs, mobile carriers) with Zipf-like popularity, so that some places
    # reach k people and many do not.
    pool = []
    while len(pool) < 400:
        ip = fake.ipv4_public()
        record = geo.get(ip)
        if record and record.get("country"):
            pool.append((ip, record["country"]["iso_code"]))
    weights = [1 / (i + 1) ** 0.9 for i in range(len(pool))]
    # Organisations use their name as their domain (acme.com), as companies do; names are chosen so that no
    # organisation's name is part of another's.
    orgs, slugs = [], []
    while len(orgs) < ORGS:
        name = fake.company()
        slug = "".join(c for c in name.lower() if c.isalnum())[:20]
        if len(slug) < 4 or any(slug in other or other in slug for other in slugs):
            continue
        slugs.append(slug)
        tld = rng.choice(["com", "io", "de", "fr", "co.uk"])
        orgs.append({"id": f"org-{rng.getrandbits(24):06x}", "name": name, "domain": f"{slug}.{tld}"})
    people = []
    for _ in range(PEOPLE):
        first, last = fake.first_name(), fake.last_name()
        org = rng.choice(orgs)
        ip, country = rng.choices(pool, weights)[0]
        people.append(
            {
                "user_id": f"user-{rng.getrandbits(32):08x}",
                "name": f"{first} {last}",
                "email": f"{first}.{last}{rng.randrange(100)}@{org['domain']}".lower().replace(" ", ""),
                "phone": f"+44 7{rng.randrange(100, 999)} {rng.randrange(100000, 999999)}",
                "ip": ip,
                "country": country,
                "ua": rng.choice(list(USER_AGENTS)),
                "org": org,
                "key": "sk-proj-" + "".join(rng.choices(string.ascii_letters + string.digits, k=32)),
                "token": "".join(rng.choices(string.ascii_letters + string.digits, k=24)),
                "card": luhn_card(rng),
            }
        )
    return people, orgs


def events_for(person, rng):
    n = rng.randint(4, 12)
    out = []
    for i in range(n):
        # Everyone signs in first (the login burst), then uses the product.
        name = "Signed in" if i == 0 else rng.choice(EVENTS)
        props = {
            "ip": person["ip"],
            "$user_agent": person["ua"],
            "$user_id": person["user_id"],
            "org_id": person["org"]["id"],
            "$email": person["email"],
            "$name": person["name"],
            "$referrer": rng.choice(
                [
                    f"https://www.google.com/search?q={person['email']}",
                    f"https://mail.example.net/inbox?token={person['token']}",
                    "https://news.ycombinator.com/item?id=45872211",
                    "",
                ]
            ),
            "$current_url": f"https://platform.example.com/invite/{person['email']}?token={person['token']}",
            "plan": rng.choice(["free", "pro", "team"]),
            "tokens": rng.randrange(10, 20000),
        }
        if i % 3 == 1:
            props["note"] = rng.choice(
                [
                    f"Call {person['name']} back on {person['phone']}",
                    f"my key is {person['key']} please rotate",
                    f"paid with {person['card']}",
                    f"ticket from {person['email']} about {person['user_id']} in {person['org']['id']}",
                ]
            )
        out.append((name, props))
    return out


def planted(people, orgs):
    values = set()
    for p in people:
        values.update(
            [p["user_id"], p["name"], p["email"], p["phone"], p["ip"], p["key"], p["token"], p["card"],
             p["email"].split("@")[0]]
        )
    for o in orgs:
        values.update([o["id"], o["name"]])
    return values


def attacker_view(server, log_path):
    """Everything under the data directory except the vault, raw and decoded, plus the log and SQL output."""
    texts = []
    for root, dirs, files in os.walk(server.data_dir):
        if os.path.relpath(root, server.data_dir).split(os.sep)[0] == "vault":
            continue
        for name in files:
            path = os.path.join(root, name)
            raw = open(path, "rb").read()
            texts.append((path, raw.decode("utf-8", "replace")))
            if name.endswith(".parquet"):
                table = pq.read_table(path)
                for column in table.column_names:
                    values = table.column(column).to_pylist()
                    texts.append((f"{path}:{column}", "\n".join(map(str, values))))
    texts.append((str(log_path), open(log_path, encoding="utf-8", errors="replace").read()))
    for table in ["events", "people", "groups"]:
        rows = server.sql(f"SELECT * FROM {table}")
        texts.append((f"SELECT * FROM {table}", json.dumps(rows)))
    return texts


def check_k_anonymity(server):
    """Every city, region and OS/browser combination the store shows is shared by at least K people."""
    # (Rows whose versions are withheld count towards their OS/browser family, which is what they show.)
    checks = {
        "city, region, country": "city IS NOT NULL",
        "region, country": "region IS NOT NULL",
        "os, browser, device_type": "os IS NOT NULL OR browser IS NOT NULL",
        "os, os_version, browser, browser_version, device_type": "browser_version IS NOT NULL",
    }
    for dims, present in checks.items():
        rows = server.sql(
            f"SELECT {dims}, count(DISTINCT person_id) AS n FROM events WHERE {present} GROUP BY {dims} ORDER BY n"
        )
        small = [r for r in rows if r[-1] < K]
        assert not small, f"{dims}: combinations shared by fewer than {K} people: {small[:5]}"


def test_a_stolen_store_is_useless_for_phishing(make_privet, tmp_path):
    config = tmp_path / "privet.toml"
    config.write_text(
        f"""
[privacy]
geoip = "{GEOLITE}"
[privacy.policy]
location_precision = "city"
k = {K}
identifier_patterns = ["user-[0-9a-f]{{8}}", "org-[0-9a-f]{{6}}"]
[query]
max_result_rows = 1000000
"""
    )
    server = make_privet(env={"PRIVET_CONFIG": str(config)}).start()
    people, orgs = make_dataset()
    rng = random.Random(11)
    buffered = consumer(server.url, buffered=True)
    mp = mixpanel.Mixpanel(server.token, consumer=buffered)

    # Profiles first: people and organisations with their personal fields.
    for p in people:
        mp.people_set(p["user_id"], {"$email": p["email"], "$name": p["name"], "$phone": p["phone"], "plan": "pro"})
    for o in orgs:
        mp.group_set("org_id", o["id"], {"$name": o["name"], "domain": o["domain"], "tier": "enterprise"})
    # Events: everyone's sign-in first, then the rest interleaved.
    streams = [events_for(p, rng) for p in people]
    sent = collections.Counter()
    sent_country = collections.Counter()
    sent_browser = collections.Counter()
    order = [(i, 0) for i in range(len(people))]
    rest = [(i, j) for i, stream in enumerate(streams) for j in range(1, len(stream))]
    rng.shuffle(rest)
    order += rest
    for i, j in order:
        name, props = streams[i][j]
        mp.track(people[i]["user_id"], name, props)
        sent[name] += 1
        sent_country[people[i]["country"]] += 1
        sent_browser[USER_AGENTS[people[i]["ua"]]] += 1
    buffered.flush()

    total = sum(sent.values())
    assert server.scalar("SELECT count(*) FROM events") == total

    # 2. Every place and client combination present is shared by at least k people: while the events are still
    # in memory and the write-ahead log (their precise values sealed), and again after the restart below, whose
    # first publication pass shows every value k people share, on all of their rows at once.
    check_k_anonymity(server)
    # The write-ahead log, decoded record by record while the server still holds events in it.
    wal = server.cli("debug", "wal")
    assert wal.count("\n") > 0 and '"events"' in wal
    # Stop cleanly so that the log, segments and metadata are complete, then look at everything.
    server.stop()
    server.start()
    check_k_anonymity(server)

    # 3. The analytics still work.
    assert dict(server.sql("SELECT event, count(*) FROM events GROUP BY event")) == dict(sent)
    assert dict(server.sql("SELECT country, count(*) FROM events GROUP BY country")) == dict(sent_country)
    by_browser = dict(server.sql("SELECT browser, count(*) FROM events GROUP BY browser"))
    # Browser/OS families are shown once k people share them, on every row of those people, the first sign-ins
    # included; only rare combinations stay hidden.
    for browser, n in sent_browser.items():
        assert by_browser.get(browser, 0) >= 0.95 * n, (browser, by_browser)
    assert server.scalar("SELECT count(DISTINCT person_id) FROM events") == PEOPLE
    assert server.scalar(
        "SELECT count(*) FROM (SELECT insert_id FROM events GROUP BY person_id, insert_id)"
    ) == total
    orgs_seen = server.scalar("SELECT count(DISTINCT json_get_int(properties, 'org_id')) FROM events")
    assert orgs_seen == len({p["org"]["id"] for p in people})
    # Places and referrers are coarse but present.
    assert server.scalar("SELECT count(*) FROM events WHERE city IS NOT NULL") > 0
    assert server.scalar("SELECT count(DISTINCT referrer_type) FROM events") >= 3

    texts = attacker_view(server, server.log) + [("privet debug wal", wal)]
    secrets = planted(people, orgs)
    leaks = []
    for where, text in texts:
        lowered = text.lower()
        for value in secrets:
            if value.lower() in lowered:
                leaks.append((where, value))
    assert not leaks, f"{len(leaks)} planted values found, e.g. {leaks[:5]}"

    # The vault too, stolen without the master key: nothing planted in clear.
    vault_bytes = b"".join(
        open(os.path.join(root, f), "rb").read()
        for root, _, files in os.walk(server.data_dir / "vault")
        for f in files
    ).lower()
    found = [v for v in secrets if v.lower().encode() in vault_bytes]
    assert not found, f"the vault holds planted values in clear: {found[:5]}"
