"""Breach response end to end, through the real `privet` binary: people arrive through the official Mixpanel SDK,
a vendor "leaks" a messy CSV of them, and the operator assesses it, attributes it with a canary, drafts the
authority report and notifies everyone exactly once through a real SMTP server (aiosmtpd), even when the
notifier is killed with kill -9 half-way."""

import email
import email.utils
import hashlib
import json
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import mixpanel
import pytest
import requests

from conftest import TEST_PRIVET_BIN
from test_mixpanel_sdk import consumer

SINK = Path(__file__).with_name("smtp_sink.py")

CONFIG = """
[breach]
controller = "Example AI, Inc."
controller_address = "1 Example Way, Dublin, Ireland"
dpo_contact = "Jane Doe, dpo@example-ai.com"
official_domains = ["example-ai.com"]
sender = "Example AI Security <security@example-ai.com>"
canary_domain = "canary.example-ai.com"
lead_authority = "Data Protection Commission (Ireland)"
rate_per_second = 200
max_attempts = 2
"""

# distinct id, email in the vault, name, organisation
PEOPLE = [
    ("user-0", "Ada.Lovelace@gmail.com", "Ada Lovelace", "org-a"),
    ("user-1", "bob@example.com", "Bob Stone", "org-a"),
    ("user-2", "carol@example.org", "Carol Diaz", "org-a"),
    ("user-3", "dave@example.net", "Dave Okafor", "org-b"),
    ("user-4", "erin@example.com", "Erin Berg", "org-b"),  # not in the leak
] + [(f"user-{i}", f"person{i}@example.com", f"Person Number{i}", "org-b") for i in range(5, 12)]

ACCOUNTS = """\ufeffemail,full_name,user_id,org_id,org_name,role,locale
bob@example.com,Bob Stone,user-1,org-a,Analytical Engines,member,de
admin@org-a.example,Grace Admin,user-90,org-a,Analytical Engines,owner,fr
dana@example.com,Dana Haddad,user-91,org-b,Difference Ltd,member,ar
person5@example.com,Person Number5,user-5,org-b,Difference Ltd,member,lv
person6@example.com,Person Number6,user-6,org-b,Difference Ltd,member,id
person7@example.com,Person Number7,user-7,org-b,Difference Ltd,member,es
"""


def run(*args, check=True):
    return subprocess.run([TEST_PRIVET_BIN, *args], capture_output=True, text=True, check=check)


def leak_csv(canary):
    rows = [
        '"Email","Name","City","Country","OS","Browser","Referrer","User ID","Org ID"',
        # Gmail's rules: dots and a +tag on googlemail.com are Ada's gmail address.
        "adalovelace+promo@googlemail.com,Ada Lovelace,Berlin,DE,Mac OS X,Chrome,https://news.example/a?x=1,,org-a",
        # Mixed case, and a quoted comma in the name.
        'BOB@EXAMPLE.COM ,"Stone, Bob",Paris,FR,Windows,Firefox,,,org-a',
        # A +tag on a non-Gmail address.
        "carol+work@example.org,Carol Diaz,Madrid,ES,iOS,Mobile Safari,,,org-a",
        # Only the internal user id, and a missing trailing column.
        ",,Riga,LV,Android,Chrome,,user-3",
        "dana@example.com,Dana Haddad,Cairo,EG,Windows,Edge,,,org-b",
    ]
    rows += [f"person{i}@example.com,Person Number{i},Dublin,IE,Linux,Firefox,,user-{i},org-b" for i in range(5, 12)]
    rows += [f"stranger{i}@nowhere.example,Stranger {i},Oslo,NO,Linux,Chrome,,," for i in range(3)]
    rows.append(f"{canary['email']},{canary['name']},Vienna,AT,Linux,Chrome,,{canary['user_id']},{canary['org_id']}")
    return "\ufeff" + "\r\n".join(rows) + "\r\n"


