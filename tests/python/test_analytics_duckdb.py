"""Privet's analytics API agrees with DuckDB on the demo dataset.

`privet demo` generates a small dataset through the real ingestion pipeline, `privet sql --format parquet`
exports its events, and every question is answered twice: by `privet serve`'s /api/insights, /api/funnels,
/api/retention and /api/flows, and by DuckDB over the Parquet file with the SQL in bench/analytics_sql.py
(shared with bench/analytics), which spells out the semantics of the README's Analytics section. Answers are compared
cell by cell, exactly for counts; a failure lists the first differing cells as `key: privet=… duckdb=…`.
"""

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import _maxminddb_geolite2
import pytest
import requests

from conftest import TEST_PRIVET_BIN, Privet

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import analytics_sql as A  # noqa: E402

duckdb = pytest.importorskip("duckdb", reason="duckdb is not installed; run scripts/setup-test-env")

GEOLITE = Path(os.path.dirname(_maxminddb_geolite2.__file__)) / "GeoLite2-City.mmdb"
EVENTS = 30_000
SEED = 7
# A fixed span makes the dataset the same on every run; it crosses the US daylight-saving change (8 March 2026).
END = "2026-03-29"


def privet_cli(*args, **kwargs):
    return subprocess.run([TEST_PRIVET_BIN, *map(str, args)], capture_output=True, text=True, **kwargs)


class Dataset:
    def __init__(self, server: Privet, key: str, con, max_time: datetime):
        self.server, self.key, self.con, self.max_time = server, key, con, max_time

    def ask(self, path: str, body: dict) -> dict:
        response = requests.post(f"{self.server.url}{path}", json=body,
                                 headers={"Authorization": f"Bearer {self.key}"}, timeout=120)
        if response.status_code == 404:
            pytest.skip(f"{path} does not exist yet (the analytics routes have not landed)")
        assert response.status_code == 200, f"{path} {json.dumps(body)} -> {response.status_code} {response.text}"
        return response.json()

    def rows(self, sql: str):
        return self.con.execute(sql).fetchall()

    def days(self, n: int, tz: str = "UTC") -> A.Range:
        return A.last_days(self.max_time, n, tz)

    def weeks(self, n: int, tz: str = "UTC") -> A.Range:
        return A.last_weeks(self.max_time, n, tz)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    help_text = privet_cli("demo", "--help")
    if help_text.returncode != 0:
        pytest.skip("`privet demo` does not exist yet (crates/privet-demo has not landed)")
    root = tmp_path_factory.mktemp("analytics")
    data = root / "data"
    demo = ["demo", "--data-dir", data, "--events", EVENTS, "--seed", SEED]
    if "--end" in help_text.stdout:
        demo += ["--end", END]
    if GEOLITE.exists():
        demo += ["--geoip", GEOLITE]  # countries and regions to break down by
    privet_cli(*demo, check=True)
    parquet = root / "events.parquet"
    privet_cli("sql", "SELECT * FROM events", "--data-dir", data, "--format", "parquet", "--output", parquet,
               check=True)
    key = privet_cli("key", "create", "--role", "analyst", "--project", "default", "--data-dir", data,
                     check=True).stdout.strip().splitlines()[-1]
    server = Privet(data).start()
    try:
        con = A.duckdb_connect(str(parquet))
        max_us = con.execute("SELECT epoch_us(max(time)) FROM events").fetchone()[0]
        ds = Dataset(server, key, con, datetime.fromtimestamp(max_us / 1e6, timezone.utc))
        assert server.sql("SELECT count(*) FROM events", key=key, project=None) == [[ds.rows(
            "SELECT count(*) FROM events")[0][0]]]
        yield ds
    finally:
        server.stop()


