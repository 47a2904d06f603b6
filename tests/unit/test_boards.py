"""The committed dashboards are what the code generates, and they follow the boards' rules."""

import json

from trygg.boards import queries as q
from trygg.boards.build import DASHBOARDS_DIR, rendered


def test_committed_dashboards_equal_the_generated_ones():
    for name, text in rendered().items():
        path = DASHBOARDS_DIR / name
        assert path.is_file() and path.read_text(encoding="utf-8") == text, (
            f"dashboards/intern/{name} differs from the generated board: run `trygg dashboards build`"
        )


def test_every_panel_query_is_one_of_the_tested_queries():
    known = {query.sql for query in q.ALL_QUERIES}
    for text in rendered().values():
        board = json.loads(text)
        sqls = [t["rawSql"] for p in board["panels"] for t in p.get("targets", [])]
        sqls += [a["target"]["rawSql"] for a in board.get("annotations", {}).get("list", [])]
        sqls += [v["query"] for v in board.get("templating", {}).get("list", [])]
        assert sqls and set(sqls) <= known


def test_no_query_reads_free_text_or_events_directly():
    for query in q.ALL_QUERIES:
        assert "incident_notes" not in query.sql
        assert "incident_events" not in query.sql


def test_a_change_is_never_shown_without_its_interval():
    for query in q.ALL_QUERIES:
        if "rate_ratio" in query.sql:
            assert "95 % KI" in query.sql and "ci_low" in query.sql and "ci_high" in query.sql
