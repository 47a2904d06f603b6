"""Use case: provision a running Grafana (data source, boards, per agreement a folder and a team) and invite
partners' users to their agreement's team."""

from __future__ import annotations

from trygg.adapters import grafana
from trygg.adapters.database import connect
from trygg.adapters.read_model import agreement_names
from trygg.settings import Settings


def sync_grafana(settings: Settings) -> grafana.SyncReport:
    """Upsert everything for the agreements in the database; running it again changes nothing."""
    with connect(settings.database_url) as conn:
        agreements = agreement_names(conn)
    return grafana.sync(grafana.grafana_api(settings), agreements, reader_password=settings.database_reader_password,
                        timeout_s=settings.grafana_wait_seconds)


def invite_partner(settings: Settings, agreement_id: str, email: str) -> str:
    """Add the user with this e-mail (created when missing) to the agreement's team; what was done, in words."""
    return grafana.invite(grafana.grafana_api(settings), agreement_id, email)
