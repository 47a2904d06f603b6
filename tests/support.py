"""Test helpers: a worker process we can kill, traffic with known truth, and reading the results back.

The ground truth here is deliberately computed without the code under test: rectangles instead of
shapely, zoneinfo dates instead of SQL buckets.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psutil
import psycopg
import uvicorn
from kafka import KafkaConsumer, TopicPartition

from schemas import Agreement, IncidentEvent, agreements_from_geojson
from trygg.adapters.database import refresh_rollups, store_batch, upsert_agreements
from trygg.adapters.migrations import migrate
from trygg.domain.placement import AreaIndex, Placement
from trygg.adapters.kafka import producer
from trygg.localstack.processes import start_command, wait_for_port
from trygg.settings import Settings

STOCKHOLM = ZoneInfo("Europe/Stockholm")


class WorkerProcess:
    """`trygg worker` as a child process that a test can SIGKILL and restart."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        self.settings = settings
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.kills = 0
        self.orphans: list[str] = []  # helper processes that outlived a SIGKILLed worker

    def start(self) -> WorkerProcess:
        self.process = start_command(self.settings, "worker", self.log_path)
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no offset commit, a transaction possibly half-way."""
        assert self.process is not None
        helpers = psutil.Process(self.process.pid).children(recursive=True)
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.kills += 1
        _, alive = psutil.wait_procs(helpers, timeout=10)
        self.orphans += [" ".join(p.cmdline()) for p in alive]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def assert_alive(self) -> None:
        assert self.process is not None and self.process.poll() is None, (
            f"worker died with {self.process and self.process.returncode}; log:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class AppServer:
    """An ASGI app under uvicorn on 127.0.0.1:port in a background thread (a real HTTP server)."""

    def __init__(self, app: object, port: int) -> None:
        self.port = port
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> AppServer:
        self.thread.start()
        wait_for_port(self.port, 15)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str, interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


# --- A small world of rectangles near Ålidhem, Umeå -------------------------------------------------

@dataclass(frozen=True)
class Rect:
    area_id: str
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def covers(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon

    def polygon(self) -> dict:
        ring = [[self.min_lon, self.min_lat], [self.max_lon, self.min_lat], [self.max_lon, self.max_lat],
                [self.min_lon, self.max_lat], [self.min_lon, self.min_lat]]
        return {"type": "Polygon", "coordinates": [ring]}


AGREEMENT_A = Rect("test-alidhem", 20.29, 63.81, 20.30, 63.82)
AGREEMENT_B = Rect("test-overlap", 20.295, 63.815, 20.305, 63.825)  # overlaps A on purpose
CONTROL_A = Rect("test-alidhem-k1", 20.31, 63.81, 20.32, 63.82)
RECTS = (AGREEMENT_A, AGREEMENT_B, CONTROL_A)
SITE = ("test-site-ica", 63.815, 20.295)  # on B's western border: counted in A and in B
MUNICIPALITY = "Umeå"
MUNICIPALITY_AREA = "kommun:umea"
CATEGORIES = ["shoplifting", "theft", "vandalism", "graffiti", "drug_dealing", "threat", "disturbance"]
SOURCES = ["shop", "property_owner", "school", "police", "municipality"]


def world_geojson(rects: tuple[Rect, ...] = RECTS) -> dict:
    """The agreements file for the test world (A with its control area and the site; B overlapping)."""
    def agreement(rect: Rect, name: str) -> dict:
        return {"type": "Feature", "geometry": rect.polygon(), "properties": {
            "kind": "agreement", "agreement_id": rect.area_id, "name": name, "municipality": MUNICIPALITY,
            "signed_at": "2024-05-01", "partners": [{"id": "ica-test", "name": "ICA Test", "role": "shop"}]}}
    by_id = {r.area_id: r for r in rects}
    return {"type": "FeatureCollection", "features": [
        agreement(by_id[AGREEMENT_A.area_id], "Ålidhem (test)"),
        agreement(by_id[AGREEMENT_B.area_id], "Överlapp (test)"),
        {"type": "Feature", "geometry": by_id[CONTROL_A.area_id].polygon(), "properties": {
            "kind": "control_area", "agreement_id": AGREEMENT_A.area_id, "area_id": CONTROL_A.area_id,
            "name": "Kontroll (test)"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [SITE[2], SITE[1]]}, "properties": {
            "kind": "site", "agreement_id": AGREEMENT_A.area_id, "site_id": SITE[0], "partner_id": "ica-test",
            "name": "ICA Test"}},
    ]}


def world_agreements(rects: tuple[Rect, ...] = RECTS) -> list[Agreement]:
    return agreements_from_geojson(world_geojson(rects))


# --- Traffic with known truth ----------------------------------------------------------------------

TruthKey = tuple[str, str, str, date]  # area, category, source, Stockholm day


@dataclass
class Traffic:
    """Messages to publish (key, bytes) and what the database must end up holding."""

    messages: list[tuple[str, bytes]] = field(default_factory=list)
    valid: dict[str, dict] = field(default_factory=dict)  # event_id -> event document
    invalid: dict[bytes, str] = field(default_factory=dict)  # payload -> expected reason

    def truth(self, rects: tuple[Rect, ...] = RECTS) -> Counter[TruthKey]:
        """Expected incident_counts rows, computed independently of the pipeline."""
        expected: Counter[TruthKey] = Counter()
        for doc in self.valid.values():
            loc = doc["location"]
            day = datetime.fromisoformat(doc["occurred_at"]).astimezone(STOCKHOLM).date()
            areas: list[str] = []
            lat, lon = loc.get("lat"), loc.get("lon")
            if "site_id" in loc and lat is None:
                lat, lon = SITE[1], SITE[2]
            if loc.get("precision", "point") == "point" and lat is not None:
                areas = [r.area_id for r in rects if r.covers(lat, lon)]
            if loc.get("municipality") or areas:
                areas.append(MUNICIPALITY_AREA)
            for area in areas:
                expected[(area, doc["category"], doc["source"], day)] += 1
        return expected


def _occurred(rng: random.Random, now: datetime) -> datetime:
    """Mostly recent, but a real share months and years late (police backfills are normal)."""
    roll = rng.random()
    if roll < 0.6:
        age = timedelta(seconds=rng.uniform(0, 30 * 86400))
    elif roll < 0.85:
        age = timedelta(days=rng.uniform(30, 365))
    else:
        age = timedelta(days=rng.uniform(365, 3650))
    return (now - age).replace(microsecond=0)


def _location(rng: random.Random) -> dict:
    roll = rng.random()
    if roll < 0.05:
        return {"site_id": SITE[0]}
    if roll < 0.08:
        return {"lat": 63.8258, "lon": 20.2630, "municipality": MUNICIPALITY, "precision": "municipality"}
    if roll < 0.13:  # exactly on a border or a corner
        rect = rng.choice(RECTS)
        return {"lat": rng.choice([rect.min_lat, rect.max_lat]),
                "lon": round(rng.uniform(rect.min_lon, rect.max_lon), 6)}
    loc = {"lat": round(rng.uniform(63.805, 63.83), 6), "lon": round(rng.uniform(20.285, 20.325), 6)}
    if rng.random() < 0.2:
        loc["municipality"] = MUNICIPALITY
    return loc


def valid_event(rng: random.Random, now: datetime) -> dict:
    occurred = _occurred(rng, now)
    doc = {
        "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "schema_version": 1,
        "source": rng.choice(SOURCES),
        "reporter": f"partner-{rng.randint(1, 20)}",
        "category": rng.choice(CATEGORIES),
        "occurred_at": occurred.astimezone(STOCKHOLM).isoformat(),
        "reported_at": min(occurred + timedelta(minutes=rng.randint(0, 600)), now).astimezone(UTC).isoformat(),
        "location": _location(rng),
    }
    if rng.random() < 0.1:
        doc["note"] = "Två personer, den ena med röd jacka."
    return doc


def invalid_payloads(rng: random.Random, now: datetime, per_reason: int) -> dict[bytes, str]:
    """Bad messages of every kind, each unique, with the reason the processor must give."""
    makers: dict[str, Callable[[dict], object]] = {
        "invalid_json": lambda d: json.dumps(d)[:-3],
        "not_an_object": lambda d: [d],
        "unsupported_schema_version": lambda d: {**d, "schema_version": 2},
        "missing_field": lambda d: {k: v for k, v in d.items() if k != "category"},
        "unknown_field": lambda d: {**d, "personnummer": "19121212-1212"},
        "invalid_value": lambda d: {**d, "event_id": "not-a-uuid"},
        "unknown_category": lambda d: {**d, "category": "jaywalking"},
        "unknown_source": lambda d: {**d, "source": "neighbour"},
        "naive_timestamp": lambda d: {**d, "occurred_at": d["occurred_at"][:19]},
        "occurred_in_future": lambda d: {**d, "occurred_at": (now + timedelta(days=2)).isoformat(),
                                         "reported_at": (now + timedelta(days=2)).isoformat()},
        "reported_in_future": lambda d: {**d, "reported_at": (now + timedelta(days=2)).isoformat()},
        "reported_before_occurred": lambda d: {**d, "reported_at": "2001-01-01T00:00:00+00:00"},
        "missing_location": lambda d: {**d, "location": {}},
        "incomplete_point": lambda d: {**d, "location": {"lat": 63.8}},
        "location_outside_sweden": lambda d: {**d, "location": {"lat": 56.5, "lon": 3.1}},
        "missing_municipality": lambda d: {**d, "location": {"lat": 63.8, "lon": 20.3, "precision": "municipality"}},
        "unknown_site": lambda d: {**d, "location": {"site_id": "no-such-shop"}},
        "note_too_long": lambda d: {**d, "note": "x" * 501},
    }
    payloads: dict[bytes, str] = {}
    for reason, make in makers.items():
        for _ in range(per_reason):
            bad = make(valid_event(rng, now))
            raw = bad.encode() if isinstance(bad, str) else json.dumps(bad).encode()
            payloads[raw] = reason
    if per_reason:
        payloads[b"\xff\xfe not utf-8 " + rng.randbytes(8)] = "invalid_json"
    return payloads


def build_traffic(seed: int, valid: int, duplicate_share: float, invalid_per_reason: int) -> Traffic:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    traffic = Traffic()
    for _ in range(valid):
        doc = valid_event(rng, now)
        traffic.valid[doc["event_id"]] = doc
        traffic.messages.append((doc["event_id"], json.dumps(doc).encode()))
    for key, value in rng.sample(traffic.messages, int(valid * duplicate_share)):
        traffic.messages.append((key, value))  # a producer re-sending: same id, same bytes
    traffic.invalid = invalid_payloads(rng, now, invalid_per_reason)
    traffic.messages.extend((f"bad-{i}", raw) for i, raw in enumerate(traffic.invalid))
    rng.shuffle(traffic.messages)
    return traffic


def publish_raw(settings: Settings, messages: list[tuple[str, bytes]]) -> None:
    """Produce messages as an external producer would (keyed by event id) and wait for the broker's ack."""
    prod = producer(settings)
    try:
        for key, value in messages:
            prod.send(settings.topic_incidents_reported, key=key, value=value)
        prod.flush()
    finally:
        prod.close()