class Sink:
    """aiosmtpd on 127.0.0.1, keeping each message as a file."""

    def __init__(self, out: Path, *args: str):
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, str(SINK), "--port", "0", "--out", str(out), *args],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline()
        assert line.startswith("READY"), line
        self.port = int(line.split()[1])
        self.url = f"smtp://127.0.0.1:{self.port}?tls=none"

    def messages(self):
        out = []
        for path in sorted(self.out.glob("*.eml")):
            raw = path.read_bytes()
            rcpts = re.findall(rb"^X-Sink-Rcpt-To: <([^>]*)>", raw, re.M)
            out.append((b"".join(rcpts).decode().lower(), email.message_from_bytes(raw)))
        return out

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


@pytest.fixture
def incident(make_privet, tmp_path):
    """A server with people, a config, an incident and a canary planted for the vendor."""
    config = tmp_path / "privet.toml"
    config.write_text(CONFIG)
    privet = make_privet(env={"PRIVET_PRIVACY__POLICY__K": "1"}).start()
    mp = mixpanel.Mixpanel(privet.token, consumer=consumer(privet.url))
    for uid, mail, name, org in PEOPLE:
        mp.people_set(uid, {"$email": mail, "$name": name, **({"$locale": "es-MX"} if uid == "user-2" else {})})
        mp.track(uid, "Signed up", {"org_id": org})
    common = ["--data-dir", str(privet.data_dir), "--config", str(config)]
    aware = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
    opened = run(
        "incident", "open", "--title", "Analytics vendor export", "--processor", "Mixpanel",
        "--description", "An attacker exported a dataset from the vendor's systems.",
        "--aware-at", aware, "--aware-reason", "the vendor sent us the affected dataset",
        "--processor-notified-at", aware, *common,
    )
    incident_id = opened.stdout.strip().splitlines()[-1]
    assert incident_id.isdigit(), opened
    assert "left" in opened.stderr
    # The vendor is another Mixpanel-compatible server: the canary is planted into it through its ingestion API.
    vendor = make_privet(env={"PRIVET_PRIVACY__POLICY__K": "1"}).start()
    canary = json.loads(run("canary", "plant", "--for", "Mixpanel", "--into", vendor.url, "--token", vendor.token,
                            "--json", *common).stdout)
    at_vendor = json.loads(run("person", "export", canary["email"], "--url", vendor.url, "--key",
                               vendor.admin_key).stdout)["people"][0]
    assert at_vendor["personal_fields"]["$name"] == canary["name"]
    assert canary["user_id"] in at_vendor["identifiers"]
    bad = run("canary", "plant", "--for", "x", "--into", vendor.url, "--token", "wrong", *common, check=False)
    assert bad.returncode != 0 and "refused the canary" in bad.stderr and "not in the ledger" in bad.stderr
    assert "x" not in [c["planted_for"] for c in json.loads(run("canary", "list", "--json", *common).stdout)]
    vendor.stop()
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(ACCOUNTS)
    leak = tmp_path / "leak.csv"
    leak.write_text(leak_csv(canary))
    return privet, common, incident_id, canary, accounts, leak


