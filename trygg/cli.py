"""`trygg`: the one command in front of every operation."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError

from trygg.settings import Settings, configure_logging, load_settings
from trygg.texts import cli_help, say


def _migrate(settings: Settings, _: argparse.Namespace) -> int:
    from trygg.app.migrate import migrate_database

    tier, applied = migrate_database(settings)
    names = ", ".join(m.path.name for m in applied) or say("nothing_to_do")
    print(f"{say('migrations')} ({tier}): {names}")
    return 0


def _topics(settings: Settings, _: argparse.Namespace) -> int:
    from trygg.adapters.kafka import create_topics

    created = create_topics(settings)
    print(f"{say('topics_created')}: {', '.join(created) or say('topics_none')}")
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
        print(f"{say('agreements_invalid')}: {args.path}\n{exc}", file=sys.stderr)
        return 2
    return 0


def _schemas_export(_: Settings, args: argparse.Namespace) -> int:
    from schemas.export import write_json_schemas

    for path in write_json_schemas():
        print(f"{say('wrote')}: {path}")
    return 0


def _up(settings: Settings, args: argparse.Namespace) -> int:
    from trygg.localstack.stack import run_local_stack

    return run_local_stack(settings, demo=not args.no_demo)


def _counts(settings: Settings, _: argparse.Namespace) -> int:
    from trygg.app.counts import counts_table

    print(counts_table(settings))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trygg", description=cli_help("help_trygg"))
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help=cli_help("help_up")).add_argument(
        "--no-demo", action="store_true", help=cli_help("help_no_demo")
    )
    sub.add_parser("migrate", help=cli_help("help_migrate")).set_defaults(run=_migrate)
    topics = sub.add_parser("topics", help=cli_help("help_topics")).add_subparsers(dest="action", required=True)
    topics.add_parser("create", help=cli_help("help_topics_create")).set_defaults(run=_topics)
    sub.add_parser("worker", help=cli_help("help_worker")).set_defaults(run=_worker)
    agreements = sub.add_parser("agreements", help=cli_help("help_agreements")).add_subparsers(
        dest="action", required=True
    )
    load = agreements.add_parser("load", help=cli_help("help_agreements_load"))
    load.add_argument("path")
    load.set_defaults(run=_agreements_load)
    schemas = sub.add_parser("schemas", help=cli_help("help_schemas")).add_subparsers(
        dest="action", required=True
    )
    schemas.add_parser("export", help=cli_help("help_schemas_export")).set_defaults(
        run=_schemas_export
    )
    sub.add_parser("counts", help=cli_help("help_counts")).set_defaults(run=_counts)
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
