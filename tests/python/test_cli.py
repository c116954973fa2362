"""The `privet` command line as an operator uses it beside a running server: projects, tokens, keys, config,
the analysis commands, help and errors."""

import datetime
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
    ["debug"], ["debug", "wal"], ["demo"], ["insights"], ["funnel"], ["retention"], ["flows"],
    ["user"], ["user", "create"], ["user", "list"], ["user", "set-role"], ["user", "disable"], ["user", "enable"],
    ["user", "unlock"], ["user", "reset-mfa"], ["user", "require-mfa"],
    ["audit"], ["audit", "list"], ["audit", "verify"], ["audit", "head"],
]


def run(*args, check=True, env=None, cwd=None):
    return subprocess.run([TEST_PRIVET_BIN, *args], capture_output=True, text=True, check=check, env=env, cwd=cwd)


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


def test_analysis_commands_offline_and_online(make_privet):
    # `serve --demo` fills the empty data directory through the real pipeline before it listens.
    server = make_privet(args=["--demo", "--demo-events", "3000"]).start()
    data = ["--data-dir", str(server.data_dir)]
    online = ["--url", server.url, "--key", server.admin_key]
    today = datetime.date.today()
    span = ["--from", str(today - datetime.timedelta(days=100)), "--to", str(today)]
    funnel = ["funnel", "Signed up", "Created API key", "Made API call", "--window", "7d", *span]

    here = json.loads(run(*funnel, "--format", "json", *data).stdout)
    there = json.loads(run(*funnel, "--format", "json", *online).stdout)
    assert here == there
    counts = [step["count"] for step in here["steps"]]
    assert counts[0] > 0 and counts[0] >= counts[1] >= counts[2]
    table = run(*funnel, *data).stdout
    assert "Created API key" in table and "conversion" in table

    csv = run("insights", "Made API call", "--measure", "unique", "--bucket", "week", "--by", "plan",
              "--where", "plan in free,pro", "--format", "csv", *span, *data).stdout
    header = csv.splitlines()[0]
    assert header.startswith("bucket,") and "Made API call · free" in header

    flows = run("flows", "Signed up", "--steps", "1", *span, *online).stdout
    assert "Signed up" in flows and "people" in flows
    triangle = run("retention", "--birth", "Signed up", "--return", "Made API call", "--bucket", "week",
                   *span, *data).stdout
    assert "cohort" in triangle and "+7" in triangle

    bad = run("insights", "--where", "plan", *data, check=False)
    assert bad.returncode != 0 and "PROPERTY OP VALUE" in bad.stderr
    missing = run("retention", *data, check=False)
    assert missing.returncode != 0 and "birth_event" in missing.stderr
    unknown = run("funnel", "Signed up", "Nope", *online, check=False)
    assert unknown.returncode != 0 and "Nope" in unknown.stderr

    # A relative --data-dir works once segments exist (DataFusion needs absolute paths; Privet makes them so).
    # Stopping the server flushes its buffers into segments.
    server.stop()
    assert list(server.data_dir.glob("store/segments/**/*.parquet"))
    relative = run("sql", "SELECT count(*) AS n FROM events", "--format", "json", "--data-dir",
                   server.data_dir.name, cwd=server.data_dir.parent)
    assert json.loads(relative.stdout)["rows"][0][0] > 0
