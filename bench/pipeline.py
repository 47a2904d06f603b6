"""Pipeline benchmark: throughput against two baselines, latency at a steady rate, worker memory over time.

    .venv/bin/python -m bench.pipeline [--events N] [--quick] [--profile] [--keep]

Starts its own Tansu broker and PostgreSQL (127.0.0.1, state in a temporary directory), measures, prints a
table and writes it to bench/results/pipeline-<timestamp>.md. Every wait is bounded by a global deadline.

1. Throughput (end to end): N events are pre-loaded onto one fresh 6-partition topic, then three consumers
   read that same topic, one after the other, each in its own consumer group and database:
     a. the real pipeline (`trygg worker`), until event_ledger holds N rows;
     b. bare Faust (bench/bare_faust.py): json.loads and count, until N decoded;
     c. aiokafka + COPY: batches COPYed into a scratch table, until N rows are committed.
   The consumer-group join wait is excluded from all three: each is timed from its first record.
   `--workers 1,2` runs a and b once per worker count (that many processes in one consumer group).
2. Latency: a steady rate into the running pipeline; per event, send time -> first seen in event_ledger.
3. Memory: a fresh worker over a larger pre-loaded topic; RSS sampled every second against progress.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil
import psycopg

from tests.conftest import fresh_database, settings_for
from tests.support import WorkerProcess, publish_raw, valid_event, world_agreements
from trygg.adapters.database import connect, upsert_agreements
from trygg.adapters.kafka import create_topics, producer
from trygg.localstack.processes import Broker, Postgres
from trygg.settings import Settings

RESULTS = Path(__file__).resolve().parent / "results"
MB = 1024 * 1024


class BudgetExceeded(Exception):
    """The run's global time budget ran out."""


class Clock:
    """The run's global deadline: every wait asks how long it may still take."""

    def __init__(self, budget_s: float) -> None:
        self.started = time.monotonic()
        self.deadline = self.started + budget_s

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def check(self, what: str) -> None:
        if self.remaining() <= 0:
            raise BudgetExceeded(f"time budget exhausted while {what}")

    def elapsed(self) -> float:
        return time.monotonic() - self.started


