"""Fixtures that run the real `privet` binary on 127.0.0.1 with a fresh data directory."""

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

TEST_PRIVET_BIN = os.environ.get("TEST_PRIVET_BIN", "privet")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Privet:
    """A `privet serve` process and helpers to talk to it."""

    def __init__(self, data_dir: Path, env: dict | None = None, args: list[str] | None = None):
        self.data_dir = data_dir
        self.args = args or []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.token: str | None = None
        self.admin_key: str | None = None
        self.log = data_dir.parent / f"privet-{self.port}.log"

    def start(self):
        out = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [TEST_PRIVET_BIN, "serve", "--data-dir", str(self.data_dir), "--listen", f"127.0.0.1:{self.port}", *self.args],
            stdout=subprocess.PIPE,
            stderr=out,
            env=self.env,
        )
        deadline = time.time() + 60
        lines = []
        while time.time() < deadline:
            line = self.proc.stdout.readline().decode()
            if not line:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"privet exited: {''.join(lines)}\n{self.log.read_text()}")
                continue
            lines.append(line)
            if m := re.search(r"project token .*:\s+(\S+)", line):
                self.token = m.group(1)
            if m := re.search(r"admin API key .*:\s+(\S+)", line):
                self.admin_key = m.group(1)
            if "listening on" in line:
                break
        else:
            raise RuntimeError("privet did not start in time")
        self.wait_ready()
        return self

    def wait_ready(self):
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if requests.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        raise RuntimeError("privet is not ready")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill9()

    def sql(self, query: str, key: str | None = None, project: str | None = "default"):
        response = requests.post(
            f"{self.url}/api/sql",
            json={"sql": query, "project": project},
            headers={"Authorization": f"Bearer {key or self.admin_key}"},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert not body.get("truncated"), "the result was truncated; raise PRIVET_QUERY__MAX_RESULT_ROWS"
        return body["rows"]

    def scalar(self, query: str):
        return self.sql(query)[0][0]

    def cli(self, *args: str) -> str:
        return subprocess.run(
            [TEST_PRIVET_BIN, *args, "--data-dir", str(self.data_dir)],
            check=True,
            capture_output=True,
            text=True,
            env=self.env,
        ).stdout


# Functional tests send a handful of people; k = 1 lets their cities and browsers through. The breach drill
# (test_breach_drill.py) runs with the default k.
FEW_PEOPLE = {"PRIVET_PRIVACY__POLICY__K": "1"}


@pytest.fixture
def privet(tmp_path):
    server = Privet(tmp_path / "data", FEW_PEOPLE).start()
    yield server
    server.stop()


@pytest.fixture
def make_privet(tmp_path):
    """Builds servers with extra environment (PRIVET_* configuration)."""
    servers = []

    def make(env=None, data_dir=None, args=None):
        server = Privet(data_dir or tmp_path / f"data{len(servers)}", env, args)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
