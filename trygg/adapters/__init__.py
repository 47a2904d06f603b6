"""Adapters at the edges: PostgreSQL/TimescaleDB, Kafka and Grafana. The only code that runs SQL.

Every table is written by one module here, its owner (TABLE_OWNERS; tests/unit/test_architecture.py checks
that no other module writes it). Other rooms read through these modules too, never with SQL of their own.

The transaction rule, for every connection (trygg.adapters.database.connect and .pool): connections are in
autocommit mode, so a single statement commits on its own, and every write of more than one statement is one
`with conn.transaction():` block. The owner's function opens that block itself, unless its docstring says it
runs "inside the caller's transaction": then the caller (a use case joining two owners' writes, such as a
form's submission and its outbox rows) opens it, and the function never commits on its own. Nothing is ever
committed with conn.commit().
"""

TABLE_OWNERS = {
    # the event store and the agreements that place its events (a redraw recounts in the same transaction)
    "agreements": "trygg.adapters.database",
    "partners": "trygg.adapters.database",
    "measures": "trygg.adapters.database",
    "sites": "trygg.adapters.database",
    "areas": "trygg.adapters.database",
    "agreement_control_areas": "trygg.adapters.database",
    "area_revision": "trygg.adapters.database",
    "event_ledger": "trygg.adapters.database",
    "incident_events": "trygg.adapters.database",
    "incident_notes": "trygg.adapters.database",
    "incident_counts_hourly": "trygg.adapters.database",
    "rejected_events": "trygg.adapters.database",
    # perceived safety: survey waves (a newer import replaces its wave) and pulse answers, as aggregates only
    "survey_waves": "trygg.adapters.surveys",
    "survey_results": "trygg.adapters.surveys",
    "pulse_counts": "trygg.adapters.surveys",
    # intake: accepted reports wait in the outbox for the relay
    "outbox": "trygg.adapters.outbox",
    "partner_links": "trygg.adapters.intake",
    "form_submissions": "trygg.adapters.intake",
    "agencies": "trygg.adapters.agencies",
    "import_progress": "trygg.adapters.agencies",
    "import_rejections": "trygg.adapters.agencies",
    "schema_migrations": "trygg.adapters.migrations",
    "schema_repeatables": "trygg.adapters.migrations",
    "survey_questions": "trygg.adapters.migrations",  # synced from schemas.survey.QUESTIONS by every migrate
    "survey_thresholds": "trygg.adapters.migrations",
}
