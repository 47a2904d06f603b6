"""`trygg police-feed`, `trygg agencies add|list|revoke` and `trygg import`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trygg.settings import Settings
from trygg.texts import cli_help, say


def _police_feed(settings: Settings, _: argparse.Namespace) -> int:
    from services.police_feed.app import run

    run(settings)
    return 0


def _agencies_add(settings: Settings, args: argparse.Namespace) -> int:
    from trygg.app.agencies import add_agency

    if not args.municipality and not args.agreement:
        print(say("scope_missing"), file=sys.stderr)
        return 2
    token = add_agency(settings, args.agency_id, args.source, args.municipality, args.agreement, args.reporter)
    print(f"{say('agency_token', agency=args.agency_id)}:\n{token}")
    return 0


def _agencies_list(settings: Settings, _: argparse.Namespace) -> int:
    from trygg.app.agencies import list_agencies

    rows = list_agencies(settings)
    print(f"{say('col_agency'):<24} {say('col_source'):<14} {say('col_status'):<20} {say('col_scope')}")
    for agency_id, source, municipalities, agreements, _created, revoked in rows:
        scope = ", ".join([*municipalities, *agreements])
        print(f"{agency_id:<24} {source:<14} {say('revoked') if revoked else say('active'):<20} {scope}")
    return 0


def _agencies_revoke(settings: Settings, args: argparse.Namespace) -> int:
    from trygg.app.agencies import revoke_agency

    revoked = revoke_agency(settings, args.agency_id)
    print(say("agency_revoked" if revoked else "agency_not_active", agency=args.agency_id))
    return 0 if revoked else 1


def _import(settings: Settings, args: argparse.Namespace) -> int:
    from trygg.app.import_file import run_import

    path = Path(args.path)
    try:
        result = run_import(settings, path, args.format, args.agency, Path(args.report) if args.report else None)
    except (OSError, ValueError) as exc:
        print(f"{say('error')}: {exc}", file=sys.stderr)
        return 2
    print(say("import_done", accepted=result["accepted"], duplicates=result["duplicates"],
              rejected=result["rejected"], lines=result["lines"]))
    for row in result["rejected_lines"][:20]:
        print(f"  {say('import_line')} {row['line']}: {row['reason']} {row['field']}: {row['message']}")
    if result["rejected"] > 20:
        print(f"  {say('import_more', more=result['rejected'] - 20)}")
    summary = args.report or f"{path}.summary.json"
    print(f"{say('import_summary')}: {summary}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the police feed's commands to `trygg`."""
    sub.add_parser("police-feed", help=cli_help("help_police_feed")).set_defaults(run=_police_feed)
    agencies = sub.add_parser("agencies", help=cli_help("help_agencies")).add_subparsers(
        dest="action", required=True
    )
    add = agencies.add_parser("add", help=cli_help("help_agencies_add"))
    add.add_argument("agency_id")
    add.add_argument("--source", default="police",
                     choices=["police", "municipality", "shop", "property_owner", "school"])
    add.add_argument("--municipality", action="append", default=[], help=cli_help("help_municipality"))
    add.add_argument("--agreement", action="append", default=[], help=cli_help("help_agency_agreement"))
    add.add_argument("--reporter", action="append", default=[], help=cli_help("help_reporter"))
    add.set_defaults(run=_agencies_add)
    agencies.add_parser("list", help=cli_help("help_agencies_list")).set_defaults(run=_agencies_list)
    revoke = agencies.add_parser("revoke", help=cli_help("help_agencies_revoke"))
    revoke.add_argument("agency_id")
    revoke.set_defaults(run=_agencies_revoke)
    imp = sub.add_parser("import", help=cli_help("help_import"))
    imp.add_argument("path")
    imp.add_argument("--format", choices=["csv", "ndjson", "police"], help=cli_help("help_import_format"))
    imp.add_argument("--agency", help=cli_help("help_import_agency"))
    imp.add_argument("--report", help=cli_help("help_import_report"))
    imp.set_defaults(run=_import)
