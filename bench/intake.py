"""Intake benchmark: the police batch endpoint and the report form under load, and `trygg import` of 1M events.

    .venv/bin/python -m bench.intake [--batches 30] [--import-events 1000000] [--form-seconds 30]

Starts its own Tansu broker and PostgreSQL on 127.0.0.1, the services as `trygg` subprocesses (uvicorn, one
process each) and a bare do-nothing FastAPI app under the same uvicorn settings as the baseline. The load
comes from a second process (this module's `load` mode: httpx, threads for batches, an open-loop asyncio
schedule for the form). Prints a table and writes it to bench/results/intake-<timestamp>.md.

1. Police batches: B bodies of 10,000 unique, valid NDJSON events, 2 per server process in flight; events
   accepted per second (each answered after its outbox commit) and request latency; the same bodies posted to
   the bare app.
2. Form: GET the form, then POST it at 100 requests/s (open loop; latency of the POST, which commits the
   report to the outbox before its 303); the bare app gets the same POSTs at the same rate.
3. `trygg import` of N NDJSON lines with `trygg worker` running: time until the import has published and
   committed every line, and until all N are counted (event_ledger).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse

from bench.pipeline import RESULTS, EventSource, percentile, say
from tests.conftest import fresh_database, settings_for
from tests.support import AGREEMENT_A, SITE, WorkerProcess, world_agreements
from trygg.adapters.agencies import add_agency
from trygg.adapters.database import connect, upsert_agreements
from trygg.adapters.kafka import create_topics
from trygg.localstack.processes import Broker, Postgres, free_port, stop_process, wait_for_port
from trygg.localstack.processes import settings_env
from trygg.settings import Settings

BATCH = 10_000
FORM_RATE = 100.0

# --- The baseline: a bare app that reads the body and answers, nothing else ----------------------------

bare_app = FastAPI()


@bare_app.post("/bare")
async def bare(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse({"accepted": body.count(b"\n")})


@bare_app.post("/bare-form")
async def bare_form(request: Request) -> RedirectResponse:
    await request.body()
    return RedirectResponse("/done", status_code=303)


# --- Load generator (runs in its own process) ----------------------------------------------------------

def load_batches(url: str, token: str, files: list[str], concurrency: int) -> dict:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
    bodies = [Path(f).read_bytes() for f in files]
    latencies: list[float] = []
    accepted = 0
    lock = threading.Lock()

    def post(body: bytes) -> None:
        nonlocal accepted
        with httpx.Client(timeout=120) as client:
            t = time.perf_counter()
            answer = client.post(url, content=body, headers=headers)
            elapsed = time.perf_counter() - t
        answer.raise_for_status()
        with lock:
            latencies.append(elapsed)
            accepted += answer.json()["accepted"]

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(post, bodies))
    wall = time.perf_counter() - started
    return {"accepted": accepted, "wall": wall, "latencies": latencies}


async def _form_load(base: str, token: str, post_url: str, seconds: float, rate: float) -> dict:
    n = int(seconds * rate)
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=200)) as client:
        forms = []
        for _ in range(n):  # rendered before the timed phase: the POST is what is measured
            page = (await client.get(f"{base}/r/{token}")).text
            forms.append({k: re.search(rf'name="{k}" value="([^"]*)"', page)[1] for k in ("nonce", "csrf")})
        when = datetime.now(UTC).astimezone() - timedelta(hours=1)
        fields = {"lang": "sv", "category": "shoplifting", "date": when.date().isoformat(),
                  "time": when.strftime("%H:%M"), "where": SITE[0], "count": "1", "police": "unknown"}
        latencies: list[float] = []
        statuses: dict[int, int] = {}

        async def submit(i: int, form: dict) -> None:
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            t = time.perf_counter()
            answer = await client.post(post_url, data={**fields, **form}, follow_redirects=False)
            latencies.append(time.perf_counter() - t)
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

        start = time.perf_counter()
        await asyncio.gather(*(submit(i, form) for i, form in enumerate(forms)))
        return {"latencies": latencies, "statuses": statuses, "wall": time.perf_counter() - start}


def load_main(argv: list[str]) -> None:
    spec = json.loads(argv[0])
    if spec["kind"] == "batches":
        result = load_batches(spec["url"], spec["token"], spec["files"], spec["concurrency"])
    else:
        result = asyncio.run(_form_load(spec["base"], spec["token"], spec["post_url"], spec["seconds"], FORM_RATE))
    print(json.dumps(result))


def run_load(spec: dict) -> dict:
    """Run the load generator as a second process and return what it measured."""
    done = subprocess.run([sys.executable, "-m", "bench.intake", "load", json.dumps(spec)],
                          capture_output=True, text=True, check=True, timeout=900)
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- Services --------------------------------------------------------------------------------------------

def serve(args: list[str], settings: Settings, port: int, log: Path, **env: str) -> subprocess.Popen:
    with open(log, "ab") as out:
        process = subprocess.Popen([sys.executable, "-m", *args], env={**settings_env(settings), **env},
                                   stdout=out, stderr=subprocess.STDOUT)
    wait_for_port(port, 30, process)
    return process


def police_source(seed: int) -> EventSource:
    """Valid events as the Umeå police would send them (source police, in Umeå)."""
    source = EventSource(seed, pool_size=5000)
    tails = []
    for tail in source.tails:
        doc = json.loads(b"{" + tail)
        doc.pop("note", None)
        doc["location"].pop("site_id", None)
        doc["location"].setdefault("lat", 63.8258)
        doc["location"].setdefault("lon", 20.2630)
        doc |= {"source": "police", "reporter": "polisen-umea"}
        doc["location"]["municipality"] = "Umeå"
        tails.append(json.dumps(doc)[1:].encode())
    source.tails = tails
    return source


def stats(latencies: list[float]) -> str:
    ms = [x * 1000 for x in latencies]
    return f"p50 {percentile(ms, 50):.1f} ms, p99 {percentile(ms, 99):.1f} ms"


def bench_http(settings: Settings, run_dir: Path, batches: int, workers: int, form_seconds: float, rows: list) -> None:
    with connect(settings.database_url) as conn:
        upsert_agreements(conn, world_agreements())
        token = add_agency(conn, "polisen-umea", "police", ["Umeå"], [])
    files = []
    source = police_source(11)
    for i in range(batches):
        path = run_dir / f"batch-{i:03}.ndjson"
        path.write_bytes(b"\n".join(value for _, value in source.take(BATCH)) + b"\n")
        files.append(str(path))
    feed_port, bare_port = free_port(), free_port()
    feed = serve(["trygg.cli", "police-feed"], settings, feed_port, run_dir / "feed.log",
                 POLICE_FEED_PORT=str(feed_port), POLICE_FEED_WORKERS=str(workers), LOG_LEVEL="WARNING")
    bare_server = serve(["uvicorn", "bench.intake:bare_app", "--port", str(bare_port), "--log-level", "warning",
                         "--no-access-log", "--workers", str(workers)], settings, bare_port, run_dir / "bare.log")
    try:
        say(f"police batches: {batches} x {BATCH} events, {2 * workers} in flight, {workers} server processes")
        real = run_load({"kind": "batches", "url": f"http://127.0.0.1:{feed_port}/v1/incidents", "token": token,
                         "files": files, "concurrency": 2 * workers})
        base = run_load({"kind": "batches", "url": f"http://127.0.0.1:{bare_port}/bare", "token": token,
                         "files": files, "concurrency": 2 * workers})
        rate, bare_rate = real["accepted"] / real["wall"], base["accepted"] / base["wall"]
        rows.append(("1", f"Police batch endpoint, {batches} x {BATCH:,} events (NDJSON), {workers} processes",
                     f"**{rate:,.0f} events/s** accepted; {stats(real['latencies'])} per batch",
                     ">= 20,000 events/s " + ("(met)" if rate >= 20000 else "(NOT met)"),
                     f"{real['accepted']:,} accepted in {real['wall']:.1f} s, each batch committed to the outbox "
                     "before its answer"))
        rows.append(("1b", "Bare endpoint (reads the body, answers), same bodies",
                     f"**{bare_rate:,.0f} events/s**; {stats(base['latencies'])} per batch", "",
                     f"police endpoint = {100 * rate / bare_rate:.0f} % of bare"))
    finally:
        stop_process(feed, timeout_s=30)
    bench_form(settings, run_dir, form_seconds, bare_port, rows)
    stop_process(bare_server, timeout_s=30)


def bench_form(settings: Settings, run_dir: Path, seconds: float, bare_port: int, rows: list) -> None:
    try:
        from trygg.adapters.intake import issue_link
    except ImportError:
        rows.append(("2", "Form", "not measured: the report form is not in this tree", "", ""))
        return
    with connect(settings.database_url) as conn:
        link = issue_link(conn, AGREEMENT_A.area_id, "ica-test", [])
    port = free_port()
    form = serve(["trygg.cli", "form"], settings, port, run_dir / "form.log", FORM_PORT=str(port),
                 FORM_RATE_PER_TOKEN="1000000", FORM_RATE_PER_ADDRESS="1000000", FORM_SECRET="bench-secret",
                 LOG_LEVEL="WARNING")
    try:
        say(f"form: {FORM_RATE:.0f} POSTs/s for {seconds:.0f} s")
        base_url = f"http://127.0.0.1:{port}"
        real = run_load({"kind": "form", "base": base_url, "token": link, "post_url": f"{base_url}/r/{link}",
                         "seconds": seconds})
        bare = run_load({"kind": "form", "base": base_url, "token": link,
                         "post_url": f"http://127.0.0.1:{bare_port}/bare-form", "seconds": seconds})
    finally:
        stop_process(form, timeout_s=30)
    p99 = percentile([x * 1000 for x in real["latencies"]], 99)
    rows.append(("2", f"Form POST at {FORM_RATE:.0f}/s for {seconds:.0f} s (open loop)",
                 f"**{stats(real['latencies'])}**", "p99 < 100 ms " + ("(met)" if p99 < 100 else "(NOT met)"),
                 f"answers {real['statuses']} (303 = receipt), sent over {real['wall']:.1f} s; rate limits raised "
                 "for the run"))
    rows.append(("2b", "Bare POST, same bodies and rate", f"**{stats(bare['latencies'])}**", "", ""))


def bench_import(settings: Settings, run_dir: Path, n: int, rows: list) -> None:
    with connect(settings.database_url) as conn:
        upsert_agreements(conn, world_agreements())
    worker = WorkerProcess(settings, run_dir / "worker.log").start()
    try:
        path = run_dir / "history.ndjson"
        source = EventSource(23)
        with path.open("wb") as f:
            for _ in range(n // 10_000):
                f.write(b"\n".join(value for _, value in source.take(10_000)) + b"\n")
        say(f"import: {n:,} lines ({path.stat().st_size / 1e6:.0f} MB) with the worker running")
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "trygg.cli", "import", str(path)], env=settings_env(settings),
                              capture_output=True, text=True, timeout=900)
        imported = time.perf_counter() - started
        assert done.returncode == 0, done.stderr[-2000:]
        with connect(settings.database_url) as conn:
            counted = 0
            while counted < n and time.perf_counter() - started < 900:
                counted = conn.execute("SELECT count(*) FROM event_ledger").fetchone()[0]
                time.sleep(0.5)
        total = time.perf_counter() - started
    finally:
        worker.stop()
    rows.append(("3", f"`trygg import` of {n:,} NDJSON events, to counted",
                 f"**{total:.0f} s** ({n / total:,.0f} events/s)",
                 "< 180 s " + ("(met)" if total < 180 and counted >= n else "(NOT met)"),
                 f"the import had published and committed every line after {imported:.0f} s "
                 f"({n / imported:,.0f} lines/s); {counted:,} in event_ledger at the end; the processor runs alongside"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2, help="police feed (and bare app) server processes")
    parser.add_argument("--form-seconds", type=float, default=30)
    parser.add_argument("--import-events", type=int, default=1_000_000)
    args = parser.parse_args()
    rows: list[tuple[str, ...]] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="trygg-bench-intake-") as tmp:
        run_dir = Path(tmp)
        broker = Broker(run_dir / "broker.log").start()
        postgres = Postgres(run_dir / "pgdata").start()
        try:
            http_settings = settings_for(broker.bootstrap, fresh_database(postgres), relay_batch_size=2000)
            create_topics(http_settings)
            if args.batches:
                bench_http(http_settings, run_dir, args.batches, args.workers, args.form_seconds, rows)
            if args.import_events:
                import_settings = settings_for(broker.bootstrap, fresh_database(postgres), relay_batch_size=2000)
                create_topics(import_settings)
                bench_import(import_settings, run_dir, args.import_events, rows)
        finally:
            postgres.stop()
            broker.stop()
    report = "\n".join([
        f"# Intake benchmark, {datetime.now().strftime('%Y-%m-%d %H:%M:%S')}", "",
        f"Command: `.venv/bin/python -m bench.intake {' '.join(sys.argv[1:])}`".rstrip() + "  ",
        f"Machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}  ",
        "Services: Tansu broker, PostgreSQL 18 (fsync on), uvicorn, all on 127.0.0.1; "
        "load from a second process (httpx); RELAY_BATCH_SIZE=2000  ",
        f"Run time: {time.perf_counter() - started:.0f} s; load average at the end (other work on the machine): "
        f"{' / '.join(f'{x:.1f}' for x in os.getloadavg())}", "",
        "| # | Measurement | Result | Target | Notes |", "|---|---|---|---|---|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ])
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"intake-{datetime.now().strftime('%Y%m%d-%H%M%S')}.md").write_text(report + "\n", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:2] == ["load"]:
        load_main(sys.argv[2:])
    else:
        main()