def insights_shape(answer: dict, body: dict, r: A.Range):
    """Every bucket of the range is listed, in order, and series come by total, descending, `$other` last."""
    unit = body.get("bucket", "day")
    if unit != "all":
        assert [A.bucket_key(b) for b in answer["buckets"]] == A.buckets(r, unit), json.dumps(body)
    for s in answer["series"]:
        assert len(s["values"]) == len(answer["buckets"]), json.dumps(body)
    for event in {s.get("event") for s in answer["series"]}:
        series = [s for s in answer["series"] if s.get("event") == event]
        others = [i for i, s in enumerate(series) if A.OTHER in (s.get("breakdown") or [])]
        assert others in ([], [len(series) - 1]), f"`$other` is not last: {json.dumps(body)}"
        totals = [s["total"] or 0 for s in series if A.OTHER not in (s.get("breakdown") or [])]
        assert totals == sorted(totals, reverse=True), f"series not ordered by total: {json.dumps(body)}"


def agree(privet: dict, duck: dict, path: str, body: dict):
    lines = A.diff(privet, duck)
    assert not lines, f"{path} {json.dumps(body)} disagrees with DuckDB:\n" + "\n".join(lines)
    assert privet, f"{path} {json.dumps(body)}: both answers are empty; the case tests nothing"


# ---------------------------------------------------------------------------------------------------------------
# Insights: every measure, buckets, time zones, filters, breakdowns with top-N.

LATENCY = {"property": "latency_ms"}
INSIGHTS = {
    "total-any-day": ({"events": [], "measure": "total", "bucket": "day"}, 30),
    "total-two-events-day": ({"events": ["Signed up", "Logged in"], "measure": "total", "bucket": "day"}, 30),
    "unique-day": ({"events": ["Made API call"], "measure": "unique", "bucket": "day"}, 30),
    "unique-any-week": ({"events": [], "measure": "unique", "bucket": "week"}, 56),
    "per-person-week": ({"events": ["Made API call"], "measure": "per_person", "bucket": "week"}, 56),
    "total-month": ({"events": ["Viewed docs"], "measure": "total", "bucket": "month"}, 90),
    "total-hour": ({"events": ["Made API call"], "measure": "total", "bucket": "hour"}, 2),
    "unique-all": ({"events": ["Made API call"], "measure": "unique", "bucket": "all"}, 30),
    **{
        f"{m}-latency-day": ({"events": ["Made API call"], "measure": m, **LATENCY, "bucket": "day"}, 14)
        for m in ("sum", "avg", "min", "max")
    },
    **{
        f"{m}-latency-week": ({"events": ["Made API call"], "measure": m, **LATENCY, "bucket": "week"}, 28)
        for m in ("median", "p25", "p75", "p90", "p95", "p99")
    },
    "total-by-country-top5": (
        {"events": ["Made API call"], "measure": "total", "bucket": "day", "breakdown": ["country"], "limit": 5}, 30),
    "unique-by-country-top5": (
        {"events": ["Made API call"], "measure": "unique", "bucket": "week", "breakdown": ["country"], "limit": 5},
        56),
    "total-by-browser": ({"events": [], "measure": "total", "bucket": "day", "breakdown": ["browser"]}, 30),
    "total-by-plan-custom": (
        {"events": ["Made API call"], "measure": "total", "bucket": "week", "breakdown": ["plan"]}, 56),
    "total-by-org-top5": (
        {"events": ["Made API call"], "measure": "total", "bucket": "week", "breakdown": ["org_id"], "limit": 5},
        28),
    "total-by-browser-and-plan-top4": (
        {"events": ["Made API call"], "measure": "total", "bucket": "week", "breakdown": ["browser", "plan"],
         "limit": 4}, 28),
    "avg-latency-by-plan": (
        {"events": ["Made API call"], "measure": "avg", **LATENCY, "bucket": "week", "breakdown": ["plan"]}, 28),
    "filter-country-in": (
        {"events": [], "measure": "total", "bucket": "day",
         "filters": [{"property": "country", "op": "in", "value": ["US", "DE", "GB"]}]}, 30),
    "filter-plan-and-latency": (
        {"events": ["Made API call"], "measure": "unique", "bucket": "day",
         "filters": [{"property": "plan", "op": "=", "value": "free"},
                     {"property": "latency_ms", "op": ">", "value": 500}]}, 30),
    "filter-url-contains-is-set": (
        {"events": [], "measure": "total", "bucket": "week",
         "filters": [{"property": "url_path", "op": "contains", "value": "docs"},
                     {"property": "utm_source", "op": "is set"}]}, 56),
}