def test_assess_attribute_report_and_look_up(incident, tmp_path):
    privet, common, incident_id, canary, accounts, leak = incident
    out = run("breach", "assess", "--incident", incident_id, str(leak), "--accounts", str(accounts), "--quiet",
              *common).stdout
    assert "16 records read from 1 file(s): 12 matched, 3 matched nobody, 1 canary" in out, out
    assert 'this dataset came from "Mixpanel"' in out
    folder = privet.data_dir / "incidents" / incident_id
    assessment = json.loads((folder / "assessment.json").read_text())
    assert len(assessment["people"]) == 12
    rules = Counter(r for p in assessment["people"] for r in p["matched_by"])
    assert rules["provider_rule"] == 1 and rules["email_without_tag"] == 1 and rules["user_id"] >= 8
    high = [p for p in assessment["people"] if p["risk"]["level"] == "high"]
    assert len(high) >= 10
    assert assessment["people_by_country"]["IE"] == 7
    [org_a] = [o for o in assessment["organisations"] if o["admin_contacts"] == ["a***@org-a.example"]]
    assert len(org_a["members"]) == 3  # Ada, Bob and Carol; their owner is told though not in the leak
    assert assessment["canaries"][0]["planted_for"] == "Mixpanel"
    # Neither the JSON nor the HTML report holds an address, a name or an internal id.
    for doc in [(folder / "assessment.json").read_text(), (folder / "assessment.html").read_text()]:
        for raw in ["lovelace", "bob@", "Stone", "user-3", "org-b", "dana@"]:
            assert raw.lower() not in doc.lower(), raw

    # "Am I affected?": like the page's script, hash each form of the address and ask for its 5-character prefix.
    def affected(address):
        exact = address.strip().lower()
        local, domain = exact.rsplit("@", 1)
        base = local.split("+")[0] or local
        domain = "gmail.com" if domain == "googlemail.com" else domain
        forms = {exact, f"{base}@{exact.rsplit('@', 1)[1]}",
                 (base.replace(".", "") if domain == "gmail.com" else base) + "@" + domain}
        hit = False
        for form in forms:
            h = hashlib.sha256(form.encode()).hexdigest()
            answer = requests.get(f"{privet.url}/api/breach/range/{h[:5].upper()}")
            assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
            suffixes = answer.json()["suffixes"]
            assert len(suffixes) % 16 == 0 and all(len(x) == 59 for x in suffixes)
            hit |= h[5:] in suffixes
        return hit

    assert affected("ada.lovelace@gmail.com")  # leaked as adalovelace+promo@googlemail.com
    assert affected("Bob@Example.com ")
    assert affected("stranger1@nowhere.example")  # matched nobody, but was in the leak
    assert not affected("erin@example.com")
    bad = requests.get(f"{privet.url}/api/breach/range/xyz")
    assert bad.status_code == 400 and bad.json()["field"] == "prefix"
    page = requests.get(f"{privet.url}/breach/check")
    assert page.status_code == 200 and "connect-src 'self'" in page.headers["content-security-policy"]
    # The page's own script (run in Node with a stub DOM) hashes and forms addresses exactly like the server.
    script = re.search(r"<script>(.*)</script>", page.text, re.S).group(1)
    probe = script + """
const inputs = ["Ada.Lovelace+News@GoogleMail.com ", "bob@example.com", "zoë@exämple.org"];
console.log(JSON.stringify(inputs.map(a => forms(a).map(f => [f, sha256hex(f)]))));
"""
    stub = "globalThis.document = {getElementById: () => ({addEventListener() {}})};\n"
    out = subprocess.run(["node", "-e", stub + probe], capture_output=True, text=True, check=True).stdout
    for forms in json.loads(out):
        for form, digest in forms:
            assert digest == hashlib.sha256(form.encode()).hexdigest(), form
    assert [f for f, _ in json.loads(out)[0]] == [
        "ada.lovelace+news@googlemail.com", "ada.lovelace@googlemail.com", "adalovelace@gmail.com"]

    # A mail server reports phishing at the canary address.
    hit = requests.post(f"{privet.url}/api/canary/hit", headers={"Authorization": f"Bearer {privet.admin_key}"},
                        json={"address": canary["email"], "from": "support@examp1e-ai.com"})
    assert hit.status_code == 200 and hit.json()["planted_for"] == "Mixpanel"
    miss = requests.post(f"{privet.url}/api/canary/hit", headers={"Authorization": f"Bearer {privet.admin_key}"},
                         json={"address": "nobody@example.com"})
    assert miss.status_code == 404 and miss.json()["field"] == "address"
    assert requests.post(f"{privet.url}/api/canary/hit", json={"address": canary["email"]}).status_code == 401
    assert "Mixpanel" in run("canary", "hits", *common).stdout

    # The authority report: every Art. 33(3) part, people per member state, and nothing missing.
    out = run("breach", "report", "--incident", incident_id, *common).stdout
    assert "measures taken or proposed" in out, out
    run("incident", "set", incident_id, "--measure", "We ended the vendor's access to our data.", *common)
    out = run("breach", "report", "--incident", incident_id, *common).stdout
    assert "every required item is filled in" in out, out
    assert "Ireland (IE): 7 people" in out and "Germany (DE): 1 person;" in out
    report = (folder / "authority-report.md").read_text()
    for needle in ["Jane Doe, dpo@example-ai.com", "Mixpanel", "Data Protection Commission", "72"]:
        assert needle in report, needle
    # People without an address get the public notice (Art. 34(3)(c)), in every language; previews render one.
    run("breach", "public-notice", "--incident", incident_id, *common)
    page = (folder / "public-notice.html").read_text()
    for lang in ["en", "de", "es", "fr", "ar", "lv", "id"]:
        assert f'lang="{lang}"' in page, lang
    assert 'dir="rtl"' in page and "<a " not in page and "Mixpanel" in page
    preview = run("breach", "preview", "--locale", "ar", "--incident", incident_id, *common).stdout
    assert preview.startswith("Subject: ") and "Mixpanel" in preview and "example-ai.com" in preview
    assert re.search("[\u0600-\u06ff]", preview), "the Arabic text"
    unknown = run("breach", "preview", "--locale", "xx", *common)
    assert "no texts for" in unknown.stderr and unknown.stdout.startswith("Subject: ")

    # A phased update is numbered and kept.
    run("breach", "report", "--incident", incident_id, "--update", "The vendor confirmed the export window.", *common)
    assert "The vendor confirmed the export window." in (folder / "authority-report.md").read_text()
    # ... and each phase's report stays as it was: the first notification, then the update.
    assert "The vendor confirmed" not in (folder / "authority-report-0.md").read_text()
    assert "The vendor confirmed" in (folder / "authority-report-1.md").read_text()