def say(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


# --- Events ----------------------------------------------------------------------------------------------

class EventSource:
    """Valid events (tests.support.valid_event) with a fresh event_id each: all unique, all accepted.

    A pool of distinct events is generated once; every message takes the next one with a new id, so
    generating a million messages costs seconds, not minutes.
    """

    def __init__(self, seed: int, pool_size: int = 20_000) -> None:
        self.rng = random.Random(seed)
        now = datetime.now(UTC)
        self.tails: list[bytes] = []
        for _ in range(pool_size):
            doc = valid_event(self.rng, now)
            doc.pop("event_id")
            self.tails.append(json.dumps(doc)[1:].encode())  # '"schema_version": 1, ...}'
        self.i = 0

    def next(self) -> tuple[str, bytes]:
        event_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        tail = self.tails[self.i % len(self.tails)]
        self.i += 1
        return event_id, b'{"event_id": "' + event_id.encode() + b'", ' + tail

    def take(self, n: int) -> list[tuple[str, bytes]]:
        return [self.next() for _ in range(n)]


def rss_of(pid: int | None) -> int:
    """RSS of a process and all its descendants, in bytes (0 when it is gone)."""
    if pid is None:
        return 0
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def cpu_of(pid: int | None, descendants: bool = True) -> float:
    """CPU seconds (user + system) of a process and (unless told not to) its live and reaped descendants."""
    if pid is None:
        return 0.0
    try:
        proc = psutil.Process(pid)
        t = proc.cpu_times()
        if not descendants:
            return t.user + t.system
        total = t.user + t.system + t.children_user + t.children_system
        children = proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0.0
    for child in children:
        try:
            c = child.cpu_times()
            total += c.user + c.system
        except psutil.NoSuchProcess:
            pass
    return total


def preload(settings: Settings, n: int, source: EventSource, broker: Broker, clock: Clock,
            chunk: int = 100_000) -> dict:
    """Produce n events in chunks (tests.support.publish_raw: kafka-python, acks=all), watching the broker."""
    produced = 0
    started = time.monotonic()
    broker_before = rss_of(broker.process.pid)
    while produced < n:
        clock.check("pre-loading events")
        size = min(chunk, n - produced)
        publish_raw(settings, source.take(size))
        produced += size
        if broker.process.poll() is not None:
            raise RuntimeError(f"the broker exited with {broker.process.returncode} while pre-loading")
        if n > chunk:
            say(f"  pre-loaded {produced:,}/{n:,}; broker RSS {rss_of(broker.process.pid) / MB:,.0f} MB")
    seconds = time.monotonic() - started
    return {"events": n, "seconds": seconds, "rate": n / seconds, "broker_rss_before": broker_before,
            "broker_rss_after": rss_of(broker.process.pid)}


def load_world(settings: Settings) -> None:
    create_topics(settings)
    with connect(settings.database_url) as conn:
        upsert_agreements(conn, world_agreements())


# --- Throughput ------------------------------------------------------------------------------------------

@dataclass
class Throughput:
    name: str
    events: int
    seconds: float  # first record -> all N in the sink
    join_s: float  # consumer start -> first record
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds in the timed window, per process group
    note: str = ""
    workers: int = 1  # consumer processes in the group

    @property
    def rate(self) -> float:
        return self.events / self.seconds


class CpuSampler:
    """CPU seconds of the consumer, PostgreSQL and the broker, sampled in a thread; read back for any window."""

    def __init__(self, consumer_pids: list[int], postgres: Postgres, broker: Broker, interval: float = 0.25) -> None:
        self.consumer_pids = consumer_pids
        self.pids = {"postgres": postgres.process.pid, "broker": broker.process.pid}
        # The worker hands batches to a writer process: its main process alone shows how busy Faust's core is.
        self.interval = interval
        self.samples: list[tuple[float, dict[str, float]]] = []
        self._stop = threading.Event()
        self._sample()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        sample = {"consumer": sum(cpu_of(p) for p in self.consumer_pids)}
        sample |= {k: cpu_of(p) for k, p in self.pids.items()}
        sample["consumer main process"] = sum(cpu_of(p, descendants=False) for p in self.consumer_pids)
        self.samples.append((time.time(), sample))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sample()

    def _at(self, t: float) -> dict[str, float]:
        before = max((s for s in self.samples if s[0] <= t), key=lambda s: s[0], default=self.samples[0])
        after = min((s for s in self.samples if s[0] >= t), key=lambda s: s[0], default=self.samples[-1])
        if after[0] == before[0]:
            return dict(before[1])
        w = (t - before[0]) / (after[0] - before[0])
        return {k: before[1][k] + w * (after[1][k] - before[1][k]) for k in before[1]}

    def window(self, t0: float, t1: float) -> dict[str, float]:
        """CPU seconds used by each process group between wall times t0 and t1 (interpolated)."""
        a, b = self._at(t0), self._at(t1)
        return {k: b[k] - a[k] for k in a}


def run_bare_faust(bootstrap: str, topic: str, n: int, run_dir: Path, postgres: Postgres, broker: Broker,
                   clock: Clock, workers: int = 1) -> Throughput:
    app_id = f"bench-bare-{uuid.uuid4().hex[:8]}"
    progress = [run_dir / f"{app_id}-{i}.json" for i in range(workers)]
    log = open(run_dir / "bare-faust.log", "ab")  # noqa: SIM115
    started = time.time()
    procs = [subprocess.Popen(
        [sys.executable, "-m", "bench.bare_faust", "--bootstrap", bootstrap, "--topic", topic, "--app-id", app_id,
         "--progress", str(path), "--datadir", str(run_dir / f"{app_id}-{i}-data")],
        stdout=log, stderr=subprocess.STDOUT, cwd=str(run_dir),
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    ) for i, path in enumerate(progress)]
    meter = CpuSampler([p.pid for p in procs], postgres, broker)
    try:
        while True:
            clock.check("waiting for bare Faust")
            for proc in procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"bare Faust exited with {proc.returncode}; see {run_dir / 'bare-faust.log'}")
            done = [json.loads(path.read_text()) for path in progress if path.exists()]
            if sum(d["count"] for d in done) >= n:
                break
            time.sleep(0.1)
        meter.stop()
        first, last = min(d["first_record"] for d in done), max(d["last_record"] for d in done)
        cpu = meter.window(first, last)
    finally:
        for proc in procs:
            stop_process(proc)
        log.close()
    return Throughput("b. bare Faust (json.loads + count)", n, last - first, first - started, cpu,
                      "first record -> N-th record decoded (in-process clocks)", workers)


def run_copy_baseline(bootstrap: str, topic: str, n: int, database_url: str, batch_max: int, postgres: Postgres,
                      broker: Broker, clock: Clock) -> Throughput:
    with connect(database_url) as conn:
        conn.execute("CREATE TABLE bench_copy (event_id uuid PRIMARY KEY, payload jsonb NOT NULL)")
    meter = CpuSampler([os.getpid()], postgres, broker)
    try:
        started, first, done = asyncio.run(
            _copy_consume(bootstrap, topic, f"bench-copy-{uuid.uuid4().hex[:8]}", n, database_url, batch_max, clock)
        )
    finally:
        meter.stop()
    cpu = meter.window(first, done)
    with connect(database_url) as conn:
        stored = conn.execute("SELECT count(*) FROM bench_copy").fetchone()[0]
    if stored != n:
        raise RuntimeError(f"aiokafka + COPY stored {stored} rows, expected {n}")
    return Throughput("c. aiokafka + COPY (scratch table)", n, done - first, first - started, cpu,
                      f"first record -> N rows committed; batches of <= {batch_max}, one COPY + commit each")