# --- Reading results ------------------------------------------------------------------------------

def stored_counts(database_url: str) -> Counter[TruthKey]:
    """incident_counts as a Counter keyed like Traffic.truth (bucket as a Stockholm date)."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT area_id, category, source, bucket, incidents FROM incident_counts").fetchall()
    counts: Counter[TruthKey] = Counter()
    for area, category, source, bucket, incidents in rows:
        local = bucket.astimezone(STOCKHOLM)
        assert (local.hour, local.minute) == (0, 0), f"bucket {bucket} is not a Stockholm midnight"
        counts[(area, category, source, local.date())] += incidents
    return counts


def ledger_size(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT count(*) FROM event_ledger").fetchone()[0]


def rejected_rows(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT count(*) FROM rejected_events").fetchone()[0]


def consumed_everything(settings: Settings) -> bool:
    """The processor's group has committed the end offset of every partition of incidents.reported: every
    message on the topic went through the pipeline (it commits only after the database commit)."""
    # Never subscribes, so it fetches the group's offsets without joining (no rebalance of the workers).
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers,
                             group_id=settings.processor_app_id, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(settings.topic_incidents_reported, p)
                      for p in consumer.partitions_for_topic(settings.topic_incidents_reported) or ()]
        ends = consumer.end_offsets(partitions)
        committed = {tp: consumer.committed(tp) for tp in partitions}
    finally:
        consumer.close()
    return bool(partitions) and all(committed[tp] is not None and committed[tp] >= ends[tp] for tp in partitions)


def read_topic(settings: Settings, topic: str, expected: int, timeout_s: float = 30) -> list[bytes]:
    """Read a topic from the beginning until `expected` records arrived (or time runs out)."""
    consumer = KafkaConsumer(
        topic, bootstrap_servers=settings.kafka_bootstrap_servers, auto_offset_reset="earliest",
        enable_auto_commit=False, group_id=None, consumer_timeout_ms=2000,
    )
    values: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(values) < expected and time.monotonic() < deadline:
            values.extend(record.value for record in consumer)
    finally:
        consumer.close()
    return values


def load_history(conn: psycopg.Connection, agreements: list[Agreement], events: list[IncidentEvent],
                 now: datetime) -> list[Placement]:
    """Migrate, load the agreements, store the events as the processor would (in batches) and refresh the
    rollups up to `now`; each event's placement."""
    migrate(conn)
    revision = upsert_agreements(conn, agreements).revision
    index = AreaIndex.from_agreements(agreements, revision=revision)
    placements = index.place_all(events)
    for start in range(0, len(events), 2000):
        store_batch(conn, list(zip(events[start:start + 2000], placements[start:start + 2000], strict=True)), [],
                    index_revision=revision, now=now, note_retention=timedelta(days=90))
    refresh_rollups(conn, datetime(2000, 1, 1, tzinfo=UTC), now + timedelta(days=1))
    return placements
