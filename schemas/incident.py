"""Incident events: the one message every report becomes (topic `incidents.reported`)."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

SCHEMA_VERSION = 1
NOTE_MAX_LENGTH = 500
EARLIEST_YEAR = 2000

# Sweden's bounding box, generous at the coast: a point outside it is a typo or a swapped lat/lon.
SWEDEN_LAT = (55.0, 69.2)
SWEDEN_LON = (10.5, 24.3)


class Category(str, enum.Enum):
    """Controlled vocabulary of incident categories."""

    shoplifting = "shoplifting"
    theft = "theft"
    burglary = "burglary"
    robbery = "robbery"
    drug_dealing = "drug_dealing"
    vandalism = "vandalism"
    graffiti = "graffiti"
    threat = "threat"
    violence = "violence"
    harassment = "harassment"
    disturbance = "disturbance"
    other = "other"


class SourceKind(str, enum.Enum):
    """Who reported: a partner of the agreement or an agency."""

    shop = "shop"
    property_owner = "property_owner"
    school = "school"
    police = "police"
    municipality = "municipality"


class Precision(str, enum.Enum):
    """How exact the location is. `municipality` points (e.g. police press events) are never placed in an area."""

    point = "point"
    municipality = "municipality"


def _storable(value: str | None) -> str | None:
    # PostgreSQL text cannot hold NUL; refuse it here rather than fail a whole batch at write time.
    if value is not None and "\x00" in value:
        raise PydanticCustomError("invalid_value", "text contains a NUL character")
    return value


# Checked by pydantic's core (a Python validator here costs more than the rest of validation): an offset is
# required, and nothing before 2000 (a typo, not history).
Timestamp = Annotated[AwareDatetime, Field(ge=datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC))]



class Location(BaseModel):
    """Where it happened: a WGS84 point, a registered site, and/or (for coarse reports) only a municipality."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lat: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    lon: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)
    site_id: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    municipality: str | None = Field(None, min_length=1, max_length=64)
    precision: Precision = Precision.point

    _no_nul = field_validator("municipality")(_storable)

    @model_validator(mode="after")
    def _complete(self) -> Location:
        if (self.lat is None) != (self.lon is None):
            raise PydanticCustomError("incomplete_point", "lat and lon must be given together")
        has_point = self.lat is not None
        if not has_point and self.site_id is None and self.municipality is None:
            raise PydanticCustomError("missing_location", "give lat/lon, a registered site_id or a municipality")
        if has_point and not (
            SWEDEN_LAT[0] <= self.lat <= SWEDEN_LAT[1] and SWEDEN_LON[0] <= self.lon <= SWEDEN_LON[1]  # type: ignore[operator]
        ):
            raise PydanticCustomError(
                "location_outside_sweden", "point {lat},{lon} lies outside Sweden", {"lat": self.lat, "lon": self.lon}
            )
        if self.precision is Precision.municipality and self.municipality is None:
            raise PydanticCustomError(
                "missing_municipality", "precision 'municipality' needs the municipality's name"
            )
        return self


class IncidentEvent(BaseModel):
    """One reported incident. `event_id` is the idempotency key: re-sending it changes nothing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: uuid.UUID
    schema_version: Literal[1] = SCHEMA_VERSION
    source: SourceKind
    reporter: str = Field(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$", description="pseudonymous partner or agency id"
    )
    category: Category
    occurred_at: Timestamp
    reported_at: Timestamp
    location: Location
    external_id: str | None = Field(None, min_length=1, max_length=128, description="e.g. a police event id")
    note: str | None = Field(
        None, max_length=NOTE_MAX_LENGTH, description="short free text; never shown on boards, erased after retention"
    )

    _no_nul = field_validator("external_id", "note")(_storable)

    @model_validator(mode="after")
    def _ordered(self) -> IncidentEvent:
        if self.reported_at < self.occurred_at:
            raise PydanticCustomError("reported_before_occurred", "reported_at is earlier than occurred_at")
        return self
