"""`trygg relay`, `trygg form` and `trygg partners`: the report form, its links and the outbox relay."""

from __future__ import annotations

import argparse
import sys

from trygg.settings import Settings
from trygg.texts import cli_help, say


def _relay(settings: Settings, _: argparse.Namespace) -> int:
    from services.relay.app import run_relay

    run_relay(settings)
    return 0


def _form(settings: Settings, _: argparse.Namespace) -> int:
    from services.report_form.app import serve

    serve(settings)
    return 0


def _issue(settings: Settings, args: argparse.Namespace) -> int:
    from trygg.app.partner_links import LinkError, issue_link

    try:
        url = issue_link(settings, args.agreement, args.partner, args.site or [])
    except LinkError as exc:
        print(f"{say('error')}: {exc}", file=sys.stderr)
        return 2
    print(url)
    if args.qr or args.qr_png:
        import qrcode

        code = qrcode.QRCode(border=2)
        code.add_data(url)
        if args.qr:
            code.print_ascii(out=sys.stdout, invert=True)
        if args.qr_png:
            code.make_image().save(args.qr_png)
            print(f"{say('qr_written')}: {args.qr_png}")
    return 0


def _list(settings: Settings, _: argparse.Namespace) -> int:
    from trygg.app.partner_links import list_links

    links = list_links(settings)
    print(f"{say('col_token'):<9} {say('col_partner'):<20} {say('col_agreement'):<17} {say('col_created'):<17} "
          f"{say('col_status'):<31} {say('col_sites')}")
    for link in links:
        status = f"{say('revoked')} {link.revoked_at:%Y-%m-%d}" if link.revoked_at else say("active")
        sites = ", ".join(s.site_id for s in link.sites) or "-"
        print(f"{link.token_prefix + '…':<9} {link.partner_id:<20} {link.agreement_id:<17} "
              f"{link.created_at:%Y-%m-%d %H:%M} {status:<31} {sites}")
    return 0


def _revoke(settings: Settings, args: argparse.Namespace) -> int:
    from trygg.app.partner_links import LinkError, revoke_links

    if bool(args.token_prefix) == bool(args.partner):
        print(say("token_or_partner"), file=sys.stderr)
        return 2
    try:
        revoked = revoke_links(settings, token_prefix=args.token_prefix, partner_id=args.partner)
    except LinkError as exc:
        print(f"{say('error')}: {exc}", file=sys.stderr)
        return 2
    print(say("links_revoked", revoked=revoked))
    return 0 if revoked else 1


def register(sub: argparse._SubParsersAction) -> None:
    """Add the intake commands to the `trygg` parser."""
    sub.add_parser("relay", help=cli_help("help_relay")).set_defaults(run=_relay)
    sub.add_parser("form", help=cli_help("help_form")).set_defaults(run=_form)
    partners = sub.add_parser("partners", help=cli_help("help_partners")).add_subparsers(
        dest="action", required=True
    )
    issue = partners.add_parser("issue", help=cli_help("help_partners_issue"))
    issue.add_argument("--agreement", required=True)
    issue.add_argument("--partner", required=True)
    issue.add_argument("--site", action="append", help=cli_help("help_site"))
    issue.add_argument("--qr", action="store_true", help=cli_help("help_qr"))
    issue.add_argument("--qr-png", metavar="FILE", help=cli_help("help_qr_png"))
    issue.set_defaults(run=_issue)
    partners.add_parser("list", help=cli_help("help_partners_list")).set_defaults(run=_list)
    revoke = partners.add_parser("revoke", help=cli_help("help_partners_revoke"))
    revoke.add_argument("token_prefix", nargs="?")
    revoke.add_argument("--partner")
    revoke.set_defaults(run=_revoke)