def test_notify_everyone_exactly_once_even_after_kill_9(incident, tmp_path):
    privet, common, incident_id, canary, accounts, leak = incident
    privet.stop()  # a clean stop flushes profiles, where Carol's locale is
    run("breach", "assess", "--incident", incident_id, str(leak), "--accounts", str(accounts), "--quiet", *common)

    # A dry run renders every message for review and sends nothing.
    review = tmp_path / "review"
    out = run("breach", "notify", "--incident", incident_id, "--dry-run", str(review), *common).stdout
    emls = sorted(review.glob("*.eml"))
    # 12 people (user-3, matched by id, has an address in the vault) and one summary for org-a's owner.
    assert len(emls) == 13, out

    # The real thing, through aiosmtpd, slowed down so that kill -9 lands mid-run.
    sink = Sink(tmp_path / "mail", "--delay", "0.3")
    try:
        args = [TEST_PRIVET_BIN, "breach", "notify", "--incident", incident_id, "--smtp", sink.url, "--quiet", *common]
        first = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30
        while len(list(sink.out.glob("*.eml"))) < 4 and time.time() < deadline:
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait()
        before = len(sink.messages())
        assert 4 <= before < len(emls), "the kill must land mid-run"

        second = run(*args[1:])
        tally = second.stdout
        in_doubt = re.findall(r"in doubt: (\S+)", tally)
        # The operator's check: an in-doubt notice whose Message-ID never reached the server is sent again.
        ids = {m["Message-ID"] for _, m in sink.messages()}
        arrived = [key for key in in_doubt if any(key in mid for mid in ids)]
        for key in arrived:
            run(*args[1:], "--confirm-delivered", key)
        if len(arrived) < len(in_doubt):
            run(*args[1:], "--resend-in-doubt")
        received = Counter(rcpt for rcpt, _ in sink.messages())
        assert received and max(received.values()) == 1, received  # nobody twice
        assert len(sink.messages()) == len(emls)  # everyone once
        assert "already sent before" in tally

        # A third run sends nothing.
        third = run(*args[1:]).stdout
        assert third.startswith("sent 0,") and "in doubt 0, failed 0" in third, third
        assert len(sink.messages()) == len(emls)

        # What arrived is honest and safe: one sender, no links, the person's own data named.
        by_rcpt = {rcpt: m for rcpt, m in sink.messages()}
        ada = by_rcpt["ada.lovelace@gmail.com"]
        assert email.utils.parseaddr(ada["From"]) == ("Example AI Security", "security@example-ai.com")
        assert ada["Content-Language"] == "en"
        parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in ada.walk() if not p.is_multipart()}
        assert set(parts) == {"text/plain", "text/html"}
        for body in parts.values():
            assert "http://" not in body and "https://" not in body and "<a " not in body
            assert "example-ai.com" in body and "Mixpanel" in body
        assert by_rcpt["bob@example.com"]["Content-Language"] == "de"  # from the accounts file
        assert by_rcpt["carol@example.org"]["Content-Language"] == "es"  # from her profile's $locale
        dana = by_rcpt["dana@example.com"]
        assert dana["Content-Language"] == "ar"
        assert 'dir="rtl"' in next(p.get_payload(decode=True).decode() for p in dana.walk()
                                   if p.get_content_type() == "text/html")
        # The outbox knows people by key only.
        db = (privet.data_dir / "incidents" / "incidents.sqlite").read_bytes()
        assert b"lovelace" not in db.lower() and b"dana@" not in db
        shown = json.loads(run("incident", "show", incident_id, "--json", *common).stdout)
        assert shown["people_notified_at"] is not None
    finally:
        sink.stop()