async def _copy_consume(bootstrap: str, topic: str, group: str, n: int, database_url: str, batch_max: int,
                        clock: Clock) -> tuple[float, float, float]:
    from aiokafka import AIOKafkaConsumer

    conn = connect(database_url)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-copy")

    def write(rows: list[tuple[str, str]]) -> None:
        with conn.transaction(), conn.cursor() as cur, cur.copy(
            "COPY bench_copy (event_id, payload) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
        enable_auto_commit=False, rebalance_timeout_ms=3000, session_timeout_ms=6000, heartbeat_interval_ms=1000,
    )
    started = time.time()
    await consumer.start()
    first = None
    total = 0
    loop = asyncio.get_running_loop()
    try:
        while total < n:
            clock.check("waiting for aiokafka + COPY")
            batches = await consumer.getmany(timeout_ms=500, max_records=batch_max)
            records = [r for rs in batches.values() for r in rs]
            if not records:
                continue
            if first is None:
                first = time.time()
            rows = [(json.loads(r.value)["event_id"], r.value.decode()) for r in records]
            await loop.run_in_executor(pool, write, rows)
            await consumer.commit()
            total += len(rows)
        done = time.time()
    finally:
        await consumer.stop()
        pool.shutdown()
        conn.close()
    return started, first, done


def ledger_count(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT count(*) FROM event_ledger").fetchone()[0]


def wait_for_ledger(conn: psycopg.Connection, n: int, workers: list[WorkerProcess], clock: Clock,
                    what: str) -> float:
    """Poll event_ledger until it holds n rows; returns the wall time it was first seen complete.

    Polls once a second, and every 0.1 s once the current rate says the end is less than 3 s away.
    """
    last: tuple[float, int] | None = None
    while True:
        clock.check(what)
        for worker in workers:
            worker.assert_alive()
        count = ledger_count(conn)
        now = time.time()
        if count >= n:
            return now
        interval = 1.0
        if last is not None and count > last[1]:
            rate = (count - last[1]) / (now - last[0])
            if (n - count) / rate < 3.0:
                interval = 0.1
        if last is None or count != last[1] or interval == 1.0:
            last = (now, count)
        time.sleep(interval)


def run_pipeline(settings: Settings, n: int, run_dir: Path, postgres: Postgres, broker: Broker,
                 clock: Clock, workers: int = 1) -> tuple[Throughput, list[WorkerProcess]]:
    started = time.time()
    procs = [WorkerProcess(settings, run_dir / f"worker-throughput-{workers}-{i}.log").start() for i in range(workers)]
    meter = CpuSampler([w.process.pid for w in procs], postgres, broker)
    try:
        with connect(settings.database_url) as conn:
            done = wait_for_ledger(conn, n, procs, clock, "waiting for the pipeline")
            first = float(conn.execute("SELECT extract(epoch FROM min(stored_at)) FROM event_ledger").fetchone()[0])
    finally:
        meter.stop()
    cpu = meter.window(first, done)
    return Throughput("a. pipeline (`trygg worker`)", n, done - first, first - started, cpu,
                      "first batch transaction (min event_ledger.stored_at) -> ledger count == N (polled)",
                      workers), procs


# --- Latency ---------------------------------------------------------------------------------------------

@dataclass
class Latency:
    rate: float
    seconds: float
    sent: int
    seen: int
    queryable: list[float]  # send -> first seen by the poller
    stored: list[float]  # send -> event_ledger.stored_at (start of the batch transaction)
    poll_interval: float
    floors: dict[int, list[float]]  # fetch_max_wait_ms -> send -> received by a plain aiokafka consumer


class FloorConsumer(threading.Thread):
    """A plain aiokafka consumer (no group, assigned all partitions at their end) noting when each key arrives.

    Run beside the pipeline during the latency phase, it shows what the broker alone adds.
    """

    def __init__(self, bootstrap: str, topic: str, partitions: int, fetch_max_wait_ms: int) -> None:
        super().__init__(name=f"floor-{fetch_max_wait_ms}", daemon=True)
        self.bootstrap, self.topic, self.partitions = bootstrap, topic, partitions
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.received: dict[str, float] = {}
        self.ready = threading.Event()
        self.done = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._consume())
        except BaseException as exc:  # noqa: BLE001 (reported by the main thread)
            self.error = exc
            self.ready.set()

    async def _consume(self) -> None:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
                                    fetch_max_wait_ms=self.fetch_max_wait_ms)
        await consumer.start()
        try:
            partitions = [TopicPartition(self.topic, p) for p in range(self.partitions)]
            consumer.assign(partitions)
            await consumer.seek_to_end(*partitions)
            for tp in partitions:
                await consumer.position(tp)
            self.ready.set()
            while not self.done.is_set():
                batches = await consumer.getmany(timeout_ms=100)
                now = time.time()
                for records in batches.values():
                    for record in records:
                        self.received.setdefault(record.key.decode(), now)
        finally:
            await consumer.stop()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def run_latency(settings: Settings, source: EventSource, rate: float, seconds: float, clock: Clock,
                poll_interval: float = 0.05, floor_waits_ms: tuple[int, ...] = (1500, 100)) -> Latency:
    """Send at a steady rate; a poller thread notes when each event_id becomes visible in event_ledger."""
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    stored: dict[str, float] = {}
    pending: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[BaseException] = []

    def poll() -> None:
        try:
            with connect(settings.database_url) as conn:
                while not (stop.is_set() and not pending):
                    with lock:
                        ids = list(pending)
                    if ids:
                        rows = conn.execute(
                            "SELECT event_id::text, extract(epoch FROM stored_at) FROM event_ledger"
                            " WHERE event_id = ANY(%s::uuid[])", (ids,)
                        ).fetchall()
                        now = time.time()
                        with lock:
                            for event_id, stored_at in rows:
                                seen[event_id] = now
                                stored[event_id] = float(stored_at)
                                pending.discard(event_id)
                    time.sleep(poll_interval)
        except BaseException as exc:  # noqa: BLE001 (reported by the main thread)
            errors.append(exc)

    floors = [FloorConsumer(settings.kafka_bootstrap_servers, settings.topic_incidents_reported,
                            settings.incidents_partitions, wait_ms) for wait_ms in floor_waits_ms]
    for floor in floors:
        floor.start()
    for floor in floors:
        if not floor.ready.wait(30) or floor.error:
            raise RuntimeError(f"the broker-floor consumer did not start: {floor.error}")
    poller = threading.Thread(target=poll, name="latency-poller", daemon=True)
    poller.start()
    prod = producer(settings)
    total = int(rate * seconds)
    start = time.monotonic()
    try:
        for i in range(total):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            key, value = source.next()
            with lock:
                pending.add(key)
                sent[key] = time.time()
            prod.send(settings.topic_incidents_reported, key=key, value=value)
            if i % int(rate) == 0:
                clock.check("measuring latency")
                if errors:
                    raise errors[0]
        prod.flush()
    finally:
        prod.close()
        stop.set()
    grace = time.monotonic() + min(30.0, max(clock.remaining(), 0.0))
    while pending and time.monotonic() < grace and not errors:
        time.sleep(0.1)
    with lock:
        pending.clear()
    poller.join(5)
    for floor in floors:
        floor.done.set()
        floor.join(10)
    if errors:
        raise errors[0]
    return Latency(
        rate, seconds, len(sent), len(seen),
        [seen[k] - sent[k] for k in seen], [stored[k] - sent[k] for k in stored], poll_interval,
        {f.fetch_max_wait_ms: [t - sent[k] for k, t in f.received.items() if k in sent] for f in floors},
    )


