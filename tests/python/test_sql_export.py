"""`privet sql --format parquet|csv|json --output FILE`: exports read back with pyarrow and the csv module."""

import csv
import json
import subprocess

import mixpanel
import pyarrow.parquet as pq

from conftest import TEST_PRIVET_BIN

COLUMNS = [
    "time", "event", "insert_id", "person_id", "device_id", "country", "region", "city", "os", "os_version",
    "browser", "browser_version", "device_type", "referrer_domain", "referrer_type", "url_path", "utm_source",
    "utm_medium", "utm_campaign", "lib", "properties",
]


def run(*args, check=True):
    return subprocess.run([TEST_PRIVET_BIN, *map(str, args)], capture_output=True, text=True, check=check)


def send(privet, n):
    url = privet.url
    mp = mixpanel.Mixpanel(privet.token, consumer=mixpanel.BufferedConsumer(
        max_size=50, events_url=f"{url}/track", people_url=f"{url}/engage", groups_url=f"{url}/groups",
        import_url=f"{url}/import"))
    for i in range(n):
        mp.track(f"user-{i % 13}", ["Signed up", "Made API call"][i % 2], {"i": i, "plan": "pro", "$browser": "Firefox"})
    mp._consumer.flush()


def test_parquet_export_offline_and_online(privet, tmp_path):
    send(privet, 500)
    data = ["--data-dir", privet.data_dir]

    # Offline, on the data directory while the server runs: streamed to a zstd Parquet file.
    out = tmp_path / "events.parquet"
    done = run("sql", "SELECT * FROM events", *data, "--format", "parquet", "--output", out)
    assert "500 rows written" in done.stderr
    table = pq.read_table(out)
    assert table.num_rows == 500
    assert table.column_names == COLUMNS
    assert str(table.schema.field("time").type) == "timestamp[us, tz=UTC]"
    assert str(table.schema.field("person_id").type) == "int64"
    meta = pq.ParquetFile(out).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert sorted(json.loads(p)["i"] for p in table.column("properties").to_pylist()) == list(range(500))
    assert table.group_by("event").aggregate([("event", "count")]).sort_by("event").to_pylist() == [
        {"event": "Made API call", "event_count": 250}, {"event": "Signed up", "event_count": 250}]
    assert not list(tmp_path.glob("*.partial"))

    # Against the server (an analyst key): the JSON answer converted back to typed columns.
    key = privet.cli("key", "create", "--role", "analyst", "--project", "default").strip().splitlines()[-1]
    online = tmp_path / "online.parquet"
    run("sql", "SELECT * FROM events", "--url", privet.url, "--key", key, "--format", "parquet", "-o", online)
    remote = pq.read_table(online)
    assert remote.column_names == COLUMNS
    assert remote.schema.field("time").type == table.schema.field("time").type
    assert remote.schema.field("person_id").type == table.schema.field("person_id").type
    by_insert_id = lambda t: sorted(t.to_pylist(), key=lambda r: r["insert_id"])  # noqa: E731
    assert by_insert_id(remote) == by_insert_id(table)

    # An aggregate keeps its types.
    agg = tmp_path / "agg.parquet"
    run("sql", "SELECT event, count(*) AS n, avg(json_get_int(properties, 'i')) AS mean FROM events GROUP BY 1",
        *data, "--format", "parquet", "--output", agg)
    rows = sorted(pq.read_table(agg).to_pylist(), key=lambda r: r["event"])
    assert rows == [{"event": "Made API call", "n": 250, "mean": 250.0}, {"event": "Signed up", "n": 250, "mean": 249.0}]


def test_output_file_for_csv_and_json(privet, tmp_path):
    send(privet, 20)
    data = ["--data-dir", privet.data_dir]
    query = "SELECT event, count(*) AS n FROM events GROUP BY event ORDER BY event"
    run("sql", query, *data, "--format", "csv", "--output", tmp_path / "out.csv")
    with open(tmp_path / "out.csv") as f:
        assert list(csv.reader(f)) == [["event", "n"], ["Made API call", "10"], ["Signed up", "10"]]
    run("sql", query, *data, "--format", "json", "--output", tmp_path / "out.json")
    assert json.loads((tmp_path / "out.json").read_text())["rows"] == [["Made API call", 10], ["Signed up", 10]]


def test_export_errors(privet, tmp_path):
    data = ["--data-dir", privet.data_dir]
    # Parquet is binary: it needs a file.
    missing = run("sql", "SELECT 1", *data, "--format", "parquet", check=False)
    assert missing.returncode != 0 and "--output" in missing.stderr
    # The read-only guard holds for exports too, and a failed export leaves no file behind.
    out = tmp_path / "x.parquet"
    refused = run("sql", "DROP TABLE events", *data, "--format", "parquet", "--output", out, check=False)
    assert refused.returncode != 0 and "only queries" in refused.stderr
    bad = run("sql", "SELECT nope FROM events", *data, "--format", "parquet", "--output", out, check=False)
    assert bad.returncode != 0 and "nope" in bad.stderr
    assert not list(tmp_path.glob("x.parquet*"))
