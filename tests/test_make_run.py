"""The README's first command: `make run` serves Innbox on SQLite, and Ctrl-C stops it all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_make_run_serves_the_login_page_with_a_worker_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"INNBOX_TEST_DB", "RUN_MAIN", "DJANGO_SETTINGS_MODULE", "APP_URL"}
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'innbox.sqlite3'}"
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"VENV={sys.prefix}", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    try:
        deadline = time.monotonic() + 60
        response = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/login/", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        assert response is not None, "nothing answered on the port within a minute"
        assert response.status_code == 200
        assert "Log in" in response.text
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        output, _ = process.communicate(timeout=30)

    assert "Owner login: owner@demo.innbox.test" in output
    assert "worker_started" in output, output[-2000:]
    assert "worker_stopped" in output, "the worker did not stop cleanly"
    assert not port_open(port), "the web server outlived Ctrl-C"
