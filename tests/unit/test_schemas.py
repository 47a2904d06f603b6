"""The shared models: immutable, strict, labelled, exported as JSON Schema, and loaded from agreement GeoJSON."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from schemas import (
    Agreement,
    Category,
    FieldError,
    IncidentEvent,
    Location,
    Rejection,
    RejectionReason,
    Site,
    agreements_from_geojson,
)
from schemas.export import EXPORTED, JSON_DIR, json_schema_text
from trygg import texts

UMEA_SQUARE = [[20.30, 63.81], [20.32, 63.81], [20.32, 63.82], [20.30, 63.82], [20.30, 63.81]]

EVENT = {
    "event_id": "3f2b8c1e-2d4a-4b7e-9a51-0c6f1d2e3a4b",
    "source": "shop",
    "reporter": "ica-alidhem-1",
    "category": "shoplifting",
    "occurred_at": "2024-05-01T13:00:00+02:00",
    "reported_at": "2024-05-01T13:05:00+02:00",
    "location": {"lat": 63.8167, "lon": 20.3083},
}
AGREEMENT = {
    "agreement_id": "alidhem",
    "name": "Trygga Alidhem",
    "municipality": "Umeå",
    "signed_at": "2024-01-15",
    "geometry": {"type": "Polygon", "coordinates": [UMEA_SQUARE]},
    "partners": [{"id": "ica-alidhem", "name": "ICA Alidhem", "role": "shop"}],
}
SITE = {
    "site_id": "ica-alidhem",
    "agreement_id": "alidhem",
    "partner_id": "ica-alidhem",
    "name": "ICA Alidhem",
    "lat": 63.815,
    "lon": 20.31,
}
FIELD_ERROR = {"field": "category", "reason": "unknown_category", "message": "Input should be ..."}
REJECTION = {
    "reason": "unknown_category",
    "message": "category: Input should be ...",
    "errors": [FIELD_ERROR],
    "payload": "{}",
    "rejected_at": datetime(2024, 5, 1, 12, tzinfo=UTC),
}

MODELS: list[tuple[type[BaseModel], dict[str, Any], str]] = [
    (IncidentEvent, EVENT, "category"),
    (Location, EVENT["location"], "lat"),
    (Agreement, AGREEMENT, "name"),
    (Site, SITE, "name"),
    (FieldError, FIELD_ERROR, "message"),
    (Rejection, REJECTION, "payload"),
]
MODEL_IDS = [model.__name__ for model, _, _ in MODELS]


# --- immutability and strictness --------------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "document", "attribute"), MODELS, ids=MODEL_IDS)
def test_models_are_frozen(model: type[BaseModel], document: dict[str, Any], attribute: str) -> None:
    instance = model.model_validate(document)
    before = getattr(instance, attribute)

    with pytest.raises(ValidationError, match="frozen"):
        setattr(instance, attribute, before)
    assert getattr(instance, attribute) == before


@pytest.mark.parametrize(("model", "document", "attribute"), MODELS, ids=MODEL_IDS)
def test_models_forbid_unknown_fields(model: type[BaseModel], document: dict[str, Any], attribute: str) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate({**document, "colour": "red"})

    assert [(e["type"], e["loc"]) for e in caught.value.errors()] == [("extra_forbidden", ("colour",))]


# --- committed JSON Schemas -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "model"), EXPORTED.items(), ids=list(EXPORTED))
def test_committed_json_schema_matches_the_model(name: str, model: type[BaseModel]) -> None:
    path = JSON_DIR / f"{name}.schema.json"

    assert path.is_file(), f"{path} is missing; run `trygg schemas export` and commit the result"
    assert path.read_text(encoding="utf-8") == json_schema_text(model), (
        f"{path.name} is out of date with {model.__name__}; run `trygg schemas export` and commit the result"
    )


def test_every_committed_json_schema_is_exported() -> None:
    committed = {p.name.removesuffix(".schema.json") for p in JSON_DIR.glob("*.schema.json")}
    assert committed == set(EXPORTED)


# --- category labels ----------------------------------------------------------------------------------------------

LABELS = {
    "shoplifting": ("snatteri", "shoplifting"),
    "theft": ("stöld", "theft"),
    "burglary": ("inbrott", "burglary"),
    "robbery": ("rån", "robbery"),
    "drug_dealing": ("narkotikahandel", "drug dealing"),
    "vandalism": ("skadegörelse", "vandalism"),
    "graffiti": ("klotter", "graffiti"),
    "threat": ("hot", "threat"),
    "violence": ("våld", "violence"),
    "harassment": ("ofredande", "harassment"),
    "disturbance": ("ordningsstörning", "disturbance"),
    "other": ("övrigt", "other"),
}


def test_label_table_covers_every_category() -> None:
    assert set(LABELS) == {c.value for c in Category}
    assert set(texts.CATEGORIES) == set(Category)


@pytest.mark.parametrize("category", list(Category), ids=lambda c: c.value)
def test_category_has_swedish_and_english_label(category: Category) -> None:
    swedish, english = LABELS[category.value]

    assert texts.category_label(category).casefold() == swedish
    assert texts.category_label(category, "en").casefold() == english


# --- agreements GeoJSON -------------------------------------------------------------------------------------------


def feature(kind: str, geometry: dict[str, Any] | None, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": {"kind": kind, **properties}}


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def agreement_feature(**overrides: Any) -> dict[str, Any]:
    properties = {k: v for k, v in AGREEMENT.items() if k != "geometry"}
    properties.update(overrides)
    geometry = properties.pop("geometry", AGREEMENT["geometry"])
    return feature("agreement", geometry, **properties)


def control_feature(area_id: str = "ersboda", agreement_id: str = "alidhem", **geometry: Any) -> dict[str, Any]:
    square = [[20.24, 63.85], [20.26, 63.85], [20.26, 63.86], [20.24, 63.86], [20.24, 63.85]]
    return feature(
        "control_area",
        geometry or {"type": "Polygon", "coordinates": [square]},
        area_id=area_id,
        agreement_id=agreement_id,
        name="Ersboda",
    )


def site_feature(**overrides: Any) -> dict[str, Any]:
    properties = {k: v for k, v in SITE.items() if k not in ("lat", "lon")}
    properties.update(overrides)
    return feature("site", {"type": "Point", "coordinates": [SITE["lon"], SITE["lat"]]}, **properties)


def test_valid_agreements_file_loads() -> None:
    (agreement,) = agreements_from_geojson(collection(agreement_feature(), control_feature(), site_feature()))

    assert agreement.agreement_id == "alidhem"
    assert agreement.municipality == "Umeå"
    assert [c.area_id for c in agreement.control_areas] == ["ersboda"]
    assert [(s.site_id, s.lat, s.lon) for s in agreement.sites] == [("ica-alidhem", 63.815, 20.31)]


def test_unknown_kind_is_refused() -> None:
    document = collection(agreement_feature(), feature("school_zone", None, agreement_id="alidhem"))

    with pytest.raises(ValueError, match=r"feature 2: properties.kind must be agreement, control_area or site") as e:
        agreements_from_geojson(document)
    assert "'school_zone'" in str(e.value)


def test_control_area_of_unknown_agreement_is_refused() -> None:
    document = collection(agreement_feature(), control_feature(agreement_id="ersboda-avtal"))

    with pytest.raises(ValueError, match="feature 2: control area ersboda refers to agreement ersboda-avtal, which is not"):
        agreements_from_geojson(document)


def test_site_of_unknown_agreement_is_refused() -> None:
    document = collection(agreement_feature(), site_feature(agreement_id="teg"))

    with pytest.raises(ValueError, match="feature 2: site ica-alidhem refers to agreement teg, which is not in the file"):
        agreements_from_geojson(document)


TEG_SQUARE = [[20.28, 63.81], [20.30, 63.81], [20.30, 63.82], [20.28, 63.82], [20.28, 63.81]]


def teg_feature(**overrides: Any) -> dict[str, Any]:
    return agreement_feature(agreement_id="teg", name="Trygga Teg", partners=[],
                             geometry={"type": "Polygon", "coordinates": [TEG_SQUARE]}, **overrides)


def test_one_control_area_shared_by_two_agreements_is_one_area_named_by_both() -> None:
    reference = control_feature(agreement_id="teg")
    reference["geometry"] = None  # the polygon is given once, by the first feature
    del reference["properties"]["name"]
    alidhem, teg = agreements_from_geojson(collection(agreement_feature(), teg_feature(), control_feature(), reference))

    assert alidhem.control_areas == teg.control_areas
    assert teg.control_areas[0].name == "Ersboda"


def test_the_same_polygon_may_be_repeated_for_a_shared_control_area() -> None:
    alidhem, teg = agreements_from_geojson(
        collection(agreement_feature(), teg_feature(), control_feature(), control_feature(agreement_id="teg")))

    assert alidhem.control_areas[0].geometry == teg.control_areas[0].geometry


def test_one_area_id_with_two_polygons_is_refused_naming_both_features() -> None:
    moved = control_feature(agreement_id="teg")
    moved["geometry"] = {"type": "Polygon", "coordinates": [TEG_SQUARE]}

    with pytest.raises(ValueError, match="feature 4: area ersboda has a different polygon than in feature 3"):
        agreements_from_geojson(collection(agreement_feature(), teg_feature(), control_feature(), moved))


def test_another_agreements_area_may_be_a_control_and_takes_its_polygon() -> None:
    reference = control_feature(area_id="teg")
    reference["geometry"] = None
    alidhem, teg = agreements_from_geojson(collection(agreement_feature(), teg_feature(), reference))

    assert [c.area_id for c in alidhem.control_areas] == ["teg"]
    assert alidhem.control_areas[0].geometry == teg.geometry


def test_an_agreement_as_its_own_control_is_refused() -> None:
    reference = control_feature(area_id="alidhem")
    reference["geometry"] = None

    with pytest.raises(ValueError, match="feature 2: agreement alidhem cannot be its own control area"):
        agreements_from_geojson(collection(agreement_feature(), reference))


def test_a_control_area_without_any_polygon_is_refused() -> None:
    reference = control_feature()
    reference["geometry"] = None

    with pytest.raises(ValueError, match="feature 2: control area ersboda has no polygon"):
        agreements_from_geojson(collection(agreement_feature(), reference))


def test_a_control_area_shared_across_municipalities_is_refused() -> None:
    document = collection(agreement_feature(), teg_feature(municipality="Vännäs"), control_feature(),
                          control_feature(agreement_id="teg"))

    with pytest.raises(ValueError, match=r"control area ersboda of agreement teg \(Vännäs\) is also used in Umeå"):
        agreements_from_geojson(document)


def test_duplicate_agreement_is_refused() -> None:
    document = collection(agreement_feature(), agreement_feature(name="Trygga Alidhem igen"))

    with pytest.raises(ValueError, match="feature 2: agreement alidhem appears twice"):
        agreements_from_geojson(document)


def test_feature_without_agreement_id_is_refused() -> None:
    document = collection(feature("agreement", AGREEMENT["geometry"], name="Nameless"))

    with pytest.raises(ValueError, match="feature 1: properties.agreement_id is missing"):
        agreements_from_geojson(document)


def test_open_ring_is_refused() -> None:
    open_ring = UMEA_SQUARE[:-1]
    document = collection(agreement_feature(geometry={"type": "Polygon", "coordinates": [open_ring]}))

    with pytest.raises(ValueError, match=r"must be closed \(first == last\)"):
        agreements_from_geojson(document)


def test_open_ring_in_a_control_area_is_refused() -> None:
    open_ring = [[20.24, 63.85], [20.26, 63.85], [20.26, 63.86], [20.24, 63.86]]
    document = collection(agreement_feature(), control_feature(type="Polygon", coordinates=[open_ring]))

    with pytest.raises(ValueError, match="must be closed"):
        agreements_from_geojson(document)


@pytest.mark.parametrize(
    "ring",
    [
        [[lat, lon] for lon, lat in UMEA_SQUARE],  # written lat,lon instead of GeoJSON's lon,lat
        [[2.0, 56.0], [3.0, 56.0], [3.0, 57.0], [2.0, 57.0], [2.0, 56.0]],  # North Sea
    ],
    ids=["swapped-lon-lat", "north-sea"],
)
def test_polygon_outside_sweden_is_refused(ring: list[list[float]]) -> None:
    document = collection(agreement_feature(geometry={"type": "Polygon", "coordinates": [ring]}))

    with pytest.raises(ValueError, match="lies outside Sweden"):
        agreements_from_geojson(document)


def test_site_of_a_non_partner_is_refused() -> None:
    document = collection(agreement_feature(), site_feature(partner_id="coop-alidhem"))

    with pytest.raises(ValueError, match="site ica-alidhem names partner coop-alidhem, who is not a partner"):
        agreements_from_geojson(document)


def test_site_without_a_point_is_refused() -> None:
    site = site_feature()
    site["geometry"] = {"type": "Polygon", "coordinates": [UMEA_SQUARE]}

    with pytest.raises(ValueError, match="feature 2: a site needs a Point geometry"):
        agreements_from_geojson(collection(agreement_feature(), site))


def test_loading_does_not_modify_the_document() -> None:
    document = collection(agreement_feature(), control_feature(), site_feature())
    before = copy.deepcopy(document)

    agreements_from_geojson(document)

    assert document == before


def test_rejection_reason_values_are_their_names() -> None:
    """Dashboards and partners key on these strings: value and name must stay the same."""
    assert all(reason.value == reason.name for reason in RejectionReason)
