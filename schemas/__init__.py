"""Event, agreement and area models: the contracts between producers, processors and boards."""

from schemas.agreement import (
    Agreement,
    AreaKind,
    ControlArea,
    Measure,
    Partner,
    PartnerRole,
    Polygon,
    Site,
    agreements_from_geojson,
    municipality_area_id,
)
from schemas.incident import (
    NOTE_MAX_LENGTH,
    SCHEMA_VERSION,
    Category,
    IncidentEvent,
    Location,
    Precision,
    SourceKind,
)
from schemas.rejection import FieldError, Rejection, RejectionReason

__all__ = [
    "Agreement", "AreaKind", "Category", "ControlArea", "FieldError", "IncidentEvent",
    "Location", "Measure", "NOTE_MAX_LENGTH", "Partner", "PartnerRole", "Polygon", "Precision", "Rejection",
    "RejectionReason", "SCHEMA_VERSION", "Site", "SourceKind", "agreements_from_geojson", "municipality_area_id",
]
