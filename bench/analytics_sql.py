"""Privet's analytics questions written a second time, in plain SQL, for DuckDB and chDB.

Shared by `bench/analytics` (which times Privet's analytics API against DuckDB and chDB) and
`tests/python/test_analytics_duckdb.py` (which checks that Privet's answers agree with DuckDB's), so every query
is written once. The semantics are those of the README's Analytics section:

- filters: `!=`, `not in` and `not contains` keep events without the property; `contains` is substring;
- insights: events in [from, to) bucketed by calendar hour/day/week/month in the request's time zone; measures
  `total`, `unique`, `per_person` and aggregates of a numeric property; breakdown values beyond the top `limit`
  (ranked by the measure over the whole range, ties by value) merge into `$other`, missing values are `null`;
- funnels: ClickHouse `windowFunnel`: per actor, chains start at any step-1 event in the range, step k+1 at or
  after step k and no later than step 1 + window; the actor's level is its longest chain. "The first chain
  reaching the level" is read as the one with the earliest step-1 event, each later step being the earliest
  matching event after the previous one: its step-1 event gives the breakdown value, its step times the
  `median_seconds`/`p90_seconds` (interpolated or nearest-rank quantiles both accepted), and its steps the
  bounds of the exclusions;
- retention: cohorts by the bucket of the birth (the first birth ever for `first_time`, every birth in the range
  for `recurring`, the earliest birth of each cohort), retained[n] = actors with a return event in the range
  strictly after the birth in bucket cohort + n, `null` past the range's last bucket;
- flows: per person the first `event` in the range, then the next (previous) `steps` events in the range; events
  beyond the top `limit` per step become `$other`.

Every answer (Privet's JSON, DuckDB's rows, chDB's rows) is turned into a *canonical* form, a flat dict from a
key tuple to a number, with zero cells left out, so that answers compare with `==` and a mismatch can be shown
key by key (see `diff`).

DuckDB reads the Parquet export through the view `events` (`read_parquet`, see `duckdb_connect`); chDB reads a
MergeTree table `events` ordered by (person_id, time) (see `chdb_load`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

# Columns of the `events` table; anything else names a custom property in the `properties` JSON.
COLUMNS = {
    "time", "event", "insert_id", "person_id", "device_id", "country", "region", "city", "os", "os_version",
    "browser", "browser_version", "device_type", "referrer_domain", "referrer_type", "url_path", "utm_source",
    "utm_medium", "utm_campaign", "lib",
}
OTHER = "$other"
ANY = "$any"
UNITS = {"hour", "day", "week", "month", "all"}


# ---------------------------------------------------------------------------------------------------------------
# Time ranges and buckets


@dataclass(frozen=True)
class Range:
    """Inclusive calendar dates in a time zone, as the API takes them, and the instants they cover; or, with
    `at`, two RFC 3339 instants (`to` exclusive)."""

    first: date
    last: date
    tz: str = "UTC"
    at: tuple | None = None  # (start, end) aware datetimes

    @staticmethod
    def instants(start: datetime, end: datetime, tz: str = "UTC") -> "Range":
        return Range(start.date(), end.date(), tz, (start, end))

    @property
    def start(self) -> datetime:
        if self.at:
            return self.at[0]
        return datetime.combine(self.first, datetime.min.time(), ZoneInfo(self.tz)).astimezone(timezone.utc)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after `last`."""
        if self.at:
            return self.at[1]
        return datetime.combine(self.last + timedelta(days=1), datetime.min.time(), ZoneInfo(self.tz)).astimezone(
            timezone.utc
        )

    def api(self) -> dict:
        if self.at:
            return {"from": self.at[0].isoformat(), "to": self.at[1].isoformat(), "timezone": self.tz}
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "timezone": self.tz}

    def last_bucket(self, unit: str) -> datetime:
        """The (naive, local) start of the bucket holding the range's last instant."""
        local = (self.end - timedelta(microseconds=1)).astimezone(ZoneInfo(self.tz)).replace(tzinfo=None)
        return truncate(local, unit)


def truncate(local: datetime, unit: str) -> datetime:
    if unit == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    raise ValueError(unit)


