"""`trygg dashboards build`, `trygg grafana sync` and `trygg grafana invite`."""

from __future__ import annotations

import argparse

from trygg.settings import Settings
from trygg.texts import cli_help, say


def _build(_: Settings, args: argparse.Namespace) -> int:
    from trygg.boards.build import write_boards

    for path in write_boards():
        print(f"{say('wrote')}: {path}")
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
    dashboards = sub.add_parser("dashboards", help=cli_help("help_dashboards")).add_subparsers(
        dest="action", required=True
    )
    dashboards.add_parser("build", help=cli_help("help_dashboards_build")).set_defaults(run=_build)
    grafana = sub.add_parser("grafana", help=cli_help("help_grafana")).add_subparsers(dest="action", required=True)
    grafana.add_parser("sync", help=cli_help("help_grafana_sync")).set_defaults(run=_sync)
    invite = grafana.add_parser("invite", help=cli_help("help_grafana_invite"))
    invite.add_argument("--agreement", required=True, help=cli_help("help_agreement_id"))
    invite.add_argument("email")
    invite.set_defaults(run=_invite)
