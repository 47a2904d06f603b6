"""Who may read which agreement: the names the database and Grafana give each agreement's tenant.

An agreement's partners read its numbers as their own PostgreSQL role, through their own Grafana
organization and data source; nothing else of the platform is theirs. The names are derived from the
agreement id, injectively (a hash), so that two ids can never share a role or an organization.
"""

from __future__ import annotations

import hashlib
import hmac

ROLE_PREFIX = "trygg_agreement_"


def _digest(agreement_id: str) -> str:
    return hashlib.sha256(agreement_id.encode()).hexdigest()[:24]


def agreement_role(agreement_id: str) -> str:
    """The PostgreSQL role an agreement's partners read as (40 characters, well under PostgreSQL's 63)."""
    return ROLE_PREFIX + _digest(agreement_id)


def agreement_role_password(secret: str, agreement_id: str) -> str:
    """The role's password, derived from the platform's secret so that re-running sync never rotates it.

    Only the secret (in the environment) and Grafana's encrypted data source hold it; PostgreSQL keeps a
    SCRAM verifier.
    """
    return hmac.new(secret.encode(), b"agreement-role:" + agreement_id.encode(), hashlib.sha256).hexdigest()


def agreement_org_name(agreement_id: str, name: str) -> str:
    """The Grafana organization of an agreement: its name as partners see it, with the id for uniqueness."""
    return f"{name} ({agreement_id})"