def test_breach_commands_explain_bad_input(incident, tmp_path):
    privet, common, incident_id, canary, accounts, leak = incident
    cases = [
        (["breach", "assess", "--incident", "99", str(leak)], "there is no incident 99"),
        (["breach", "assess", "--incident", incident_id, str(tmp_path / "missing.csv")], "missing.csv"),
        (["breach", "assess", "--incident", incident_id, str(leak), "--column", "Email=shoe_size"], "shoe_size"),
        (["breach", "assess", "--incident", incident_id, str(leak), "--column", "Nope=email"], "names no column"),
        (["breach", "notify", "--incident", incident_id, "--dry-run", str(tmp_path / "r")], "breach assess"),
        (["breach", "report", "--incident", "99"], "there is no incident 99"),
        (["incident", "open", "--title", " "], "needs a title"),
        (["incident", "open", "--title", "t", "--aware-at", "yesterday-ish"], "is not a time"),
        (["incident", "open", "--title", "t"], "--aware-reason"),
        (["incident", "set", incident_id, "--detected-at", "2099-01-01"], "awareness cannot come before detection"),
        (["incident", "set", incident_id, "--aware-at", "now"], "--aware-reason"),
        (["incident", "set", incident_id, "--authority-notified-at", "2099-01-01"], "--delay-reason"),
        (["canary", "plant", "--for", "x", "--kind", "partner"], "partner"),
    ]
    for args, needle in cases:
        out = run(*args, *common, check=False)
        assert out.returncode != 0, args
        assert needle in out.stderr, (args, out.stderr)
        assert "panicked" not in out.stderr
    # With an assessment, a bad SMTP URL is refused before anything is queued.
    run("breach", "assess", "--incident", incident_id, str(leak), "--quiet", *common)
    # Without the controller's own settings, no real notice goes out and no canary is planted.
    bare = ["--data-dir", str(privet.data_dir)]
    out = run("breach", "notify", "--incident", incident_id, "--smtp", "smtp://127.0.0.1:1?tls=none", *bare, check=False)
    assert out.returncode != 0 and "breach.controller" in out.stderr and "--dry-run" in out.stderr, out.stderr
    out = run("canary", "plant", "--for", "x", *bare, check=False)
    assert out.returncode != 0 and "canary_domain" in out.stderr, out.stderr
    out = run("breach", "notify", "--incident", incident_id, "--smtp", "ftp://127.0.0.1:1", *common, check=False)
    assert out.returncode != 0 and "smtp" in out.stderr.lower()
    # An unreachable server stops the run; nothing is marked sent and a later run can finish.
    out = run("breach", "notify", "--incident", incident_id, "--smtp", "smtp://127.0.0.1:1?tls=none", "--quiet",
              *common, check=False)
    assert out.returncode != 0 and "127.0.0.1:1" in out.stderr, out.stderr
