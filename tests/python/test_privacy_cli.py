"""Data-subject requests and the vault through the `privet` command line, online (--url) and offline."""

import json
import subprocess

import mixpanel
import pytest

from conftest import TEST_PRIVET_BIN
from test_mixpanel_sdk import consumer


def run(*args, env=None, check=True):
    return subprocess.run([TEST_PRIVET_BIN, *args], capture_output=True, text=True, env=env, check=check)


def test_export_erase_and_vault_commands(privet, tmp_path):
    mp = mixpanel.Mixpanel(privet.token, consumer=consumer(privet.url))
    mp.track("user-77", "Signed up", {"$email": "grace@example.com", "$name": "Grace Hopper"})
    mp.people_set("user-77", {"$phone": "+1 202 555 0143", "plan": "team"})
    data = ["--data-dir", str(privet.data_dir)]

    # Online: export by email with an admin key.
    out = run("person", "export", "grace@example.com", "--url", privet.url, "--key", privet.admin_key).stdout
    person = json.loads(out)["people"][0]
    assert "user-77" in person["identifiers"]
    assert person["personal_fields"] == {
        "$email": "grace@example.com",
        "$name": "Grace Hopper",
        "$phone": "+1 202 555 0143",
    }

    # Delete one event by its $insert_id, online.
    mp.track("user-78", "Mistake")
    insert_id = privet.scalar("SELECT insert_id FROM events WHERE event = 'Mistake'")
    out = run("events", "delete", "--insert-id", insert_id, "--url", privet.url, "--key", privet.admin_key).stdout
    assert out.strip() == "deleted 1 events"
    assert privet.scalar("SELECT count(*) FROM events") == 1

    # Offline commands refuse a data directory in use, and say what to do.
    busy = run("person", "erase", "user-77", *data, check=False)
    assert busy.returncode != 0 and "--url" in busy.stderr

    privet.stop()
    status = run("vault", "status", *data).stdout
    assert "subjects:    2" in status and "fields:      3" in status  # user-77 and user-78
    assert "grace" not in status.lower()
    erased = json.loads(run("person", "erase", "+1 202 555 0143", "--reason", "ticket 9", *data).stdout)
    assert erased["erased"][0]["identifiers"] == 1 and erased["erased"][0]["fields"] == 3
    missing = run("person", "export", "user-77", *data, check=False)
    assert missing.returncode != 0 and "nobody" in missing.stderr
    # A time range, offline: the remaining event goes.
    out = run("events", "delete", "--from", "0", "--to", "4000000000", *data).stdout
    assert out.strip() == "deleted 1 events"

    # The master key must live outside the data directory, and is never overwritten.
    inside = run("vault", "init", "--key-file", str(privet.data_dir / "k"), *data, check=False)
    assert inside.returncode != 0 and "inside the data directory" in inside.stderr
    existing = run("vault", "init", *data, check=False)
    assert existing.returncode != 0 and "never overwrites" in existing.stderr

    # Rotation: the old key stops working, the new one opens the vault, pseudonyms stay.
    new_key = tmp_path / "rotated.key"
    run("vault", "rotate-master-key", "--new-key-file", str(new_key), *data)
    env = {"PRIVET_MASTER_KEY_FILE": str(new_key), "PATH": "/usr/bin:/bin"}
    assert "subjects:    1" in run("vault", "status", *data, env=env).stdout
    stale = run("vault", "status", *data, check=False)
    assert stale.returncode != 0 and "does not open" in stale.stderr
