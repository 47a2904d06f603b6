"""`trygg police-feed`, `trygg agencies add|list|revoke` and `trygg import`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trygg.settings import Settings


def _police_feed(settings: Settings, _: argparse.Namespace) -> int:
    from services.police_feed.app import run

    run(settings)
    return 0


def _agencies_add(settings: Settings, args: argparse.Namespace) -> int:
    from trygg.app.agencies import add_agency

    if not args.municipality and not args.agreement:
        print("fel: ange minst en --municipality eller --agreement (error: give a scope)", file=sys.stderr)
        return 2
    token = add_agency(settings, args.agency_id, args.source, args.municipality, args.agreement, args.reporter)
    print(f"agency {args.agency_id}: token (shown once, store it safely):\n{token}")
    return 0


def _agencies_list(settings: Settings, _: argparse.Namespace) -> int:
    from trygg.app.agencies import list_agencies

    rows = list_agencies(settings)
    print(f"{'agency':<24} {'source':<14} {'status':<8} scope")
    for agency_id, source, municipalities, agreements, _created, revoked in rows:
        scope = ", ".join([*municipalities, *agreements])
        print(f"{agency_id:<24} {source:<14} {'revoked' if revoked else 'active':<8} {scope}")
    return 0


def _agencies_revoke(settings: Settings, args: argparse.Namespace) -> int:
    from trygg.app.agencies import revoke_agency

    revoked = revoke_agency(settings, args.agency_id)
    print(f"agency {args.agency_id}: " + ("token revoked" if revoked else "no active token"))
    return 0 if revoked else 1


def _import(settings: Settings, args: argparse.Namespace) -> int:
    from trygg.app.import_file import run_import

    path = Path(args.path)
    try:
        result = run_import(settings, path, args.format, args.agency, Path(args.report) if args.report else None)
    except (OSError, ValueError) as exc:
        print(f"fel: {exc}", file=sys.stderr)
        return 2
    print(f"Import klar / import done: {result['accepted']} godkända (accepted), {result['duplicates']} dubbletter "
          f"(duplicates), {result['rejected']} avvisade (rejected) av {result['lines']} rader")
    for row in result["rejected_lines"][:20]:
        print(f"  rad {row['line']}: {row['reason']} {row['field']}: {row['message']}")
    if result["rejected"] > 20:
        print(f"  … och {result['rejected'] - 20} till")
    print(f"sammanfattning / summary: {args.report or str(path) + '.summary.json'}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the police feed's commands to `trygg`."""
    sub.add_parser("police-feed", help="run the police feed (batch endpoint and Open311)").set_defaults(
        run=_police_feed
    )
    agencies = sub.add_parser("agencies", help="agency tokens for the police feed").add_subparsers(
        dest="action", required=True
    )
    add = agencies.add_parser("add", help="issue a bearer token for an agency (replaces its old one)")
    add.add_argument("agency_id")
    add.add_argument("--source", default="police",
                     choices=["police", "municipality", "shop", "property_owner", "school"])
    add.add_argument("--municipality", action="append", default=[], help="may report for this municipality")
    add.add_argument("--agreement", action="append", default=[], help="may report for this agreement's area")
    add.add_argument("--reporter", action="append", default=[],
                     help="a reporter id its events may carry besides the agency's own id (e.g. a station)")
    add.set_defaults(run=_agencies_add)
    agencies.add_parser("list", help="agencies and their scope").set_defaults(run=_agencies_list)
    revoke = agencies.add_parser("revoke", help="revoke an agency's token")
    revoke.add_argument("agency_id")
    revoke.set_defaults(run=_agencies_revoke)
    imp = sub.add_parser("import", help="backfill events from a CSV, NDJSON or police NDJSON file (resumable)")
    imp.add_argument("path")
    imp.add_argument("--format", choices=["csv", "ndjson", "police"], help="default: by file suffix")
    imp.add_argument("--agency", help="check each event against this agency's scope")
    imp.add_argument("--report", help="where the summary goes (default PATH.summary.json)")
    imp.set_defaults(run=_import)
