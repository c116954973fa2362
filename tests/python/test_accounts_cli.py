"""Dashboard accounts and the audit log from the command line, beside a running server: `privet user …` (a
generated password that signs in, roles, disable, lock-out and unlock, mandatory MFA), privacy-officer keys,
and `privet audit list|verify|head` detecting an edited entry, a deleted one and a rolled-back log."""

import re
import sqlite3
import subprocess

import requests

from conftest import TEST_PRIVET_BIN


def run(*args, data_dir, check=True, input=None):
    return subprocess.run(
        [TEST_PRIVET_BIN, *args, "--data-dir", str(data_dir)],
        capture_output=True, text=True, check=check, input=input,
    )


def sign_in(url, email, password):
    """Posts the sign-in form like a browser; returns the session (with cookies) and the answer."""
    s = requests.Session()
    form = s.get(f"{url}/login", timeout=10).text
    token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    r = s.post(f"{url}/login", data={"csrf": token, "email": email, "password": password}, allow_redirects=False, timeout=30)
    return s, r


def test_users_from_the_command_line(privet):
    d = privet.data_dir
    out = run("user", "create", "ana@example.com", "--role", "analyst", data_dir=d).stdout
    password = out.strip().splitlines()[-1]
    assert len(password) >= 20
    # The generated password signs in, and sends the user to choose their own.
    _, r = sign_in(privet.url, "ana@example.com", password)
    assert r.status_code == 303 and r.headers["location"] == "/account"
    assert run("user", "create", "ANA@example.com", "--role", "admin", data_dir=d, check=False).returncode != 0
    bad = run("user", "create", "bot@example.com", "--role", "ingest", data_dir=d, check=False)
    assert bad.returncode != 0 and "for API keys" in bad.stderr
    weak = run("user", "create", "weak@example.com", "--role", "analyst", "--password-stdin", data_dir=d, input="short", check=False)
    assert weak.returncode != 0 and "at least 12" in weak.stderr

    run("user", "create", "po@example.com", "--role", "privacy-officer", "--password-stdin", data_dir=d, input="a long enough passphrase\n")
    listing = run("user", "list", data_dir=d).stdout
    assert "po@example.com" in listing and "privacy-officer" in listing and "optional" in listing
    assert password not in listing

    run("user", "set-role", "ana@example.com", "--role", "privacy-officer", data_dir=d)
    assert "privacy-officer" in [l for l in run("user", "list", data_dir=d).stdout.splitlines() if "ana@" in l][0]
    run("user", "disable", "po@example.com", data_dir=d)
    _, r = sign_in(privet.url, "po@example.com", "a long enough passphrase")
    assert r.status_code == 401 and "disabled" in r.text
    run("user", "enable", "po@example.com", data_dir=d)
    for _ in range(5):
        sign_in(privet.url, "po@example.com", "wrong password here")
    assert "locked" in [l for l in run("user", "list", data_dir=d).stdout.splitlines() if "po@" in l][0]
    run("user", "unlock", "po@example.com", data_dir=d)
    _, r = sign_in(privet.url, "po@example.com", "a long enough passphrase")
    assert r.status_code == 303
    run("user", "require-mfa", "on", data_dir=d)
    _, r = sign_in(privet.url, "po@example.com", "a long enough passphrase")
    assert r.headers["location"] == "/account/mfa"
    assert run("user", "reset-mfa", "nobody@example.com", data_dir=d, check=False).returncode != 0

    # Privacy-officer keys reveal; analyst keys do not.
    po_key = run("key", "create", "--role", "privacy-officer", data_dir=d).stdout.strip().splitlines()[-1]
    me = requests.get(f"{privet.url}/api/me", headers={"Authorization": f"Bearer {po_key}"}, timeout=10).json()
    assert "reveal" in me["permissions"] and "manage" not in me["permissions"]

    # An export to a file is audited (what was asked, never the rows).
    run("sql", "SELECT event, COUNT(*) FROM events GROUP BY event", "--format", "csv", "--output", str(d.parent / "out.csv"), data_dir=d)
    actions = run("audit", "list", "--limit", "100", data_dir=d).stdout
    assert "export.sql" in actions
    for action in ["user.create", "user.role", "user.disable", "user.unlock", "settings.require_mfa", "key.create", "sign_in"]:
        assert action in actions, action
    for secret in ["ana@example.com", "po@example.com", password]:
        assert secret not in actions


def test_audit_verify_detects_tampering(privet):
    d = privet.data_dir
    for n in range(4):
        run("user", "create", f"u{n}@example.com", "--role", "analyst", data_dir=d)
    ok = run("audit", "verify", data_dir=d)
    assert "intact" in ok.stdout
    head = run("audit", "head", data_dir=d).stdout.strip()
    assert re.fullmatch(r"\d+:[0-9a-f]{64}", head)
    assert run("audit", "verify", "--head", head, data_dir=d).returncode == 0

    db = sqlite3.connect(d / "audit" / "audit.sqlite")
    try:
        db.execute("UPDATE entries SET actor = 'user:99' WHERE seq = 2")
        raise AssertionError("the log must refuse updates")
    except sqlite3.DatabaseError as e:
        assert "append-only" in str(e)
    # An attacker with the file drops the guard and edits an entry: verify names it.
    db.executescript("DROP TRIGGER entries_append_only_update; DROP TRIGGER entries_append_only_delete;")
    db.execute("UPDATE entries SET detail = '{\"role\":\"admin\"}' WHERE seq = 2")
    db.commit()
    bad = run("audit", "verify", data_dir=d, check=False)
    assert bad.returncode != 0
    assert "entry 2 was edited" in bad.stderr

    # Deleting the last entries (and the edit above) is detected too, as is a rollback against the kept head.
    # (Opening the log put the guard back, so the attacker drops it again.)
    db.executescript("DROP TRIGGER entries_append_only_update; DROP TRIGGER entries_append_only_delete;")
    db.execute("DELETE FROM entries WHERE seq >= 3")
    db.commit()
    bad = run("audit", "verify", "--head", head, data_dir=d, check=False)
    assert bad.returncode != 0
    assert "removed from the end" in bad.stderr
    assert "rewritten or rolled back" in bad.stderr
    assert run("audit", "verify", "--head", "nonsense", data_dir=d, check=False).returncode != 0
