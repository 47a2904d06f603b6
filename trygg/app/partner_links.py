"""Use case: partners' personal report links (issued, listed and revoked by the agreement's coordinator)."""

from __future__ import annotations

from trygg.adapters import intake
from trygg.adapters.database import connect
from trygg.domain.intake import Link
from trygg.settings import Settings

LinkError = intake.LinkError


def link_url(settings: Settings, token: str) -> str:
    return f"{settings.form_base_url.rstrip('/')}/r/{token}"


def issue_link(settings: Settings, agreement_id: str, partner_id: str, site_ids: list[str]) -> str:
    """A new link for a partner of an agreement (all its sites there, or `site_ids`); its URL, shown once.

    Raises LinkError for a partner outside the agreement or a site that is not the partner's.
    """
    with connect(settings.database_url) as conn:
        return link_url(settings, intake.issue_link(conn, agreement_id, partner_id, site_ids))


def list_links(settings: Settings) -> list[Link]:
    with connect(settings.database_url) as conn:
        return intake.list_links(conn)


def revoke_links(settings: Settings, *, token_prefix: str | None = None, partner_id: str | None = None) -> int:
    """Revoke by token prefix (at least 6 characters) or all of a partner's links; how many were revoked."""
    with connect(settings.database_url) as conn:
        return intake.revoke_links(conn, token_prefix=token_prefix, partner_id=partner_id)
