#!/usr/bin/env python3
"""Why the write-ahead log is pre-allocated and background writers sync in small steps.

Acknowledgements wait for the log's fdatasync. This measures 16 KB appends + fdatasync to a log file (as the writer
does for a group commit) while another thread keeps writing 200 MB files, as flushes and merges write segments, and
deletes old ones. Each window combines:
- the log: a file that grows (`append`), or one written in full with zeros beforehand and overwritten
  (`pre-allocated`, what `privet_store::wal` does: fdatasync then has no size or block map to commit);
- the background writer: one fsync per file at the end, or a sync every 8 MB or every 2 MB
  (`privet_store::durable::SyncingFile` uses 2 MB).
Run it in the filesystem of the data directory: `bench/fsync.py [DIR]` (default: a temporary directory under
~/.cache). It prints one row per window.
"""
import os
import sys
import tempfile
import threading
import time

MB = 1 << 20
WINDOW_SECONDS = 6


def background(directory, stop, step_mb):
    """Writes 200 MB files, synced every `step_mb` (0: only at the end), keeping the last two."""
    chunk = os.urandom(MB)
    i = 0
    while not stop.is_set():
        with open(os.path.join(directory, f"segment{i}"), "wb") as f:
            for n in range(200):
                f.write(chunk)
                if step_mb and (n + 1) % step_mb == 0:
                    f.flush()
                    os.fdatasync(f.fileno())
            f.flush()
            os.fsync(f.fileno())
        if i >= 2:
            os.unlink(os.path.join(directory, f"segment{i - 2}"))
        i += 1


def window(directory, log_mode, step_mb):
    path = os.path.join(directory, f"log-{log_mode}-{step_mb}")
    if log_mode == "pre-allocated":
        with open(path, "wb") as f:
            f.write(bytes(256 * MB))
            f.flush()
            os.fsync(f.fileno())
        log = os.open(path, os.O_WRONLY)
    else:
        log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    stop = threading.Event()
    writer = threading.Thread(target=background, args=(directory, stop, step_mb))
    writer.start()
    samples = []
    started = time.time()
    while time.time() - started < WINDOW_SECONDS:
        t = time.time()
        os.write(log, b"x" * 16384)
        os.fdatasync(log)
        samples.append(1000 * (time.time() - t))
        time.sleep(0.002)
    stop.set()
    writer.join()
    os.close(log)
    os.unlink(path)
    samples.sort()
    return samples


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.cache")
    os.makedirs(base, exist_ok=True)
    print("| log file      | background writer syncs | fsyncs | median ms | p99 ms | max ms | over 50 ms |")
    print("|---------------|-------------------------|--------|-----------|--------|--------|------------|")
    with tempfile.TemporaryDirectory(dir=base) as d:
        for log_mode, step in [("append", 0), ("append", 8), ("pre-allocated", 8), ("pre-allocated", 2)]:
            xs = window(d, log_mode, step)
            how = f"every {step} MB" if step else "once, at the end"
            print(f"| {log_mode:<13} | {how:<23} | {len(xs):>6} | {xs[len(xs) // 2]:>9.1f} "
                  f"| {xs[int(len(xs) * 0.99)]:>6.1f} | {xs[-1]:>6.1f} | {sum(x > 50 for x in xs):>10} |")


if __name__ == "__main__":
    main()
