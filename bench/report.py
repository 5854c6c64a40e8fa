"""`make bench`: run each benchmark as production runs it and write docs/performance.md.

    .venv/bin/python bench/report.py            # what `make bench` runs (sizes from the env knobs)

Each benchmark runs in its own process with the environment it is given (the Makefile sets
production settings, the PostgreSQL databases and the sizes); its printed lines are copied to the
terminal as they come and into docs/performance.md beside the machine, the date and what bounds
each figure. Nothing here measures: the figures are the scripts' own lines, each with the baseline
its script measured in the same run.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "performance.md"
PREFIX = os.environ.get("BENCH_DB_PREFIX", "innbox_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


@dataclass
class Benchmark:
    title: str
    script: str
    database: str
    args: list[str]
    measures: str
    bounds: str


BENCHMARKS = [
    Benchmark(
        "Pages: dashboard, guests, reservations",
        "bench/dashboard.py",
        f"{PREFIX}_dashboard",
        [],
        "server time of each page through Django's test Client (no HTTP server), as `innbox_app`"
        " under RLS, p50/p95 over BENCH_REPEAT requests; baseline /healthz (one `SELECT 1`),"
        " requested in turns with each page, and the ratio to the baseline's p95 of those turns.",
        "the SQL column is the median time the page waited for its statements; the rest of the"
        " page's time is Python (the view, its templates, the middleware). Searches read ids from"
        " the SECURITY DEFINER search functions and their indexes (docs/dashboard.md). Of the"
        " reservations lists' SQL most is the tab counts, a COUNT over all the hotel's"
        " reservations on each view (30-60 ms at 100,000 in a one-hotel database, where"
        " PostgreSQL scans the table); the rest of a list page is rendering its 50 rows.",
    ),
    Benchmark(
        "Inbox: list, search, thread",
        "bench/inbox.py",
        f"{PREFIX}_inbox",
        [],
        "server time of the inbox pages through the test Client as `innbox_app` under RLS;"
        " baseline the reservations page of the same hotel in the same run.",
        "not profiled. The statements per page are printed; nothing splits SQL from rendering.",
    ),
    Benchmark(
        "Automation: webhook ingest and dispatch",
        "bench/automation.py",
        f"{PREFIX}_automation",
        [],
        "ingest: signed PMS webhooks posted one after another through the test Client as"
        " `innbox_app` (no HTTP server, one sender), baseline the same number of raw"
        " `inbound_events` INSERTs as `innbox_app`. Dispatch: N threads, then `run_worker"
        " --concurrency N` processes as `innbox_worker` against the fake WAHA answering every"
        " call after BENCH_WAHA_LATENCY; baselines the ideal N / (2 calls x latency) and the"
        " minimal loop (the same SKIP LOCKED claim, one or two WAHA calls, mark done; nothing"
        " else) with N threads and with N processes, measured first in the same run; the real"
        " figures are compared with the 2-call loop of the same shape. Pacing, quiet hours and"
        " the send rate limit are off (bench/worker_settings.py).",
        "the dispatch profile line: cProfile of one worker sending in this process (wall"
        " clock, so waiting on PostgreSQL and on the fake WAHA counts), grouped by who spends"
        " it. Ingest here is one sender, bound by its per-event latency; its profile is in"
        " the HTTP section. Dispatch processes include each process's start-up (about a"
        " second), in the minimal loop's processes too.",
    ),
    Benchmark(
        "Ingest over HTTP: PMS pushes through gunicorn",
        "bench/ingest_http.py",
        f"{PREFIX}_http",
        [],
        "signed PMS pushes (each a new reservation) posted by BENCH_SENDERS threads over"
        " keep-alive loopback connections to gunicorn started as deploy/innbox starts it (2 sync"
        " processes, production settings, `innbox_app`); baseline a view in the same server"
        " doing one INSERT of an inbound event in the hotel's context (bench/http_urls.py), the"
        " framework ceiling. The senders run on the same 2 cores as the server.",
        "the profile line: cProfile of the same pushes in-process, each function's own time"
        " (wall clock, so waiting on PostgreSQL counts) grouped by who spends it.",
    ),
    Benchmark(
        "PMS sync: 10,000 reservations",
        "bench/sync_demo.py",
        f"{PREFIX}_sync",
        [],
        "a first sync of 10,000 reservations in 20 pages, then the same data again, as"
        " `innbox_worker`; time and statements per page.",
        "not profiled; the script has no same-run baseline, so no ratio is given. The"
        " statements per page are printed.",
    ),
]


def machine() -> list[str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    pg = subprocess.run(  # noqa: S603 - our own command
        ["psql", f"{PG}/postgres", "-Atc", "SHOW server_version"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return [
        f"- CPU: {model}, {os.cpu_count()} cores (nproc) — shared with other work while measured",
        f"- RAM: {ram}",
        f"- Python {platform.python_version()}, PostgreSQL {pg or 'unknown'} at 127.0.0.1",
    ]


def run(bench: Benchmark) -> tuple[list[str], float, int]:
    env = {**os.environ, "DATABASE_URL": f"{PG}/{bench.database}"}
    print(f"\n== {bench.title} ({bench.script}, database {bench.database})", flush=True)
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 - our own script
        [sys.executable, bench.script, *bench.args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        print(line, end="", flush=True)
        lines.append(line.rstrip("\n"))
    code = process.wait()
    return lines, time.perf_counter() - started, code


def knobs() -> str:
    names = [
        "BENCH_RESERVATIONS",
        "BENCH_CONVERSATIONS",
        "BENCH_REPEAT",
        "BENCH_WEBHOOKS",
        "BENCH_JOBS",
        "BENCH_WORKERS",
        "BENCH_WAHA_LATENCY",
        "BENCH_SENDERS",
    ]
    return ", ".join(f"{name}={os.environ[name]}" for name in names if name in os.environ)


STATEMENTS = """\
## Statements per event and per message (asserted in tests)