# --- Memory ----------------------------------------------------------------------------------------------

@dataclass
class Memory:
    events: int
    samples: list[tuple[float, int, int]]  # (seconds since start, ledger count, worker RSS bytes)
    first: float  # first batch transaction, seconds since worker start
    done: float  # seconds since worker start when the ledger held all events
    preload: dict
    count_query_s: float  # time spent in the progress query (SELECT count(*) FROM event_ledger), in all

    def rss_at(self, share: float) -> tuple[int, float]:
        """(count, RSS MB) of the first sample at or beyond this share of progress."""
        for _, count, rss in self.samples:
            if count >= share * self.events:
                return count, rss / MB
        _, count, rss = self.samples[-1]
        return count, rss / MB

    def slope(self) -> float:
        """Least-squares RSS slope in MB per 100k events, over samples from 10 % progress on."""
        points = [(count, rss / MB) for _, count, rss in self.samples if count >= 0.1 * self.events]
        if len(points) < 2:
            return float("nan")
        mean_x = sum(x for x, _ in points) / len(points)
        mean_y = sum(y for _, y in points) / len(points)
        sxx = sum((x - mean_x) ** 2 for x, _ in points)
        sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
        return sxy / sxx * 100_000 if sxx else float("nan")

    @property
    def peak_mb(self) -> float:
        return max(rss for _, _, rss in self.samples) / MB

    def rate_between(self, low: float, high: float) -> float:
        """Events per second while the stored count went from share `low` to share `high` of the run."""
        start = next(s for s in self.samples if s[1] >= low * self.events)
        end = next((s for s in self.samples if s[1] >= high * self.events), self.samples[-1])
        return (end[1] - start[1]) / (end[0] - start[0]) if end[0] > start[0] else float("nan")

    @property
    def rate(self) -> float:
        return self.events / (self.done - self.first)


def run_memory(settings: Settings, n: int, source: EventSource, run_dir: Path, broker: Broker, clock: Clock,
               chunk: int) -> Memory:
    load_world(settings)
    say(f"memory: pre-loading {n:,} events onto {settings.topic_incidents_reported}")
    loaded = preload(settings, n, source, broker, clock, chunk=chunk)
    say(f"memory: pre-loaded in {loaded['seconds']:.1f} s ({loaded['rate']:,.0f}/s); "
        f"broker RSS {loaded['broker_rss_after'] / MB:,.0f} MB; starting a fresh worker")
    worker = WorkerProcess(settings, run_dir / "worker-memory.log")
    samples: list[tuple[float, int, int]] = []
    count_query_s = 0.0
    started = time.time()
    worker.start()
    try:
        with connect(settings.database_url) as conn:
            next_sample = time.monotonic()
            next_report = time.monotonic() + 15
            while True:
                clock.check("measuring memory")
                worker.assert_alive()
                query_started = time.monotonic()
                count = ledger_count(conn)
                count_query_s += time.monotonic() - query_started
                now = time.time()
                samples.append((now - started, count, rss_of(worker.process.pid)))
                if count >= n:
                    break
                if time.monotonic() >= next_report:
                    say(f"  memory: {count:,}/{n:,} stored, worker RSS {samples[-1][2] / MB:,.0f} MB")
                    next_report += 15
                next_sample += 1.0
                time.sleep(max(0.0, next_sample - time.monotonic()))
            first = float(conn.execute("SELECT extract(epoch FROM min(stored_at)) FROM event_ledger").fetchone()[0])
    finally:
        worker.stop()
    return Memory(n, samples, first - started, samples[-1][0], loaded, count_query_s)