def add_buckets(start: datetime, unit: str, n: int) -> datetime:
    if unit == "hour":
        return start + timedelta(hours=n)
    if unit == "day":
        return start + timedelta(days=n)
    if unit == "week":
        return start + timedelta(weeks=n)
    if unit == "month":
        months = start.year * 12 + start.month - 1 + n
        return start.replace(year=months // 12, month=months % 12 + 1, day=1)
    raise ValueError(unit)


def buckets(r: Range, unit: str) -> list[str]:
    """Every bucket of the range, as `bucket_key`s (hour buckets on a daylight-saving change aside)."""
    if unit == "all":
        return [None]
    local = r.start.astimezone(ZoneInfo(r.tz)).replace(tzinfo=None)
    out, b, last = [], truncate(local, unit), r.last_bucket(unit)
    while b <= last:
        out.append(bucket_key(b))
        b = add_buckets(b, unit, 1)
    return out


def bucket_key(value) -> str:
    """A bucket as naive local time text `YYYY-MM-DDTHH:MM:SS`, from Privet's RFC 3339 text or a datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, datetime.min.time())
    return value.replace(tzinfo=None).isoformat(timespec="seconds")


def last_days(max_time: datetime, days: int, tz: str = "UTC") -> Range:
    """The `days` calendar days ending with the day of `max_time` (the data's last event)."""
    last = max_time.astimezone(ZoneInfo(tz)).date()
    return Range(last - timedelta(days=days - 1), last, tz)


def last_weeks(max_time: datetime, weeks: int, tz: str = "UTC") -> Range:
    """From the Monday `weeks - 1` weeks before the week of `max_time` to the day of `max_time`."""
    last = max_time.astimezone(ZoneInfo(tz)).date()
    monday = last - timedelta(days=last.weekday())
    return Range(monday - timedelta(weeks=weeks - 1), last, tz)


def parse_window(window) -> int:
    """The funnel window in seconds: a number, or "30m", "12h", "7d", "2w"."""
    if isinstance(window, (int, float)):
        return int(window)
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    return int(window[:-1]) * units[window[-1]]


# ---------------------------------------------------------------------------------------------------------------
# DuckDB SQL


def duckdb_connect(parquet: str, threads: int | None = None):
    """A DuckDB connection with the view `events` over the Parquet export (read directly, nothing loaded)."""
    import duckdb

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet({lit(parquet)}, file_row_number = true)")
    return con


def lit(value) -> str:
    """A SQL literal (both dialects)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("\\", "\\\\").replace("'", "''") + "'"


def ts(instant: datetime) -> str:
    """A DuckDB TIMESTAMPTZ literal."""
    return f"TIMESTAMPTZ '{instant.astimezone(timezone.utc).strftime('%Y-%m-%d %H:%M:%S.%f')}+00'"


def prop(name: str) -> str:
    """A property as text (or its column): what breakdowns group by."""
    if name in COLUMNS:
        return "CAST(person_id AS VARCHAR)" if name in ("person_id", "device_id") else name
    path = "$." + json.dumps(name)
    return f"json_extract_string(properties, {lit(path)})"


def prop_number(name: str) -> str:
    if name in COLUMNS:
        return f"TRY_CAST({name} AS DOUBLE)"
    return f"TRY_CAST({prop(name)} AS DOUBLE)"


def local(expr: str, tz: str) -> str:
    """A TIMESTAMPTZ as naive local time in `tz` (for UTC without the time zone library: it is faster)."""
    if tz == "UTC":
        return f"make_timestamp(epoch_us({expr}))"
    return f"timezone({lit(tz)}, {expr})"


def bucket_sql(unit: str, tz: str, expr: str = "time") -> str:
    return f"date_trunc({lit(unit)}, {local(expr, tz)})"


def key_sql(expr: str) -> str:
    return f"strftime({expr}, '%Y-%m-%dT%H:%M:%S')"


def filter_sql(filters: list[dict] | None) -> str:
    """The API's `filters` as a SQL condition (`TRUE` when there are none)."""
    parts = []
    for f in filters or []:
        p, op, v = f["property"], f["op"], f.get("value")
        text = prop(p)
        if op == "=":
            parts.append(f"{text} = {lit(str(v))}")
        elif op == "!=":
            parts.append(f"{text} IS DISTINCT FROM {lit(str(v))}")
        elif op == "contains":
            parts.append(f"contains({text}, {lit(str(v))})")
        elif op == "not contains":
            parts.append(f"NOT coalesce(contains({text}, {lit(str(v))}), FALSE)")
        elif op == "in":
            parts.append(f"{text} IN ({', '.join(lit(str(x)) for x in v)})")
        elif op == "not in":
            parts.append(f"coalesce({text} NOT IN ({', '.join(lit(str(x)) for x in v)}), TRUE)")
        elif op in (">", ">=", "<", "<="):
            parts.append(f"{prop_number(p)} {op} {lit(float(v))}")
        elif op == "is set":
            parts.append(f"{text} IS NOT NULL")
        elif op == "is not set":
            parts.append(f"{text} IS NULL")
        else:
            raise ValueError(f"unknown filter op {op}")
    return " AND ".join(f"({p})" for p in parts) or "TRUE"


def in_range(r: Range, extra_end: timedelta = timedelta(0)) -> str:
    return f"time >= {ts(r.start)} AND time < {ts(r.end + extra_end)}"


MEASURES = {
    "total": "count(*)",
    "unique": "count(DISTINCT person_id)",
    "per_person": "count(*) / count(DISTINCT person_id)",
    "sum": "sum(v)",
    "avg": "avg(v)",
    "min": "min(v)",
    "max": "max(v)",
}
# Quantiles: both the interpolated and the discrete definition (see `Either`).
for _name, _q in {"median": 0.5, "p25": 0.25, "p75": 0.75, "p90": 0.9, "p95": 0.95, "p99": 0.99}.items():
    MEASURES[_name] = f"[quantile_cont(v, {_q}), quantile_disc(v, {_q})]"


def insights_sql(q: dict, r: Range) -> str:
    """Rows (series, b1, b2, bucket_key or NULL for the range total, value) for an /api/insights request."""
    events = q.get("events") or []
    measure = q.get("measure", "total")
    unit = q.get("bucket", "day")
    breakdown = q.get("breakdown") or []
    if isinstance(breakdown, str):
        breakdown = [breakdown]
    limit = int(q.get("limit", 10))
    agg = MEASURES[measure]
    series = "event" if events else lit(ANY)
    b = [prop(p) for p in breakdown] + ["NULL"] * (2 - len(breakdown))
    v = prop_number(q["property"]) if "property" in q else "NULL"
    bucket_expr = "NULL" if unit == "all" else bucket_sql(unit, r.tz)
    bucket_key_expr = lit("all") if unit == "all" else key_sql("bucket")
    event_filter = f"event IN ({', '.join(lit(e) for e in events)})" if events else "TRUE"
    base = f"""base AS (
    SELECT {series} AS series, {bucket_expr} AS bucket, person_id, {b[0]} AS b1, {b[1]} AS b2,
           {v} AS v
    FROM events
    WHERE {in_range(r)} AND {event_filter} AND {filter_sql(q.get("filters"))})"""
    if measure == "total":
        # Counts add up: count each (series, bucket, breakdown) cell once, then label and sum the cells.
        base = f"""{base.replace("base AS (", "rows AS (", 1)},
base AS (SELECT series, bucket, b1, b2, count(*) AS n FROM rows GROUP BY ALL)"""
        agg = "sum(n)"
    if not breakdown:
        labelled = "labelled AS (SELECT *, b1 AS l1, b2 AS l2 FROM base)"
    else:
        labelled = f"""ranked AS (
    SELECT series, b1, b2, row_number() OVER (
               PARTITION BY series ORDER BY {agg} DESC NULLS LAST, b1 ASC NULLS LAST, b2 ASC NULLS LAST) AS rank
    FROM base GROUP BY series, b1, b2),
labelled AS (
    SELECT base.*,
           CASE WHEN rank <= {limit} THEN base.b1 ELSE {lit(OTHER)} END AS l1,
           CASE WHEN rank <= {limit} THEN base.b2 ELSE {lit(OTHER)} END AS l2
    FROM base JOIN ranked ON base.series = ranked.series AND base.b1 IS NOT DISTINCT FROM ranked.b1
                         AND base.b2 IS NOT DISTINCT FROM ranked.b2)"""
    # One pass: the (series, breakdown, bucket) cells and the (series, breakdown) totals over the range.
    return f"""WITH {base},
{labelled}
SELECT series, l1, l2, CASE WHEN grouping(bucket) = 0 THEN {bucket_key_expr} END AS bucket, {agg} AS value
FROM labelled GROUP BY GROUPING SETS ((series, l1, l2, bucket), (series, l1, l2))"""


def funnel_sql(q: dict, r: Range) -> str:
    """Rows (breakdown, level, d2, …, dN) per actor, dk = seconds from step 1 to step k (NULL beyond its level),
    for an /api/funnels request.

    The actor's chain is the one that starts first (the earliest step-1 event) among those reaching the actor's
    level, and each of its steps is the earliest matching event after the previous step: the breakdown value,
    the step times and the exclusions are those of that chain. An exclusion drops the actor when the excluded
    event falls strictly between the chain's `from_step` and `to_step` events (up to the end of the window if
    the chain stops before `to_step`)."""
    steps = q["steps"]
    n = len(steps)
    window = parse_window(q.get("window", "30d"))
    w = f"INTERVAL {window} SECOND"
    count_by = q.get("count_by", "person")
    actor = "person_id" if count_by == "person" else f"TRY_CAST({prop(count_by)} AS BIGINT)"
    bd = prop(q["breakdown"]) if q.get("breakdown") else "NULL"
    held = q.get("hold_constant") or []
    hold = f"CAST(to_json([{', '.join(prop(p) for p in held)}]) AS VARCHAR)" if held else "''"
    global_filter = filter_sql(q.get("filters"))
    ctes = [
        f"""ev AS (
    SELECT *, {actor} AS actor, {bd} AS bd, {hold} AS hold
    FROM events
    WHERE {in_range(r, timedelta(seconds=window))} AND {global_filter} AND {actor} IS NOT NULL)"""
    ]
    for k, step in enumerate(steps, 1):
        cond = f"event = {lit(step['event'])} AND {filter_sql(step.get('filters'))}"
        if k == 1:
            cond += f" AND time >= {ts(r.start)} AND time < {ts(r.end)}"
        ctes.append(f"e{k} AS (SELECT actor, time, bd, hold FROM ev WHERE {cond})")
    # c1: every step-1 event starts a chain; ck: the earliest step-k event at or after the chain's step k-1
    # (with the step-1 event's values of the held properties).
    ctes.append("c1 AS (SELECT actor, hold, bd, time AS t1 FROM e1)")
    for k in range(2, n + 1):
        prev = ", ".join(f"c{k - 1}.t{j}" for j in range(1, k))
        ctes.append(
            f"""c{k} AS (
    SELECT c{k - 1}.actor, c{k - 1}.hold, c{k - 1}.bd, {prev}, e{k}.time AS t{k}
    FROM c{k - 1} ASOF LEFT JOIN e{k}
    ON c{k - 1}.actor = e{k}.actor AND c{k - 1}.hold = e{k}.hold AND c{k - 1}.t{k - 1} <= e{k}.time)"""
        )
    ok = {k: f"(t{k} IS NOT NULL AND t{k} <= t1 + {w})" for k in range(2, n + 1)}
    level = " + ".join(["1"] + [f"CASE WHEN {ok[k]} THEN 1 ELSE 0 END" for k in ok])
    times = ", ".join(["t1"] + [f"CASE WHEN {ok[k]} THEN t{k} END AS t{k}" for k in ok])
    ctes.append(f"chains AS (SELECT actor, bd, {level} AS level, {times} FROM c{n})")
    first = "ORDER BY level DESC, t1 ASC)[1]"
    picked = ", ".join(f"list(t{k} {first} AS t{k}" for k in range(1, n + 1))
    ctes.append(
        f"chosen AS (SELECT actor, max(level) AS level, list(bd {first} AS bd, {picked} FROM chains GROUP BY actor)"
    )
    dropped = []
    for i, x in enumerate(q.get("exclusions") or []):
        f, g = int(x.get("from_step", 1)), int(x.get("to_step", n))
        ctes.append(
            f"""x{i} AS (
    SELECT DISTINCT c.actor FROM chosen c JOIN ev ON ev.actor = c.actor AND ev.event = {lit(x["event"])}
    WHERE c.t{f} IS NOT NULL AND ev.time > c.t{f}
      AND ((c.t{g} IS NOT NULL AND ev.time < c.t{g}) OR (c.t{g} IS NULL AND ev.time <= c.t1 + {w})))"""
        )
        dropped.append(f"actor NOT IN (SELECT actor FROM x{i})")
    ds = "".join(f", (epoch_us(t{k}) - epoch_us(t1)) / 1e6 AS d{k}" for k in range(2, n + 1))
    return (
        "WITH "
        + ",\n".join(ctes)
        + f"""
SELECT bd, level{ds} FROM chosen WHERE {" AND ".join(dropped) or "TRUE"}"""
    )


def retention_sql(q: dict, r: Range) -> str:
    """Rows (cohort_key, n, retained) and (cohort_key, -1, size) for an /api/retention request."""
    unit = q.get("bucket", "day")
    periods = int(q.get("periods", 8))
    birth = lit(q["birth_event"])
    ret = f"event = {lit(q['return_event'])}" if q.get("return_event") else "TRUE"
    filters = filter_sql(q.get("filters"))
    if q.get("mode", "first_time") == "first_time":
        births = f"""births AS (
    SELECT person_id, bt, {bucket_sql(unit, r.tz, "bt")} AS cohort FROM (
        SELECT person_id, min(time) AS bt FROM events WHERE event = {birth} AND {filters} GROUP BY person_id)
    WHERE bt >= {ts(r.start)} AND bt < {ts(r.end)})"""
    else:
        births = f"""births AS (
    SELECT person_id, min(time) AS bt, {bucket_sql(unit, r.tz, "time")} AS cohort
    FROM events WHERE event = {birth} AND {in_range(r)} AND {filters}
    GROUP BY person_id, cohort)"""
    return f"""WITH {births},
returns AS (SELECT person_id, time FROM events WHERE {ret} AND {in_range(r)} AND {filters}),
cells AS (
    SELECT DISTINCT b.person_id, b.cohort,
           date_diff({lit(unit)}, b.cohort, {bucket_sql(unit, r.tz, "x.time")}) AS n
    FROM births b JOIN returns x ON x.person_id = b.person_id AND x.time > b.bt)
SELECT {key_sql("cohort")} AS cohort, n, count(*) AS people FROM cells WHERE n BETWEEN 0 AND {periods - 1}
GROUP BY cohort, n
UNION ALL
SELECT {key_sql("cohort")}, -1, count(*) FROM births GROUP BY cohort"""


def flows_sql(q: dict, r: Range) -> str:
    """Rows (person, step, event) of an /api/flows request (step 0 = the anchor event). Events are ordered by
    time, then by their position in the export (the stored order)."""
    steps = int(q.get("steps", 3))
    after = q.get("direction", "after") == "after"
    pick, cmp = ("arg_min", ">") if after else ("arg_max", "<")
    return f"""WITH ev AS (
    SELECT person_id, (time, file_row_number) AS pos, event FROM events
    WHERE {in_range(r)} AND {filter_sql(q.get("filters"))}),
anchor AS (SELECT person_id, min(pos) AS apos FROM ev WHERE event = {lit(q["event"])} GROUP BY person_id),
paths AS (
    SELECT a.person_id, {pick}(ev.event, ev.pos, {steps}) AS path
    FROM anchor a JOIN ev ON ev.person_id = a.person_id AND ev.pos {cmp} a.apos GROUP BY a.person_id)
SELECT person_id, 0 AS step, {lit(q["event"])} AS event FROM anchor
UNION ALL
SELECT person_id, generate_subscripts(path, 1) AS step, unnest(path) AS event FROM paths"""


# ---------------------------------------------------------------------------------------------------------------
# Canonical answers: {key tuple: number}, zero cells left out.


def norm_value(v):
    """A breakdown value as text (numbers as their decimal text), `None` for missing."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def norm_breakdown(values) -> tuple:
    values = tuple(norm_value(v) for v in (values or []))
    return (OTHER,) if OTHER in values else values


def put(out: dict, key, value):
    if value is None or value == 0:
        return
    out[key] = value


def insights_from_api(body: dict, q: dict) -> dict:
    unit = q.get("bucket", "day")
    out = {}
    buckets = body.get("buckets") or []
    for s in body["series"]:
        event = s.get("event", ANY)
        bd = norm_breakdown(s.get("breakdown"))
        for i, value in enumerate(s["values"]):
            put(out, ("value", event, bd, None if unit == "all" else bucket_key(buckets[i])), value)
        put(out, ("total", event, bd), s.get("total"))
    return out


def insights_from_rows(rows, q: dict) -> dict:
    nbd = len(q.get("breakdown") or []) if not isinstance(q.get("breakdown"), str) else 1
    unit = q.get("bucket", "day")
    out = {}
    for series, b1, b2, bucket, value in rows:
        bd = norm_breakdown([b1, b2][:nbd])
        if isinstance(value, list):
            value = Either(*value) if any(x is not None for x in value) else None
        if bucket is None:
            put(out, ("total", series, bd), value)
        else:
            put(out, ("value", series, bd, None if unit == "all" else bucket), value)
    return out


def funnel_from_api(body: dict, q: dict) -> dict:
    out = {}

    def steps(label, items):
        for k, s in enumerate(items, 1):
            put(out, ("count", label, k), s["count"])
            put(out, ("conversion", label, k), s.get("conversion"))
            put(out, ("step_conversion", label, k), s.get("step_conversion"))
            for stat in ("median_seconds", "p90_seconds"):
                if k > 1 and s.get(stat) is not None:
                    out[(stat, label, k)] = s[stat]

    steps("*", body["steps"])
    for b in body.get("breakdown") or []:
        steps(norm_value(b["value"]), b["steps"])
    return out


def funnel_from_rows(rows, q: dict) -> dict:
    """From per-actor rows (bd, level, d2, …)."""
    n = len(q["steps"])
    limit = int(q.get("limit", 10))
    has_bd = bool(q.get("breakdown"))
    actors = [(norm_value(row[0]), row[1], list(row[2:])) for row in rows if row[1] and row[1] >= 1]
    labels = {}
    if has_bd:
        firsts = {}
        for bd, _, _ in actors:
            firsts[bd] = firsts.get(bd, 0) + 1
        ranked = sorted(firsts, key=lambda v: (-firsts[v], v is None, v or ""))
        labels = {v: (v if i < limit else OTHER) for i, v in enumerate(ranked)}
    groups = {"*": actors}
    if has_bd:
        for a in actors:
            groups.setdefault(labels[a[0]], []).append(a)
    out = {}
    for label, members in groups.items():
        first = previous = len(members)
        for k in range(1, n + 1):
            reached = [a for a in members if a[1] >= k]
            put(out, ("count", label, k), len(reached))
            put(out, ("conversion", label, k), len(reached) / first if first else 0.0)
            put(out, ("step_conversion", label, k), len(reached) / previous if previous else 0.0)
            previous = len(reached)
            if k > 1 and reached and len(reached[0][2]) >= k - 1:
                secs = sorted(a[2][k - 2] for a in reached)
                out[("median_seconds", label, k)] = Quantile(secs, 0.5)
                out[("p90_seconds", label, k)] = Quantile(secs, 0.9)
    return out


class Either:
    """A statistic with more than one accepted definition (a quantile: interpolated or discrete); equal to a
    number close to any of them, so an answer may use either."""

    def __init__(self, *candidates):
        self.candidates = [float(c) for c in candidates if c is not None]

    def __eq__(self, other):
        theirs = other.candidates if isinstance(other, Either) else [other]
        return any(
            isinstance(x, (int, float)) and close(x, c, 1e-6, 1e-3) for x in theirs for c in self.candidates
        )

    def __repr__(self):
        return " or ".join(f"{c:.3f}" for c in dict.fromkeys(self.candidates))


def Quantile(values, q) -> Either:
    """The q-quantile of sorted values: interpolated, or the nearest rank (either of its two conventions)."""
    disc = values[max(0, math.ceil(q * len(values)) - 1)]
    low = values[int(math.floor((len(values) - 1) * q))]
    return Either(quantile_cont(values, q), disc, low)


def quantile_cont(values, q):
    pos = (len(values) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def retention_from_api(body: dict, q: dict) -> dict:
    out = {}
    for c in body["cohorts"]:
        if not c["size"]:
            continue
        key = bucket_key(c["start"])
        out[(key, "size")] = c["size"]
        for n, v in enumerate(c["retained"]):
            out[(key, n)] = "null" if v is None else v
    return out


def retention_from_rows(rows, q: dict, r: Range) -> dict:
    unit = q.get("bucket", "day")
    periods = int(q.get("periods", 8))
    last = r.last_bucket(unit)
    sizes, cells = {}, {}
    for cohort, n, people in rows:
        if n == -1:
            sizes[cohort] = people
        else:
            cells[(cohort, n)] = people
    out = {}
    for cohort, size in sizes.items():
        out[(cohort, "size")] = size
        start = datetime.fromisoformat(cohort)
        for n in range(periods):
            past = add_buckets(start, unit, n) > last
            out[(cohort, n)] = "null" if past else cells.get((cohort, n), 0)
    return out


def flows_from_api(body: dict, q: dict) -> dict:
    steps = int(q.get("steps", 3))
    out = {}
    for node in body["nodes"]:
        put(out, ("node", node["step"], node["event"]), node["count"])
        if node["step"] < steps:
            put(out, ("dropoff", node["step"], node["event"]), node.get("dropoff"))
    edges = body["edges"]
    # An edge of step k joins the node at step k-1 and the node at step k; whichever way `before` edges point.
    flip = q.get("direction") == "before" and any(
        e["step"] == 1 and e["from"] != q["event"] and e["to"] == q["event"] for e in edges
    )
    for e in edges:
        a, b = (e["to"], e["from"]) if flip else (e["from"], e["to"])
        put(out, ("edge", e["step"], a, b), e["count"])
    return out


def flows_from_rows(rows, q: dict) -> dict:
    """From rows (person, step, event)."""
    steps = int(q.get("steps", 3))
    limit = int(q.get("limit", 10))
    paths: dict = {}
    for person, step, event in rows:
        paths.setdefault(person, {})[step] = event
    counts: dict = {}
    for path in paths.values():
        for step, event in path.items():
            counts.setdefault(step, {}).setdefault(event, 0)
            counts[step][event] += 1
    labels = {}
    for step, per in counts.items():
        ranked = sorted(per, key=lambda e: (-per[e], e))
        labels[step] = {e: (e if i < limit else OTHER) for i, e in enumerate(ranked)}
    out: dict = {}

    def add(key, n=1):
        out[key] = out.get(key, 0) + n

    for path in paths.values():
        for step in range(0, steps + 1):
            if step not in path:
                break
            label = labels[step][path[step]]
            add(("node", step, label))
            if step < steps and step + 1 not in path:
                add(("dropoff", step, label))
            if step > 0:
                add(("edge", step, labels[step - 1][path[step - 1]], label))
    return out


# ---------------------------------------------------------------------------------------------------------------
# Comparing canonical answers


def close(a, b, rel=1e-9, abs_=1e-9) -> bool:
    if isinstance(a, Either):
        return a == b
    if isinstance(b, Either):
        return b == a
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=abs_)


def diff(expected: dict, actual: dict, names=("privet", "duckdb"), limit: int = 12, ignore=()) -> list[str]:
    """The first `limit` keys whose values differ (missing counts as 0), as readable lines; [] if they agree.
    Keys whose first element is in `ignore` are not compared."""
    lines = []
    keys = {k for k in set(expected) | set(actual) if k[0] not in ignore}
    for key in sorted(keys, key=lambda k: json.dumps(k, default=str)):
        a, b = expected.get(key, 0), actual.get(key, 0)
        if not close(a, b):
            lines.append(f"  {key}: {names[0]}={a!r} {names[1]}={b!r}")
    if len(lines) > limit:
        lines = lines[:limit] + [f"  … and {len(lines) - limit} more differing cells"]
    return lines


# ---------------------------------------------------------------------------------------------------------------
# The six benchmark questions


@dataclass
class Question:
    name: str
    path: str  # Privet's analytics route
    request: dict  # Privet's request body
    duckdb: str  # DuckDB SQL
    chdb: str  # chDB SQL
    from_api: object  # body -> canonical
    from_duckdb: object  # rows -> canonical
    from_chdb: object  # rows -> canonical


FUNNEL_STEPS = ["Signed up", "Created API key", "Made API call", "Upgraded plan"]


def questions(max_time: datetime) -> list[Question]:
    """The six benchmark questions over the 30 days (8 weeks for retention) ending with the data's last day."""
    month = last_days(max_time, 30)
    weeks = last_weeks(max_time, 8)
    out = []

    def insights(name, q, ch):
        q = {**q, **month.api()}
        out.append(
            Question(
                name, "/api/insights", q, insights_sql(q, month), ch,
                lambda body, q=q: insights_from_api(body, q),
                lambda rows, q=q: insights_from_rows(rows, q),
                lambda rows, q=q: insights_from_rows(rows, q),
            )
        )

    insights("events per day, 30 days", {"events": [], "measure": "total", "bucket": "day"},
             ch_per_day(month, "count()"))
    insights("unique people per day, 30 days", {"events": [], "measure": "unique", "bucket": "day"},
             ch_per_day(month, "uniqExact(person_id)"))
    insights("events per day by country, top 10",
             {"events": [], "measure": "total", "bucket": "day", "breakdown": ["country"], "limit": 10},
             ch_per_day_by(month, "country", 10))

    funnel = {"steps": [{"event": e} for e in FUNNEL_STEPS], "window": "7d", "breakdown": "browser",
              "limit": 10, **month.api()}
    out.append(
        Question(
            "funnel of 4 steps, 7-day window, by browser", "/api/funnels", funnel, funnel_sql(funnel, month),
            ch_funnel(funnel, month),
            lambda body: funnel_from_api(body, funnel),
            lambda rows: funnel_from_rows(rows, funnel),
            lambda rows: funnel_from_rows(rows, funnel),
        )
    )

    retention = {"birth_event": "Signed up", "return_event": "Made API call", "mode": "first_time",
                 "bucket": "week", "periods": 8, **weeks.api()}
    out.append(
        Question(
            "weekly retention, 8 weeks", "/api/retention", retention, retention_sql(retention, weeks),
            ch_retention(retention, weeks),
            lambda body: retention_from_api(body, retention),
            lambda rows: retention_from_rows(rows, retention, weeks),
            lambda rows: retention_from_rows(ch_retention_rows(rows, retention), retention, weeks),
        )
    )

    flows = {"event": "Signed up", "direction": "after", "steps": 1, "limit": 10, **month.api()}
    out.append(
        Question(
            "next steps after Signed up", "/api/flows", flows, flows_sql(flows, month), ch_flows(flows, month),
            lambda body: flows_from_api(body, flows),
            lambda rows: flows_from_rows(rows, flows),
            lambda rows: ch_flows_canonical(rows, flows),
        )
    )
    return out


# ---------------------------------------------------------------------------------------------------------------
# chDB (ClickHouse SQL) for the six questions, over the MergeTree table `events`.


# Names the layout chdb_load makes, so that a kept chDB database from an older layout is loaded again.
CHDB_LAYOUT = "chdb-2"


def chdb_load(session, parquet: str):
    """Loads the Parquet export into a MergeTree table ordered by (person_id, time), with `seq`, the row's
    position in the export (the stored order, which breaks ties between events at the same time)."""
    session.query("DROP TABLE IF EXISTS events")
    session.query(
        "CREATE TABLE events ENGINE = MergeTree ORDER BY (person_id, time) AS "
        "SELECT * REPLACE (assumeNotNull(person_id) AS person_id, toLowCardinality(event) AS event), "
        f"_row_number AS seq FROM file({lit(parquet)}, Parquet)"
    )
    session.query("OPTIMIZE TABLE events FINAL")


def chdb_rows(session, sql: str) -> list:
    result = session.query(sql, "JSONCompact")
    text = result.bytes() if hasattr(result, "bytes") else bytes(result)
    return json.loads(text)["data"] if text.strip() else []


def ch_ts(instant: datetime) -> str:
    return f"toDateTime64('{instant.astimezone(timezone.utc).strftime('%Y-%m-%d %H:%M:%S.%f')}', 6, 'UTC')"


def ch_range(r: Range, extra: timedelta = timedelta(0)) -> str:
    return f"time >= {ch_ts(r.start)} AND time < {ch_ts(r.end + extra)}"


def ch_day(r: Range) -> str:
    return f"toStartOfDay(time, {lit(r.tz)})"


def ch_key(expr: str, r: Range) -> str:
    return f"formatDateTime({expr}, '%Y-%m-%dT%H:%i:%S', {lit(r.tz)})"


def ch_per_day(r: Range, agg: str) -> str:
    # One pass for the days and the range's total (group_by_use_nulls: the total's day is NULL).
    return f"""SELECT '{ANY}', NULL, NULL, if(day IS NULL, NULL, {ch_key("day", r)}), value FROM (
    SELECT {ch_day(r)} AS day, {agg} AS value FROM events WHERE {ch_range(r)}
    GROUP BY GROUPING SETS ((day), ()) SETTINGS group_by_use_nulls = 1)"""


def ch_per_day_by(r: Range, column: str, limit: int) -> str:
    """Events per day by `column`: counts per (value, day) first, then the top `limit` values by total (ties by
    value, missing last) keep their name and the rest become `$other`."""
    return f"""WITH cells AS (
    SELECT {column} AS value, {ch_day(r)} AS day, count() AS n FROM events WHERE {ch_range(r)}
    GROUP BY value, day),
ranked AS (
    SELECT value, row_number() OVER (ORDER BY sum(n) DESC, isNull(value) ASC, value ASC) AS rank
    FROM cells GROUP BY value),
labelled AS (
    SELECT if(rank <= {limit}, c.value, '{OTHER}') AS label, c.day AS day, c.n AS n
    FROM cells c JOIN ranked r ON isNotDistinctFrom(c.value, r.value))
SELECT '{ANY}', label, NULL, if(day IS NULL, NULL, {ch_key("day", r)}), total FROM (
    SELECT label, day, sum(n) AS total FROM labelled
    GROUP BY GROUPING SETS ((label, day), (label)) SETTINGS group_by_use_nulls = 1)"""


def ch_funnel(q: dict, r: Range) -> str:
    """`windowFunnel` per person; the breakdown is the browser of the person's first step-1 event in the range
    (the demo's people each use one browser, so this is the step-1 value of any chain)."""
    window = parse_window(q["window"])
    names = [s["event"] for s in q["steps"]]
    first = f"event = {lit(names[0])} AND time < {ch_ts(r.end)}"
    conds = ", ".join([first] + [f"event = {lit(e)}" for e in names[1:]])
    bd = q["breakdown"]
    # Per actor: (breakdown, level); the times of the steps are not part of this comparison (see from_chdb).
    return f"""SELECT bd, level FROM (
    SELECT person_id,
           windowFunnel({window * 1_000_000})(toUInt64(toUnixTimestamp64Micro(time)), {conds}) AS level,
           argMinIf(ifNull({bd}, '\\0'), time, {first}) AS bd_raw, nullIf(bd_raw, '\\0') AS bd
    FROM events
    WHERE {ch_range(r, timedelta(seconds=window))} AND event IN ({', '.join(lit(e) for e in names)})
    GROUP BY person_id)
WHERE level > 0"""


def ch_retention(q: dict, r: Range) -> str:
    periods = int(q["periods"])
    conds = ", ".join(
        f"x_time > bt AND toMonday(x_time, {lit(r.tz)}) = addWeeks(cohort, {n})" for n in range(periods)
    )
    return f"""WITH births AS (
    SELECT person_id, min(time) AS bt FROM events WHERE event = {lit(q["birth_event"])} GROUP BY person_id
    HAVING bt >= {ch_ts(r.start)} AND bt < {ch_ts(r.end)}),
joined AS (
    SELECT b.person_id AS person_id, b.bt AS bt, toMonday(b.bt, {lit(r.tz)}) AS cohort, x.time AS x_time
    FROM births b LEFT JOIN (
        SELECT person_id, time FROM events WHERE event = {lit(q["return_event"])} AND {ch_range(r)}) x
    ON x.person_id = b.person_id),
per_person AS (
    SELECT cohort, retention(1, {conds}) AS r FROM joined GROUP BY person_id, cohort)
SELECT formatDateTime(cohort, '%Y-%m-%dT00:00:00') AS c, count() AS size, sumForEach(r) AS cells
FROM per_person GROUP BY cohort"""


def ch_flows(q: dict, r: Range) -> str:
    """Step-1 flow: each person's event right after their first `event` in the range (by time, then `seq`)."""
    return f"""WITH anchors AS (
    SELECT person_id, min((time, seq)) AS a FROM events
    WHERE event = {lit(q["event"])} AND {ch_range(r)} GROUP BY person_id)
SELECT if(n > 0, next, NULL) AS nxt, count() FROM (
    SELECT e.person_id, argMinIf(e.event, (e.time, e.seq), (e.time, e.seq) > x.a) AS next,
           countIf((e.time, e.seq) > x.a) AS n
    FROM events e INNER JOIN anchors x ON e.person_id = x.person_id
    WHERE e.time >= {ch_ts(r.start)} AND e.time < {ch_ts(r.end)}
    GROUP BY e.person_id)
GROUP BY nxt"""


def ch_flows_canonical(rows, q: dict) -> dict:
    limit = int(q.get("limit", 10))
    counts = {nxt: n for nxt, n in rows}
    total = sum(counts.values())
    nexts = {k: v for k, v in counts.items() if k is not None}
    ranked = sorted(nexts, key=lambda e: (-nexts[e], e))
    out: dict = {("node", 0, q["event"]): total}
    put(out, ("dropoff", 0, q["event"]), counts.get(None, 0))
    for i, e in enumerate(ranked):
        label = e if i < limit else OTHER
        out[("node", 1, label)] = out.get(("node", 1, label), 0) + nexts[e]
        out[("edge", 1, q["event"], label)] = out.get(("edge", 1, q["event"], label), 0) + nexts[e]
    return out


def ch_retention_rows(rows, q: dict) -> list:
    """chDB's (cohort, size, cells) rows as retention_sql's (cohort, n, people) rows."""
    out = []
    for cohort, size, cells in rows:
        out.append((cohort, -1, int(size)))
        for n, v in enumerate(cells[1:]):
            out.append((cohort, n, int(v)))
    return out