def check_insights(dataset, q, r):
    """Asks Privet and DuckDB the same insights question over range `r` and compares the answers."""
    body = {**q, **r.api()}
    answer = dataset.ask("/api/insights", body)
    insights_shape(answer, body, r)
    privet = A.insights_from_api(answer, body)
    duck = A.insights_from_rows(dataset.rows(A.insights_sql(body, r)), body)
    agree(privet, duck, "/api/insights", body)


@pytest.mark.parametrize("name", INSIGHTS)
def test_insights(dataset, name):
    q, days = INSIGHTS[name]
    check_insights(dataset, q, dataset.days(days))


@pytest.mark.parametrize("tz", ["America/New_York", "Asia/Kolkata"])
def test_insights_time_zone(dataset, tz):
    # 40 days back from the data's end crosses the US daylight-saving change.
    r = dataset.days(40, tz)
    for q in ({"events": [], "measure": "total", "bucket": "day"},
              {"events": ["Made API call"], "measure": "unique", "bucket": "week"}):
        check_insights(dataset, q, r)


# ---------------------------------------------------------------------------------------------------------------
# Funnels: 2-4 steps, windows of an hour, a day and a week, breakdowns, counting by organisation.

FUNNEL = ["Signed up", "Created API key", "Made API call", "Upgraded plan"]
FUNNELS = {
    "2-steps-1h": {"steps": FUNNEL[:2], "window": "1h"},
    "3-steps-1d": {"steps": FUNNEL[:3], "window": "1d"},
    "4-steps-7d": {"steps": FUNNEL, "window": "7d"},
    "4-steps-7d-by-browser": {"steps": FUNNEL, "window": "7d", "breakdown": "browser"},
    "3-steps-1d-by-country-top3": {"steps": FUNNEL[:3], "window": "1d", "breakdown": "country", "limit": 3},
    "2-steps-seconds-window": {"steps": ["Viewed docs", "Made API call"], "window": 600},
    "3-steps-7d-by-org": {"steps": FUNNEL[:3], "window": "7d", "count_by": "org_id"},
    "3-steps-2w-filtered": {"steps": FUNNEL[:3], "window": "2w",
                            "filters": [{"property": "browser", "op": "in", "value": ["Chrome", "Firefox"]}]},
    "3-steps-7d-hold-plan": {"steps": FUNNEL[:3], "window": "7d", "hold_constant": ["plan"]},
    "3-steps-7d-exclude-billing": {"steps": FUNNEL[:3], "window": "7d",
                                   "exclusions": [{"event": "Viewed billing", "from_step": 1, "to_step": 2}]},
    "4-steps-7d-exclude-docs-by-browser": {
        "steps": FUNNEL, "window": "7d", "breakdown": "browser",
        "exclusions": [{"event": "Viewed docs", "from_step": 2, "to_step": 4}]},
    "2-steps-step-filter": {"steps": [{"event": "Made API call", "filters": [
        {"property": "latency_ms", "op": "<", "value": 200}]}, "Viewed billing"], "window": "1d"},
}


@pytest.mark.parametrize("name", FUNNELS)
def test_funnels(dataset, name):
    q = dict(FUNNELS[name])
    q["steps"] = [s if isinstance(s, dict) else {"event": s} for s in q["steps"]]
    r = dataset.days(30)
    body = {**q, **r.api()}
    privet = A.funnel_from_api(dataset.ask("/api/funnels", body), body)
    duck = A.funnel_from_rows(dataset.rows(A.funnel_sql(body, r)), body)
    agree(privet, duck, "/api/funnels", body)


# ---------------------------------------------------------------------------------------------------------------
# Retention: daily and weekly, first time and recurring.