# --- Profile (optional) ----------------------------------------------------------------------------------

def run_profile(settings: Settings, n: int, source: EventSource, run_dir: Path, broker: Broker,
                clock: Clock) -> dict:
    """py-spy over a fresh worker (and its writer process) draining n pre-loaded events: top functions by own and
    inclusive time."""
    load_world(settings)
    preload(settings, n, source, broker, clock)
    worker = WorkerProcess(settings, run_dir / "worker-profile.log").start()
    raw = run_dir / "py-spy.txt"
    spy_bin = Path(sys.executable).parent / "py-spy"
    try:
        with connect(settings.database_url) as conn:
            while ledger_count(conn) == 0:  # profile the steady state, not start-up and the group join
                clock.check("waiting for the profiled worker")
                worker.assert_alive()
                time.sleep(0.2)
            spy = subprocess.Popen(
                [str(spy_bin), "record", "--pid", str(worker.process.pid), "--format", "raw", "--rate", "100",
                 "--nonblocking", "--subprocesses", "--output", str(raw)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            wait_for_ledger(conn, n, [worker], clock, "profiling the pipeline")
            spy.send_signal(signal.SIGINT)
            spy.wait(30)
    finally:
        worker.stop()
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    components: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        raw_frames = stack.split(";")
        frames = [_function_of(f) for f in raw_frames]
        total += count
        own[frames[-1]] = own.get(frames[-1], 0) + count
        component = _component_of(raw_frames[-1])
        components[component] = components.get(component, 0) + count
        for frame in set(frames):
            if frame.partition(" (")[2].startswith(PROJECT_CODE):
                inclusive[frame] = inclusive.get(frame, 0) + count
    return {"samples": total, "own": sorted(own.items(), key=lambda kv: -kv[1]),
            "inclusive": sorted(inclusive.items(), key=lambda kv: -kv[1]),
            "components": sorted(components.items(), key=lambda kv: -kv[1])}


PROJECT_CODE = ("services/", "trygg/", "schemas/")


def _where(frame: str) -> str:
    return frame.partition(" (")[2].rstrip(")").rsplit(":", 1)[0]


def _function_of(frame: str) -> str:
    """'write (/work/main/services/processor/batch.py:118)' -> 'write (services/processor/batch.py)'."""
    name = frame.partition(" (")[0]
    where = _where(frame)
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})" if where else name


def _component_of(frame: str) -> str:
    """The package a leaf frame belongs to: shapely, psycopg, faust, stdlib asyncio, project code, ..."""
    where = _function_of(frame).partition(" (")[2].rstrip(")")  # py-spy already shortens paths
    first = where.split("/", 1)[0].removesuffix(".py")
    if where.startswith(PROJECT_CODE):
        return f"project code ({first})"
    if not first or first.startswith("<") or first in sys.stdlib_module_names:
        return f"stdlib {first.strip('<>')}".strip()
    return first


# --- Report ----------------------------------------------------------------------------------------------

