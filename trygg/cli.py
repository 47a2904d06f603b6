"""`trygg`: the one command in front of every operation."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError

from trygg.settings import Settings, configure_logging, load_settings


def _migrate(settings: Settings, _: argparse.Namespace) -> int:
    from trygg.app.migrate import migrate_database

    tier, applied = migrate_database(settings)
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


def _agreements_load(settings: Settings, args: argparse.Namespace) -> int:
    from trygg.app.load_agreements import load_agreements_file

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


def _counts(settings: Settings, _: argparse.Namespace) -> int:
    from trygg.app.counts import counts_table

    print(counts_table(settings))
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
