"""JSON Schema files generated from the models, committed next to them for producers in other languages."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from schemas.agreement import Agreement
from schemas.incident import IncidentEvent
from schemas.rejection import Rejection
from schemas.survey import PulseAnswerEvent, SurveyWaveEvent

JSON_DIR = Path(__file__).resolve().parent / "json"
EXPORTED: dict[str, type[BaseModel]] = {
    "incident-event": IncidentEvent,
    "rejection": Rejection,
    "agreement": Agreement,
    "survey-wave-event": SurveyWaveEvent,
    "pulse-answer-event": PulseAnswerEvent,
}


def json_schema_text(model: type[BaseModel]) -> str:
    """The schema as committed: stable key order, trailing newline."""
    return json.dumps(model.model_json_schema(mode="validation"), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_json_schemas(directory: Path = JSON_DIR) -> list[Path]:
    directory.mkdir(exist_ok=True)
    written = []
    for name, model in EXPORTED.items():
        path = directory / f"{name}.schema.json"
        path.write_text(json_schema_text(model), encoding="utf-8")
        written.append(path)
    return written