def stop_process(proc: subprocess.Popen, timeout_s: float = 15) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def render(args: argparse.Namespace, settings: Settings | None, meta: dict, rows: list[Throughput],
           latency: Latency | None, memory: Memory | None, profile: dict | None, failures: list[str]) -> str:
    out: list[str] = []
    out.append(f"# Pipeline benchmark, {meta['started']}")
    out.append("")
    out.append(f"Command: `{meta['command']}`  ")
    out.append(f"Machine: {meta['machine']}  ")
    out.append(f"Services: Tansu broker (memory storage) and PostgreSQL {meta['postgres_version']} "
               f"(fsync=on, synchronous_commit=on), both on 127.0.0.1, started by the benchmark  ")
    if settings is not None:
        out.append(f"Processor settings: batch_max_events={settings.batch_max_events}, "
                   f"batch_max_seconds={settings.batch_max_seconds}, "
                   f"incidents_partitions={settings.incidents_partitions}, "
                   f"rebalance/session/heartbeat={settings.kafka_rebalance_timeout_seconds:g}/"
                   f"{settings.kafka_session_timeout_seconds:g}/{settings.kafka_heartbeat_interval_seconds:g} s, "
                   f"rollup_refresh_seconds={settings.rollup_refresh_seconds:g}, log_level={settings.log_level}, "
                   f"agreements: tests.support.world_agreements()  ")
    out.append(f"Events: tests.support.valid_event (all valid and unique; a pool of 20,000 with fresh event_ids), "
               f"about {meta['event_bytes']} bytes each, keyed by event_id  ")
    out.append(f"Run time: {meta['elapsed']:.0f} s")
    out.append("")
    out.append("| # | Measurement | Result | Target | Notes |")
    out.append("|---|---|---|---|---|")
    by_name = {(r.name[0], r.workers): r for r in rows}
    for r in rows:
        cpu = ", ".join(f"{k} {v / r.seconds * 100:.0f} %" for k, v in r.cpu.items())
        per_event = r.cpu.get("consumer", 0.0) / r.events * 1e6
        if r.name[0] == "a":
            main = r.cpu.get("consumer main process", 0.0)
            split = (f"worker {main / r.events * 1e6:.0f} + writer "
                     f"{(r.cpu.get('consumer', 0.0) - main) / r.events * 1e6:.0f} + PostgreSQL "
                     f"{r.cpu.get('postgres', 0.0) / r.events * 1e6:.0f} us CPU/event")
        else:
            split = f"consumer {per_event:.0f} us CPU/event"
        unit = {"a": "worker", "b": "process"}.get(r.name[0])
        processes = f", {r.workers} × {unit}" if unit else ""
        out.append(f"| 1{r.name[0]} | Throughput {r.name[3:]}{processes}, {r.events:,} events | "
                   f"**{r.rate:,.0f} events/s** ({r.seconds:.1f} s) | | {r.note}; join wait {r.join_s:.1f} s "
                   f"excluded; CPU (share of one core) in the window: {cpu}; {split} |")
    for k in sorted({r.workers for r in rows}):
        if ("a", k) in by_name and ("b", k) in by_name:
            share = by_name[("a", k)].rate / by_name[("b", k)].rate * 100
            verdict = "met" if share >= 80 else "NOT met"
            out.append(f"| 1 | Pipeline as % of bare Faust, {k} worker(s) each | **{share:.0f} %** | "
                       f">= 80 % ({verdict}) | |")
    for letter in ("a", "b"):
        counts = sorted(k for (name, k) in by_name if name == letter)
        if len(counts) > 1:
            one, most = by_name[(letter, counts[0])], by_name[(letter, counts[-1])]
            out.append(f"| 1 | Scaling of {one.name[3:]}: {counts[-1]} against {counts[0]} | "
                       f"{most.rate / one.rate:.2f}x | | {counts[-1]} processes on {psutil.cpu_count()} cores |")
    if ("a", 1) in by_name and ("c", 1) in by_name:
        share = by_name[("a", 1)].rate / by_name[("c", 1)].rate * 100
        out.append(f"| 1 | Pipeline as % of aiokafka + COPY | {share:.0f} % | | |")
    if latency is not None and latency.queryable:
        q = latency.queryable
        s = latency.stored
        p95 = percentile(q, 95)
        verdict = "met" if p95 < 2.0 else "NOT met"
        out.append(f"| 2 | Latency produce -> queryable at {latency.rate:g} events/s for {latency.seconds:g} s "
                   f"({latency.seen:,}/{latency.sent:,} seen) | p50 **{percentile(q, 50) * 1000:.0f} ms**, "
                   f"p95 **{p95 * 1000:.0f} ms**, p99 **{percentile(q, 99) * 1000:.0f} ms**, "
                   f"max {max(q) * 1000:.0f} ms | p95 < 2 s ({verdict}) | send time -> first seen in event_ledger "
                   f"by a poller every {latency.poll_interval * 1000:.0f} ms (same machine clock) |")
        out.append(f"| 2 | Latency produce -> event_ledger.stored_at | p50 {percentile(s, 50) * 1000:.0f} ms, "
                   f"p95 {percentile(s, 95) * 1000:.0f} ms, p99 {percentile(s, 99) * 1000:.0f} ms | | stored_at is "
                   f"now() = start of the batch transaction, a lower bound on visibility |")
        for wait_ms, values in latency.floors.items():
            if values:
                why = "as Faust sets it" if wait_ms == 1500 else "for comparison"
                out.append(f"| 2 | Broker floor: produce -> received by plain aiokafka, fetch_max_wait_ms={wait_ms} "
                           f"({why}) | p50 {percentile(values, 50) * 1000:.0f} ms, p95 "
                           f"{percentile(values, 95) * 1000:.0f} ms, p99 {percentile(values, 99) * 1000:.0f} ms | | "
                           f"same events, consumed beside the pipeline ({len(values):,} received) |")
    if memory is not None:
        parts = []
        for share in (0.1, 0.5, 1.0):
            count, mb = memory.rss_at(share)
            parts.append(f"{share * 100:.0f} %: {mb:,.0f} MB")
        slope = memory.slope()
        verdict = "flat" if abs(slope) < 5 else "growing" if slope > 0 else "shrinking"
        out.append(f"| 3 | Worker RSS over {memory.events:,} events | {', '.join(parts)}; "
                   f"peak {memory.peak_mb:,.0f} MB "
                   f"| flat | sampled every 1 s, {len(memory.samples)} samples; worker + children |")
        out.append(f"| 3 | RSS slope (10 %..100 %, least squares) | **{slope:+.1f} MB per 100k events** | ~0 "
                   f"({verdict}) | |")
        early, late = memory.rate_between(0.02, 0.12), memory.rate_between(0.9, 1.0)
        share = late / early * 100
        verdict = "met" if share >= 80 else "NOT met"
        deciles = ", ".join(f"{memory.rate_between(d / 10, (d + 1) / 10):,.0f}" for d in range(10))
        out.append(f"| 3 | Throughput as the history grows: the last 10 % of the run ({0.9 * memory.events:,.0f} "
                   f"events stored and more) against 2–12 % | {late:,.0f} against {early:,.0f} events/s: "
                   f"**{share:.0f} %** | >= 80 % ({verdict}) | events/s per tenth of the run: {deciles} |")
        out.append(f"| 3 | Pipeline throughput over the memory run | {memory.rate:,.0f} events/s | | "
                   f"first batch -> all {memory.events:,} stored; progress from "
                   f"SELECT count(*) FROM event_ledger every 1 s "
                   f"({memory.count_query_s:.1f} s of queries in all) |")
        pre = memory.preload
        out.append(f"| 3 | Broker while pre-loading {pre['events']:,} events | "
                   f"RSS {pre['broker_rss_before'] / MB:,.0f} "
                   f"-> {pre['broker_rss_after'] / MB:,.0f} MB; produced at {pre['rate']:,.0f} events/s | | "
                   f"kafka-python (tests.support.publish_raw), chunks of {args.chunk:,} |")
    if meta.get("preload"):
        pre = meta["preload"]
        out.append(f"| 1 | Pre-load of the throughput topic | {pre['events']:,} events in {pre['seconds']:.1f} s "
                   f"({pre['rate']:,.0f}/s); broker RSS {pre['broker_rss_after'] / MB:,.0f} MB | | |")
    for failure in failures:
        out.append(f"| ! | FAILED | {failure} | | |")
    if profile is not None:
        total = profile["samples"] or 1
        out.append("")
        out.append(f"py-spy on a fresh worker while it drained {args.profile_events:,} events "
                   f"({profile['samples']:,} non-idle samples at 100 Hz over all threads of the worker and its writer "
                   f"process; C code counts toward the Python function that called it):")
        out.append("")
        out.append("| Own time (leaf function) | % | Project function, inclusive | % | Package (own time) | % |")
        out.append("|---|---|---|---|---|---|")
        for i in range(10):
            cells = []
            for key in ("own", "inclusive", "components"):
                entries = profile[key]
                if i < len(entries):
                    cells += [entries[i][0], f"{entries[i][1] / total * 100:.1f}"]
                else:
                    cells += ["", ""]
            out.append("| " + " | ".join(cells) + " |")
    out.append("")
    out.append("Method: the throughput rows share one pre-loaded topic; each consumer has its own group and "
               "database, runs alone, and is timed from its first record (the pipeline: from the start of its "
               "first batch transaction, which is a few ms after its first record), so the consumer-group join "
               "wait (Tansu waits the rebalance timeout) is excluded from all three. CPU = CPU time used by "
               "each process group in that timed window, sampled every 0.25 s (2 cores in all).")
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, help="events for the throughput rows (default 200,000; quick 20,000)")
    parser.add_argument("--quick", action="store_true", help="small run to check the benchmark itself (~3 min)")
    parser.add_argument("--memory-events", type=int,
                        help="events for the memory run (default 1,000,000; quick 100,000)")
    parser.add_argument("--latency-seconds", type=float, help="length of the latency run (default 60; quick 20)")
    parser.add_argument("--rate", type=float, default=100.0, help="events/s during the latency run")
    parser.add_argument("--chunk", type=int, default=100_000, help="events per pre-load chunk")
    parser.add_argument("--workers", default="1",
                        help="comma-separated worker counts for throughput rows a and b, e.g. 1,2 (default 1)")
    parser.add_argument("--skip", default="", help="comma-separated phases to skip: bare,copy,latency,memory")
    parser.add_argument("--profile", action="store_true", help="also run py-spy on a worker (extra phase, at the end)")
    parser.add_argument("--profile-events", type=int, default=None,
                        help="events for the profile phase (default --events)")
    parser.add_argument("--budget", type=float,
                        help="hard limit for the whole run in seconds (default 1500; quick 300)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, data)")
    args = parser.parse_args()
    n = args.events or (20_000 if args.quick else 200_000)
    memory_n = args.memory_events or (100_000 if args.quick else 1_000_000)
    latency_s = args.latency_seconds or (20.0 if args.quick else 60.0)
    args.profile_events = args.profile_events or n
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    worker_counts = [int(k) for k in args.workers.split(",") if k.strip()]
    clock = Clock(args.budget or (300.0 if args.quick else 1500.0))
    started_at = datetime.now()

    run_dir = Path(tempfile.mkdtemp(prefix="trygg-bench-"))
    os.chdir(run_dir)  # Faust puts its <app id>-data directories in the working directory
    say(f"state and logs in {run_dir}")
    source = EventSource(seed=20261126)
    meta: dict = {
        "started": started_at.strftime("%Y-%m-%d %H:%M:%S"),
        "command": " ".join([".venv/bin/python -m bench.pipeline", *map(shlex.quote, sys.argv[1:])]),
        "machine": f"{psutil.cpu_count()} CPUs, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
                   f"{platform.platform()}, Python {platform.python_version()}",
        "event_bytes": len(source.next()[1]),
        "postgres_version": "?",
    }
    rows: list[Throughput] = []
    latency: Latency | None = None
    memory: Memory | None = None
    profile: dict | None = None
    failures: list[str] = []
    settings: Settings | None = None
    workers: list[WorkerProcess] = []
    broker = Broker(run_dir / "broker.log")
    postgres = Postgres(run_dir / "pgdata")
    previous_sigterm = signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        broker.start()
        postgres.start()
        with connect(postgres.url()) as conn:
            meta["postgres_version"] = conn.execute("SHOW server_version").fetchone()[0]
        say(f"broker {broker.bootstrap}, PostgreSQL {meta['postgres_version']} on 127.0.0.1:{postgres.port}")

        settings = settings_for(broker.bootstrap, fresh_database(postgres))
        load_world(settings)
        say(f"throughput: pre-loading {n:,} events onto {settings.topic_incidents_reported}")
        meta["preload"] = preload(settings, n, source, broker, clock, chunk=args.chunk)
        say(f"  {n:,} events in {meta['preload']['seconds']:.1f} s")
        topic = settings.topic_incidents_reported
        try:
            for k in worker_counts:
                if "bare" not in skip:
                    say(f"throughput b: bare Faust, {k} process(es)")
                    rows.append(run_bare_faust(broker.bootstrap, topic, n, run_dir, postgres, broker, clock, k))
                    say(f"  {rows[-1].rate:,.0f} events/s")
                if "copy" not in skip and k == worker_counts[0]:
                    say("throughput c: aiokafka + COPY")
                    rows.append(run_copy_baseline(broker.bootstrap, topic, n, fresh_database(postgres),
                                                  settings.batch_max_events, postgres, broker, clock))
                    say(f"  {rows[-1].rate:,.0f} events/s")
                if k != worker_counts[0]:  # a fresh database and consumer group on the same pre-loaded topic
                    settings = settings_for(broker.bootstrap, fresh_database(postgres)).model_copy(
                        update={"topic_incidents_reported": topic})
                    load_world(settings)
                say(f"throughput a: the pipeline (trygg worker), {k} worker(s)")
                row, workers = run_pipeline(settings, n, run_dir, postgres, broker, clock, k)
                rows.append(row)
                say(f"  {row.rate:,.0f} events/s")
                if "latency" not in skip and k == worker_counts[0]:
                    say(f"latency: {args.rate:g} events/s for {latency_s:g} s into the running pipeline")
                    latency = run_latency(settings, source, args.rate, latency_s, clock)
                    if latency.queryable:
                        say(f"  p95 {percentile(latency.queryable, 95) * 1000:.0f} ms")
                for worker in workers:
                    worker.stop()
                workers = []
        except (RuntimeError, AssertionError, BudgetExceeded) as exc:
            failures.append(f"throughput/latency: {str(exc).splitlines()[0]}")
            say(f"FAILED: {exc}")
        finally:
            for worker in workers:
                worker.stop()
        if "memory" not in skip:
            try:
                memory = run_memory(settings_for(broker.bootstrap, fresh_database(postgres)), memory_n, source,
                                    run_dir, broker, clock, args.chunk)
            except (RuntimeError, AssertionError, BudgetExceeded) as exc:
                failures.append(f"memory: {str(exc).splitlines()[0]}")
                say(f"FAILED: {exc}")
        if args.profile:
            try:
                say(f"profile: py-spy on a fresh worker draining {args.profile_events:,} events")
                profile = run_profile(settings_for(broker.bootstrap, fresh_database(postgres)), args.profile_events,
                                      source, run_dir, broker, clock)
            except (RuntimeError, AssertionError, BudgetExceeded, subprocess.TimeoutExpired) as exc:
                failures.append(f"profile: {str(exc).splitlines()[0]}")
                say(f"FAILED: {exc}")
    except KeyboardInterrupt:
        failures.append("interrupted")
    finally:
        for worker in workers:
            worker.stop()
        postgres.stop()
        broker.stop()
        signal.signal(signal.SIGTERM, previous_sigterm)
    meta["elapsed"] = clock.elapsed()
    report = render(args, settings, meta, rows, latency, memory, profile, failures)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"pipeline-{started_at.strftime('%Y%m%d-%H%M%S')}.md"
    path.write_text(report, encoding="utf-8")
    print()
    print(report)
    print(f"written to {path}")
    os.chdir(RESULTS)
    if args.keep or failures:
        print(f"state and logs kept in {run_dir}")
    else:
        shutil.rmtree(run_dir, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