RETENTION = {
    "week-first-time": ({"birth_event": "Signed up", "return_event": "Made API call", "mode": "first_time",
                         "bucket": "week", "periods": 8}, "weeks", 8),
    "week-recurring": ({"birth_event": "Logged in", "return_event": "Made API call", "mode": "recurring",
                        "bucket": "week", "periods": 6}, "weeks", 6),
    "day-first-time-any-return": ({"birth_event": "Signed up", "mode": "first_time", "bucket": "day",
                                   "periods": 14}, "days", 30),
    "day-recurring": ({"birth_event": "Made API call", "return_event": "Made API call", "mode": "recurring",
                       "bucket": "day", "periods": 7}, "days", 21),
}


@pytest.mark.parametrize("name", RETENTION)
def test_retention(dataset, name):
    q, kind, n = RETENTION[name]
    r = dataset.weeks(n) if kind == "weeks" else dataset.days(n)
    body = {**q, **r.api()}
    privet = A.retention_from_api(dataset.ask("/api/retention", body), body)
    duck = A.retention_from_rows(dataset.rows(A.retention_sql(body, r)), body, r)
    agree(privet, duck, "/api/retention", body)


# ---------------------------------------------------------------------------------------------------------------
# Flows: after and before, two and three steps, top-N per step.

FLOWS = {
    "after-signup-3": {"event": "Signed up", "direction": "after", "steps": 3},
    "after-signup-2-top3": {"event": "Signed up", "direction": "after", "steps": 2, "limit": 3},
    "before-upgrade-3": {"event": "Upgraded plan", "direction": "before", "steps": 3},
    "before-api-key-2": {"event": "Created API key", "direction": "before", "steps": 2, "limit": 4},
}


@pytest.mark.parametrize("name", FLOWS)
def test_flows(dataset, name):
    r = dataset.days(30)
    body = {"limit": 10, **FLOWS[name], **r.api()}
    privet = A.flows_from_api(dataset.ask("/api/flows", body), body)
    duck = A.flows_from_rows(dataset.rows(A.flows_sql(body, r)), body)
    agree(privet, duck, "/api/flows", body)


# ---------------------------------------------------------------------------------------------------------------
# Edges: RFC 3339 ranges, ranges that end before the data does, other time zones, negative filters.


def instants(ds, hours_back: int, hours: int) -> A.Range:
    end = ds.max_time.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours_back) + timedelta(
        minutes=30)
    return A.Range.instants(end - timedelta(hours=hours), end)


def ending_early(ds, days: int, weeks: bool = False, tz: str = "UTC") -> A.Range:
    # Ends 10 days before the data (mid-week), so events after `to` exist.
    last = ds.max_time.date() - timedelta(days=10)
    first = last - timedelta(days=days - 1)
    if weeks:
        first -= timedelta(days=first.weekday())
    return A.Range(first, last, tz)


