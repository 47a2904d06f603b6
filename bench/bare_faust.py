"""Baseline "bare Faust" for bench.pipeline: one agent that only json-decodes each event and counts.

Same broker settings (rebalance 3 s, session 6 s, heartbeat 1 s, earliest) and event loop (uvloop) as the
processor. Every 0.1 s it writes its progress to a JSON file (records decoded so far, wall-clock times of its
first and its latest record) and keeps running until the benchmark stops it. Several of them with one app id
share the topic's partitions like several processor workers; the benchmark adds their counts up.

    python -m bench.bare_faust --bootstrap 127.0.0.1:PORT --topic T --app-id ID --progress out.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

import faust
import uvloop


def build_app(args: argparse.Namespace) -> faust.App:
    app = faust.App(
        args.app_id,
        broker=f"kafka://{args.bootstrap}",
        store="memory://",
        topic_partitions=args.partitions,
        broker_rebalance_timeout=3.0,
        broker_session_timeout=6.0,
        broker_heartbeat_interval=1.0,
        consumer_auto_offset_reset="earliest",
        web_enabled=False,
        datadir=args.datadir,
    )
    topic = app.topic(args.topic, key_serializer="raw", value_serializer="raw")
    progress = Path(args.progress)
    state = {"count": 0, "first": None, "last": None, "written": 0}

    @app.agent(topic)
    async def decode(stream: faust.StreamT) -> None:
        async for value in stream:
            json.loads(value)
            now = time.time()
            if state["first"] is None:
                state["first"] = now
            state["count"] += 1
            state["last"] = now

    @app.timer(0.1)
    async def write_progress() -> None:
        if state["count"] != state["written"]:
            tmp = progress.with_suffix(".tmp")
            tmp.write_text(json.dumps({"first_record": state["first"], "last_record": state["last"],
                                       "count": state["count"]}))
            os.replace(tmp, progress)
            state["written"] = state["count"]

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--progress", required=True)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--datadir", default="bare-faust-data")
    args = parser.parse_args()
    sys.argv = [sys.argv[0]]  # Faust's worker reads its own command line
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())  # the same event loop as the processor
    faust.Worker(build_app(args), loglevel="WARNING", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
