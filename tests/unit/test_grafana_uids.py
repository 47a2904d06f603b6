"""Attack (issue 16, item 8): agreement ids that differ only in punctuation ("umea-alidhem", "umea.alidhem",
"umea:alidhem") or after 34 characters shared one Grafana folder, so one agreement's team saw the other's
board. Every id now gets its own valid uid."""

from __future__ import annotations

import re

from trygg.adapters.grafana import folder_uid

COLLIDING = ["umea-alidhem", "umea.alidhem", "umea:alidhem", "umea_alidhem",
             "a" * 34 + "-north", "a" * 34 + "-south", "a" * 34, "avtal_x"]


def test_every_agreement_id_has_its_own_valid_folder_uid() -> None:
    uids = [folder_uid(a) for a in COLLIDING]
    assert len(set(uids)) == len(COLLIDING)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,40}", uid) for uid in uids)


def test_plain_ids_keep_the_folder_uid_they_had() -> None:
    assert folder_uid("umea-alidhem") == "avtal-umea-alidhem"
    assert folder_uid("umea.alidhem").startswith("avtal_umea-alidhem_")
