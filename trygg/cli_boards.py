"""`trygg dashboards build`, `trygg grafana sync` and `trygg grafana invite`."""

from __future__ import annotations

import argparse

from trygg.settings import Settings


def _build(_: Settings, args: argparse.Namespace) -> int:
    from trygg.boards.build import write_boards

    for path in write_boards():
        print(f"wrote {path}")
    return 0


def _sync(settings: Settings, _: argparse.Namespace) -> int:
    from trygg.app.sync_grafana import sync_grafana

    print(sync_grafana(settings))
    return 0


def _invite(settings: Settings, args: argparse.Namespace) -> int:
    from trygg.app.sync_grafana import invite_partner

    print(invite_partner(settings, args.agreement, args.email))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    dashboards = sub.add_parser("dashboards", help="Grafana boards as code").add_subparsers(dest="action", required=True)
    dashboards.add_parser("build", help="write dashboards/intern/*.json from trygg/boards").set_defaults(run=_build)
    grafana = sub.add_parser("grafana", help="provision a running Grafana").add_subparsers(dest="action", required=True)
    grafana.add_parser(
        "sync", help="upsert data source and boards; per agreement a folder and a team that may view it"
    ).set_defaults(run=_sync)
    invite = grafana.add_parser("invite", help="add a partner's user to an agreement's team")
    invite.add_argument("--agreement", required=True, help="agreement id")
    invite.add_argument("email")
    invite.set_defaults(run=_invite)
