"""What the boards share: the data source, a SQL dataquery (the SDK has none), variables, annotations and
the "<3" display of suppressed counts."""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.variants import Dataquery
from grafana_foundation_sdk.models import dashboard as model

from trygg.boards.queries import Query

DATASOURCE = model.DataSourceRef(type_val="grafana-postgresql-datasource", uid="trygg-timescaledb")


class SqlQuery(Dataquery):
    """A raw-SQL target of Grafana's PostgreSQL data source."""

    def __init__(self, query: Query, ref_id: str = "A") -> None:
        self.query = query
        self.ref_id = ref_id

    def to_json(self) -> dict[str, Any]:
        return {"datasource": DATASOURCE, "editorMode": "code", "format": self.query.format, "rawQuery": True,
                "rawSql": self.query.sql, "refId": self.ref_id}


class Sql(Builder[SqlQuery]):
    def __init__(self, query: Query, ref_id: str = "A") -> None:
        self._query = SqlQuery(query, ref_id)

    def build(self) -> SqlQuery:
        return self._query


class _SqlAnnotation:
    def __init__(self, name: str, query: Query) -> None:
        self.name, self.query = name, query

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "datasource": DATASOURCE, "enable": True, "iconColor": "orange",
                "target": SqlQuery(self.query).to_json()}


class SqlAnnotation(Builder[_SqlAnnotation]):
    """Annotations from a SQL query returning time, text and tags (the SDK models only Grafana's own)."""

    def __init__(self, name: str, query: Query) -> None:
        self._annotation = _SqlAnnotation(name, query)

    def build(self) -> _SqlAnnotation:
        return self._annotation


def query_variable(name: str, label: str, query: Query, *, multi: bool = False,
                   include_all: bool = False) -> db.QueryVariable:
    return (
        db.QueryVariable(name).label(label).datasource(DATASOURCE).query(query.sql)
        .refresh(model.VariableRefresh.ON_DASHBOARD_LOAD).multi(multi).include_all(include_all)
        .allow_custom_value(False)
    )


# Suppressed counts come back as NULL; partner-facing panels show them as "<3".
SUPPRESSED = [model.SpecialValueMap(options=db.DashboardSpecialValueMapOptions()
                                    .match(model.SpecialValueMatch.NULL)
                                    .result(model.ValueMappingResult(text="<3")).build())]


def render(board: db.Dashboard) -> str:
    """Dashboard JSON with sorted keys, so regenerating an unchanged board gives identical bytes."""
    document = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