Not measured by `make bench`: these are budgets the PostgreSQL suite asserts
(tests/test_statement_budget_postgres.py), counting every statement Django sends including
BEGIN/COMMIT, SAVEPOINTs and the RLS `set_config`, as `innbox_app` for the webhook and
`innbox_worker` for the worker with the real settings.

- **Ingest: at most 8 statements per event on every path** — new reservation, update that queues
  a message, duplicate redelivery, stale event, bad signature, malformed body, unknown hotel; the
  RLS context set once per event (one `set_config`, no `current_setting`, no SAVEPOINT); a
  refusal leaves nothing; the same count with 10 and with 10,000 earlier jobs.
- **Dispatch: at most 20 statements per message in three short transactions** — the one before
  the send (its log row committed before WAHA is called), the lease fence (one UPDATE of
  `locked_until` on its own) and the one after the send.

Run them: `INNBOX_TEST_DB=postgres .venv/bin/python -m pytest -m postgres
tests/test_statement_budget_postgres.py`.
"""


def main() -> int:
    started = dt.datetime.now(dt.UTC)
    results = [(bench, *run(bench)) for bench in BENCHMARKS]
    out = [
        "# Performance",
        "",
        "Written by `make bench` (bench/report.py) from its last run; each figure is the"
        " benchmark's own printed line, beside the baseline it measured in the same run.",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC",
        *machine(),
        f"- Settings: INNBOX_ENV={os.environ.get('INNBOX_ENV', 'development')}"
        f" (DEBUG {'off' if os.environ.get('INNBOX_ENV') == 'production' else 'on'});"
        " pages as `innbox_app`, the worker and sync as `innbox_worker`, set-up as the owner",
        f"- Sizes: {knobs() or 'the defaults in each script'}",
        "",
        "Full size (issue 19's: 100,000 reservations, 10,000 conversations / 200,000 messages;"
        " not timed here, expect several times longer than the run above):",
        "",
        "    make bench BENCH_RESERVATIONS=100000 BENCH_CONVERSATIONS=10000 BENCH_REPEAT=20 \\",
        "        BENCH_WEBHOOKS=2000 BENCH_JOBS=400",
        "",
        "Not measured here: pages through gunicorn (the page figures are the Django test"
        " Client in-process, so no server and no network; ingest is measured both ways); the"
        " concierge's accuracy (bench/agent_eval.py, docs/agent.md).",
        "",
    ]
    failed = 0
    for bench, lines, seconds, code in results:
        out += [f"## {bench.title}", "", f"`{bench.script}`, {seconds:.0f} s.", ""]
        out += [f"- Measures: {bench.measures}", f"- What bounds it: {bench.bounds}", ""]
        if code != 0:
            failed += 1
            out += [f"**Failed (exit {code}); the lines it printed before:**", ""]
        out += ["```", *lines, "```", ""]
    out.append(STATEMENTS)
    OUTPUT.write_text("\n".join(out))
    print(f"\nwrote {OUTPUT.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
