"""`trygg`: the one command in front of every operation."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pydantic import ValidationError

from trygg.settings import Settings, configure_logging, load_settings


def _migrate(settings: Settings, _: argparse.Namespace) -> int:
    from trygg.adapters.database import connect
    from trygg.adapters.migrations import detect_tier, migrate

    with connect(settings.database_url) as conn:
        applied = migrate(
            conn, writer_password=settings.database_writer_password, reader_password=settings.database_reader_password,
            survey_thresholds=(settings.survey_min_respondents, settings.survey_suppress_below),
        )
        tier = detect_tier(conn)
    names = ", ".join(m.path.name for m in applied) or "nothing to do"
    print(f"migrations ({tier}): {names}")
    return 0


def _topics(settings: Settings, _: argparse.Namespace) -> int:
    from trygg.adapters.kafka import create_topics

    created = create_topics(settings)
    print("topics created: " + (", ".join(created) or "none (all existed)"))
    return 0


def _worker(settings: Settings, _: argparse.Namespace) -> int:
    from services.processor.app import run_worker

    sys.argv = [sys.argv[0]]  # Faust's worker reads its own command line
    run_worker(settings)
    return 0


def load_agreements_file(settings: Settings, path: Path) -> str:
    """Validate, store (recounting redrawn areas) and publish the agreements in a GeoJSON file."""
    from schemas import agreements_from_geojson
    from trygg.adapters.database import connect, refresh_rollups, upsert_agreements
    from trygg.adapters.kafka import publish_agreements

    agreements = agreements_from_geojson(json.loads(path.read_text(encoding="utf-8")))
    with connect(settings.database_url) as conn:
        result = upsert_agreements(conn, agreements)
        if result.recounted_areas or result.removed_areas:
            refresh_rollups(conn)
    publish_agreements(settings, agreements)
    recounted = ", ".join(result.recounted_areas) or "none"
    return f"{result.agreements} agreements loaded (revision {result.revision}); areas recounted: {recounted}"


def _agreements_load(settings: Settings, args: argparse.Namespace) -> int:
    try:
        print(load_agreements_file(settings, Path(args.path)))
    except (ValidationError, ValueError) as exc:
        print(f"error: {args.path} is not a valid agreements file:\n{exc}", file=sys.stderr)
        return 2
    return 0


def _schemas_export(_: Settings, args: argparse.Namespace) -> int:
    from schemas.export import write_json_schemas

    for path in write_json_schemas():
        print(f"wrote {path}")
    return 0


def _up(settings: Settings, args: argparse.Namespace) -> int:
    from trygg.localstack.stack import run_local_stack

    return run_local_stack(settings, demo=not args.no_demo)


def _counts(settings: Settings, args: argparse.Namespace) -> int:
    from trygg.adapters.database import connect

    with connect(settings.database_url) as conn:
        rows = conn.execute(
            """SELECT c.area_id, a.kind, sum(c.incidents) FROM incident_counts c
               LEFT JOIN areas a USING (area_id) GROUP BY c.area_id, a.kind ORDER BY a.kind, c.area_id"""
        ).fetchall()
    print(f"{'area':<32} {'kind':<13} {'incidents':>9}")
    for area_id, kind, incidents in rows:
        print(f"{area_id:<32} {kind or '':<13} {incidents:>9}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trygg", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="run the whole platform locally (broker, database, processor, demo data)").add_argument(
        "--no-demo", action="store_true", help="skip the sample agreements and synthetic history"
    )
    sub.add_parser("migrate", help="apply pending database migrations (idempotent)").set_defaults(run=_migrate)
    topics = sub.add_parser("topics", help="Kafka topics").add_subparsers(dest="action", required=True)
    topics.add_parser("create", help="create missing topics (idempotent)").set_defaults(run=_topics)
    sub.add_parser("worker", help="run the stream processor").set_defaults(run=_worker)
    agreements = sub.add_parser("agreements", help="agreements and their areas").add_subparsers(
        dest="action", required=True
    )
    load = agreements.add_parser("load", help="load or update agreements from a GeoJSON FeatureCollection")
    load.add_argument("path")
    load.set_defaults(run=_agreements_load)
    schemas = sub.add_parser("schemas", help="JSON Schemas of the event formats").add_subparsers(
        dest="action", required=True
    )
    schemas.add_parser("export", help="write schemas/json/*.schema.json from the models").set_defaults(
        run=_schemas_export
    )
    sub.add_parser("counts", help="incidents per area so far").set_defaults(run=_counts)
    sub.choices["up"].set_defaults(run=_up)
    __import__("trygg.cli_form").cli_form.register(sub)
    __import__("trygg.cli_police").cli_police.register(sub)
    __import__("trygg.cli_report").cli_report.register(sub)
    __import__("trygg.cli_effect").cli_effect.register(sub)
    __import__("trygg.cli_boards").cli_boards.register(sub)
    __import__("trygg.cli_surveys").cli_surveys.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    configure_logging(settings)
    return args.run(settings, args)


if __name__ == "__main__":
    sys.exit(main())
