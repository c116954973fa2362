#!/usr/bin/env python3
"""Why segment files are synced a step at a time: the write-ahead log's fsync latency while a large file is synced.

Acknowledgements wait for the log's fsync. A flush or a merge writes a segment of a few hundred megabytes; synced
in one go at the end, it fills the disk's queue and the log's next fsync waits behind it. This measures small
appends + fdatasync to a log file (as the writer does) in three windows: idle, while a 300 MB file is written and
synced at the end, and while one is synced every 8 MB (what `privet_store::segment::SegmentWriter` does).
Run it in the filesystem of the data directory: `bench/fsync.py [DIR]` (default: a temporary directory).
"""
import os
import sys
import tempfile
import threading
import time

MB = 1 << 20


def big_file(path, size_mb, step_mb, start_at, report):
    time.sleep(start_at)
    chunk = os.urandom(MB)
    began = time.time()
    with open(path, "wb") as f:
        for i in range(size_mb):
            f.write(chunk)
            if step_mb and (i + 1) % step_mb == 0:
                f.flush()
                os.fdatasync(f.fileno())
        f.flush()
        os.fsync(f.fileno())
    report.append((path, size_mb, step_mb, 1000 * (time.time() - began)))


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else None
    with tempfile.TemporaryDirectory(dir=base) as d:
        log = os.open(os.path.join(d, "wal"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        report = []
        windows = [("idle", 0.0, 1.0), ("300 MB, one fsync at the end", 1.0, 4.0), ("300 MB, synced every 8 MB", 4.0, 7.0)]
        threading.Thread(target=big_file, args=(os.path.join(d, "a"), 300, 0, 1.0, report)).start()
        threading.Thread(target=big_file, args=(os.path.join(d, "b"), 300, 8, 4.0, report)).start()
        samples = []
        start = time.time()
        while time.time() - start < 7.0:
            t = time.time()
            os.write(log, b"x" * 4096)
            os.fdatasync(log)
            samples.append((t - start, 1000 * (time.time() - t)))
            time.sleep(0.002)
        os.close(log)
        while len(report) < 2:
            time.sleep(0.1)
    print("| while the log is fsynced            | fsyncs | median ms | p99 ms | max ms | over 50 ms |")
    print("|-------------------------------------|--------|-----------|--------|--------|------------|")
    for name, lo, hi in windows:
        xs = sorted(ms for at, ms in samples if lo <= at < hi)
        print(f"| {name:<35} | {len(xs):>6} | {xs[len(xs) // 2]:>9.1f} | {xs[int(len(xs) * 0.99)]:>6.1f} "
              f"| {xs[-1]:>6.1f} | {sum(x > 50 for x in xs):>10} |")
    for path, size, step, ms in sorted(report):
        how = f"synced every {step} MB" if step else "one fsync at the end"
        print(f"{os.path.basename(path)}: {size} MB written, {how}, in {ms:.0f} ms")


if __name__ == "__main__":
    main()
