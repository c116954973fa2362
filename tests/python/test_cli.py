"""The `privet` command line as an operator uses it beside a running server: projects, tokens, keys, config,
help and errors."""

import json
import subprocess
import time

import requests

from conftest import TEST_PRIVET_BIN

COMMANDS = [
    [], ["serve"], ["project"], ["project", "create"], ["project", "list"], ["project", "rotate-token"],
    ["key"], ["key", "create"], ["key", "list"], ["key", "revoke"], ["sql"], ["config"], ["config", "show"],
    ["vault"], ["vault", "init"], ["vault", "status"], ["vault", "rotate-master-key"], ["person"],
    ["person", "export"], ["person", "erase"], ["person", "anonymize"], ["events"], ["events", "delete"],
    ["debug"], ["debug", "wal"],
]


def run(*args, check=True, env=None):
    return subprocess.run([TEST_PRIVET_BIN, *args], capture_output=True, text=True, check=check, env=env)


def track(url, token):
    data = json.dumps({"event": "e", "properties": {"token": token, "distinct_id": "u"}})
    return requests.post(f"{url}/track?verbose=1", data={"data": data}, timeout=10)


def test_projects_tokens_and_keys(privet):
    data = ["--data-dir", str(privet.data_dir)]
    # A new project: its token (the last line) works at once.
    token = run("project", "create", "shop", *data).stdout.strip().splitlines()[-1]
    assert track(privet.url, token).json() == {"status": 1, "error": None}
    listing = run("project", "list", *data).stdout
    assert "shop" in listing and "default" in listing and token not in listing
    assert run("project", "create", "shop", *data, check=False).returncode != 0

    # Rotating a token: the old one is refused, the new one accepted.
    new = run("project", "rotate-token", "shop", *data).stdout.strip().splitlines()[-1]
    time.sleep(2.5)  # the server caches token lookups for 2 s
    assert track(privet.url, token).status_code == 401
    assert track(privet.url, new).json()["status"] == 1

    # Keys: shown once, listed without the secret, revocable.
    key = run("key", "create", "--role", "ingest", "--project", "shop", *data).stdout.strip().splitlines()[-1]
    keys = run("key", "list", *data).stdout
    assert key not in keys and "ingest" in keys
    key_id = next(line.split()[1] for line in keys.splitlines() if "ingest" in line)
    native = lambda: requests.post(
        f"{privet.url}/v1/events", data='{"event":"n","distinct_id":"u"}',
        headers={"Authorization": f"Bearer {key}"}, timeout=10,
    )
    assert native().status_code == 200
    run("key", "revoke", key_id, *data)
    time.sleep(2.5)
    assert native().status_code == 401
    assert run("key", "revoke", "key_nope", *data, check=False).returncode != 0


def test_config_help_and_errors(tmp_path):
    for command in COMMANDS:
        out = run(*command, "--help")
        assert "Usage: privet" in out.stdout, command
    env = {"PATH": "/usr/bin:/bin", "PRIVET_INGEST__MAX_BATCH": "70"}
    shown = run("config", "show", env=env).stdout
    assert "max_batch = 70" in shown
    bad = run("config", "show", env={**env, "PRIVET_INGEST__MAX_BACH": "1"}, check=False)
    assert bad.returncode != 0 and "max_bach" in bad.stderr
    missing = run("sql", "SELECT 1", "--data-dir", str(tmp_path / "nowhere"), check=False)
    assert missing.returncode != 0 and "privet serve" in missing.stderr
    refused = run("sql", "SELECT 1", "--url", "http://127.0.0.1:9", "--key", "pvt_x", check=False)
    assert refused.returncode != 0 and "is the server running" in refused.stderr