EDGES = {
    "insights-instants-hour": (
        "/api/insights", {"events": ["Made API call"], "measure": "total", "bucket": "hour"},
        lambda ds: instants(ds, 30, 40)),
    "insights-instants-day-unique": (
        "/api/insights", {"events": [], "measure": "unique", "bucket": "day"}, lambda ds: instants(ds, 5, 24 * 9)),
    "insights-not-equal": (
        "/api/insights", {"events": [], "measure": "total", "bucket": "week",
                          "filters": [{"property": "browser", "op": "!=", "value": "Chrome"}]},
        lambda ds: ds.days(28)),
    "insights-not-in": (
        "/api/insights", {"events": [], "measure": "total", "bucket": "week",
                          "filters": [{"property": "country", "op": "not in", "value": ["US", "DE"]}]},
        lambda ds: ds.days(28)),
    "insights-not-contains": (
        "/api/insights", {"events": [], "measure": "total", "bucket": "week",
                          "filters": [{"property": "url_path", "op": "not contains", "value": "docs"}]},
        lambda ds: ds.days(28)),
    "insights-is-not-set": (
        "/api/insights", {"events": [], "measure": "unique", "bucket": "week",
                          "filters": [{"property": "utm_source", "op": "is not set"}]},
        lambda ds: ds.days(28)),
    "insights-per-person-by-plan-kolkata": (
        "/api/insights", {"events": ["Made API call"], "measure": "per_person", "bucket": "week",
                          "breakdown": ["plan"]},
        lambda ds: ds.days(28, "Asia/Kolkata")),
    "funnel-ending-early": (
        "/api/funnels", {"steps": [{"event": e} for e in FUNNEL[:3]], "window": "7d"},
        lambda ds: ending_early(ds, 20)),
    "funnel-new-york": (
        "/api/funnels", {"steps": [{"event": e} for e in FUNNEL[:3]], "window": "1d", "breakdown": "country",
                         "limit": 4},
        lambda ds: ds.days(30, "America/New_York")),
    "retention-week-ending-mid-week": (
        "/api/retention", {"birth_event": "Signed up", "return_event": "Made API call", "mode": "first_time",
                           "bucket": "week", "periods": 6},
        lambda ds: ending_early(ds, 36, weeks=True)),
    "retention-day-kolkata": (
        "/api/retention", {"birth_event": "Signed up", "return_event": "Made API call", "mode": "first_time",
                           "bucket": "day", "periods": 10},
        lambda ds: ds.days(20, "Asia/Kolkata")),
    "retention-month": (
        "/api/retention", {"birth_event": "Signed up", "mode": "first_time", "bucket": "month", "periods": 3},
        lambda ds: A.Range(ds.max_time.date().replace(day=1) - timedelta(days=70), ds.max_time.date())),
    "flows-filtered-ending-early": (
        "/api/flows", {"event": "Created API key", "direction": "after", "steps": 2, "limit": 5,
                       "filters": [{"property": "browser", "op": "in", "value": ["Chrome", "Safari"]}]},
        lambda ds: ending_early(ds, 15)),
}
CANONICAL = {
    "/api/insights": (A.insights_sql, A.insights_from_api, lambda rows, q, r: A.insights_from_rows(rows, q)),
    "/api/funnels": (A.funnel_sql, A.funnel_from_api, lambda rows, q, r: A.funnel_from_rows(rows, q)),
    "/api/retention": (A.retention_sql, A.retention_from_api, A.retention_from_rows),
    "/api/flows": (A.flows_sql, A.flows_from_api, lambda rows, q, r: A.flows_from_rows(rows, q)),
}


@pytest.mark.parametrize("name", EDGES)
def test_edges(dataset, name):
    path, q, make_range = EDGES[name]
    r = make_range(dataset)
    body = {**q, **r.api()}
    sql, from_api, from_rows = CANONICAL[path]
    answer = dataset.ask(path, body)
    if path == "/api/insights":
        insights_shape(answer, body, r)
    privet = from_api(answer, body)
    duck = from_rows(dataset.rows(sql(body, r)), body, r)
    agree(privet, duck, path, body)


# ---------------------------------------------------------------------------------------------------------------
# The six benchmark questions (bench/analytics), as the benchmark asks them.


@pytest.mark.parametrize("index", range(6))
def test_bench_questions(dataset, index):
    q = A.questions(dataset.max_time)[index]
    privet = q.from_api(dataset.ask(q.path, q.request))
    duck = q.from_duckdb(dataset.rows(q.duckdb))
    agree(privet, duck, q.path, q.request)


def test_reference_sql_sees_the_whole_dataset(dataset):
    """The export holds what Privet holds (so a disagreement is about semantics, not data)."""
    ours = dataset.rows("SELECT event, count(*), count(DISTINCT person_id) FROM events GROUP BY 1 ORDER BY 1")
    theirs = dataset.server.sql(
        "SELECT event, count(*), count(DISTINCT person_id) FROM events GROUP BY 1 ORDER BY 1",
        key=dataset.key, project=None)
    assert [list(r) for r in ours] == theirs
