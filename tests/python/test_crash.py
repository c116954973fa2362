"""Crash safety: kill -9 the server several times under load; every acknowledged event is present exactly once."""

import json
import random
import threading
import time

import requests

BATCH = 50
WRITERS = 4


def test_kill9_under_load_loses_and_duplicates_nothing(make_privet):
    # Small memtables and short intervals so that flushes and compactions happen while we kill.
    env = {
        "PRIVET_STORAGE__MEMTABLE_MAX_ROWS": "3000",
        "PRIVET_STORAGE__FLUSH_INTERVAL_SECS": "1",
        "PRIVET_STORAGE__COMPACTION_MIN_SEGMENTS": "2",
        "PRIVET_QUERY__MAX_RESULT_ROWS": "10000000",
    }
    server = make_privet(env).start()
    token = server.token
    acked: set[str] = set()
    sent: set[str] = set()
    pending: list[list[dict]] = []
    lock = threading.Lock()
    stop = threading.Event()
    up = threading.Event()
    up.set()

    def make_batch(writer: int, n: int) -> list[dict]:
        now = time.time()
        return [
            {
                "event": random.choice(["Viewed", "Clicked", "Paid"]),
                "properties": {
                    "token": token,
                    "distinct_id": f"user-{random.randrange(500)}",
                    "time": now,
                    "$insert_id": f"w{writer}-{n}-{i}",
                },
            }
            for i in range(BATCH)
        ]

    def send(batch) -> bool:
        try:
            r = requests.post(
                f"{server.url}/track?verbose=1",
                data={"data": json.dumps(batch)},
                timeout=10,
            )
            return r.status_code == 200 and r.json()["status"] == 1
        except requests.RequestException:
            return False

    def writer(w: int):
        n = 0
        while not stop.is_set():
            up.wait()
            batch = make_batch(w, n)
            n += 1
            ids = [e["properties"]["$insert_id"] for e in batch]
            with lock:
                sent.update(ids)
            if send(batch):
                with lock:
                    acked.update(ids)
            else:
                with lock:
                    pending.append(batch)

    threads = [threading.Thread(target=writer, args=(w,), daemon=True) for w in range(WRITERS)]
    for t in threads:
        t.start()
    for _ in range(4):
        time.sleep(random.uniform(1.0, 2.5))
        up.clear()  # writers stop starting new requests; in-flight ones are cut by the kill
        server.kill9()
        time.sleep(0.2)
        server.start()
        up.set()
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join(timeout=30)

    # Like an SDK, retry every batch whose acknowledgement never came.
    for batch in pending:
        assert send(batch), "retry after restart failed"
        acked.update(e["properties"]["$insert_id"] for e in batch)

    rows = server.sql("SELECT insert_id, count(*) FROM events GROUP BY insert_id")
    counts = {insert_id: n for insert_id, n in rows}
    missing = [i for i in acked if counts.get(i) != 1]
    assert not missing, f"{len(missing)} acknowledged events missing or duplicated, e.g. {missing[:5]}"
    duplicated = [i for i, n in counts.items() if n != 1]
    assert not duplicated, f"duplicated: {duplicated[:5]}"
    assert set(counts) <= sent
    assert len(acked) > 2000, f"the load was too light to mean anything ({len(acked)} events)"

    # And once more after a clean restart (everything replayed or flushed).
    server.stop()
    server.start()
    assert server.scalar("SELECT count(*) FROM events") == len(counts)
    assert server.scalar("SELECT count(DISTINCT insert_id) FROM events") == len(counts)
