"""No input gives a 500: what the database, the JSON parser or the calendar cannot take is
refused where it enters (``core.boundary``, ``core.schemas``, ``app.boundary``), for every
route, with a problem naming the field. Several of these only ever failed on PostgreSQL
(32-bit INTEGER keys, NUL in text); the tests run on both databases."""

from __future__ import annotations

import json
from typing import Any

import marshmallow as ma
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from app.auth.models import ApiToken
from core.boundary import MAX_JSON_DEPTH, ascii_int, load_json
from core.db import MAX_INTEGER, db, utcnow
from core.errors import MalformedInput, ValidationFailed
from core.i18n import _
from core.numbers import too_small_message
from core.schemas import CalendarRange, ColumnRange
from linkages.models.organisations import OrgType
from linkages.schemas.organisations import FiguresInSchema
from tests.app.web_support import coffee_coop, harvested, login
from tests.factories import make_user_with_token
from tests.traceability.batch_factories import (
    Party,
    make_area,
    make_member,
    make_party,
    make_product,
)
from traceability.models.batches import Batch

PROBLEM = "application/problem+json"
VALIDATION = "epcisException:ValidationException"
QUERY_VALIDATION = "epcisException:QueryValidationException"
CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
TOO_BIG_FOR_INTEGER = MAX_INTEGER + 1  # fits SQLite's 64-bit INTEGER, not PostgreSQL's


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == PROBLEM
    return response.get_json()


def _fields(body: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {e["field"]: e for e in body.get("errors", [])}


def _harvest(party: Party, **changes: Any) -> dict[str, Any]:
    area, product = make_area(party.org), make_product(party.org)
    return {"area_ids": [area.id], "product_id": product.id, "quantity": "1000",
            "unit": "kg", "harvested_on": "2026-03-01", **changes}


def _batch_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Batch))


def _raw_post(client: FlaskClient, path: str, text: str, headers: dict[str, str]) -> Any:
    return client.post(path, data=text.encode(),
                       headers={**headers, "Content-Type": "application/json"})


def _epcis_event(**fields: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": "2026-03-01T08:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
        "action": "OBSERVE",
        **fields,
    }


# --------------------------------------------------------------------------- 1. integers


@pytest.mark.parametrize("path", ["/api/areas?page=1152921504606846976",
                                  "/api/batches?page=9223372036854775807",
                                  "/api/batches?page=99999999999999999999999"])
def test_a_page_past_any_possible_page_is_an_empty_page(client: FlaskClient, path: str) -> None:
    party = make_party()
    response = client.get(path, headers=party.staff_headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == []
    assert response.headers["X-Total-Count"] == "0"


def test_a_timeline_page_past_the_last_is_empty(client: FlaskClient) -> None:
    party = make_party()
    batch = client.post("/api/batches", json=_harvest(party), headers=party.staff_headers)
    response = client.get(f"/api/batches/{batch.get_json()['id']}/events?page={2**62}",
                          headers=party.staff_headers)
    assert response.status_code == 200 and response.get_json() == []
    assert response.headers["X-Total-Count"] == "1"


def test_an_id_beyond_its_column_in_a_url_is_not_found(client: FlaskClient) -> None:
    party = make_party()
    for path in ("/api/batches/{n}", "/api/batches/{n}/events", "/api/products/{n}",
                 "/api/organisations/{n}", "/api/areas/{n}/diary"):
        for n in (TOO_BIG_FOR_INTEGER, 2**63 - 1, 10**30):
            _problem(client.get(path.format(n=n), headers=party.staff_headers), 404)


def test_a_year_beyond_its_column_in_a_url_is_not_found(client: FlaskClient) -> None:
    party = make_party()
    path = f"/api/organisations/{party.org.id}/figures/40000"
    _problem(client.get(path, headers=party.admin_headers), 404)


@pytest.mark.parametrize("query", [f"organisation_id={TOO_BIG_FOR_INTEGER}",
                                   f"product_id={TOO_BIG_FOR_INTEGER}",
                                   f"organisation_id={-TOO_BIG_FOR_INTEGER - 1}"])
def test_an_id_beyond_its_column_in_a_filter_is_no_such_record(
    client: FlaskClient, query: str
) -> None:
    party = make_party()
    body = _problem(client.get(f"/api/batches?{query}", headers=party.staff_headers), 422)
    name = query.split("=")[0]
    assert _fields(body)[name]["location"] == "query"
    assert _fields(body)[name]["detail"] == _("No such record.")


@pytest.mark.parametrize("changes", [
    {"product_id": TOO_BIG_FOR_INTEGER},
    {"area_ids": [TOO_BIG_FOR_INTEGER]},
    {"contributions": [{"member_id": TOO_BIG_FOR_INTEGER, "quantity": "1", "unit": "kg"}]},
])
def test_an_id_beyond_its_column_in_a_body_is_a_field_error(
    client: FlaskClient, changes: dict[str, Any]
) -> None:
    party = make_party()
    before = _batch_count()
    response = client.post("/api/batches", json=_harvest(party, **changes),
                           headers=party.staff_headers)
    errors = _fields(_problem(response, 422))
    [(field, error)] = errors.items()
    assert field.split(".")[0] == next(iter(changes))
    assert error["location"] == "json" and error["detail"] == _("No such record.")
    assert _batch_count() == before


def test_a_count_beyond_an_integer_column_is_too_large_and_a_bigint_one_is_not() -> None:
    schema = FiguresInSchema()
    with pytest.raises(ma.ValidationError) as refused:
        schema.load({"official_members": TOO_BIG_FOR_INTEGER})
    assert refused.value.messages == {"official_members": [_("This number is too large.")]}
    # revenue_vnd is BIGINT and says so with its own Range: not capped at 32 bits.
    assert schema.load({"revenue_vnd": 2**40}) == {"revenue_vnd": 2**40}


def _argument_schemas(app: Flask) -> list[tuple[str, ma.Schema]]:
    found = []
    for endpoint, view in app.view_functions.items():
        view_class = getattr(view, "view_class", None)
        for method in getattr(view_class, "methods", None) or ():
            function = getattr(view_class, method.lower(), None)
            doc = getattr(function, "_apidoc", {}).get("arguments", {})
            for parameter in doc.get("parameters", []):
                schema = parameter["schema"]
                found.append((f"{method} {endpoint}",
                              schema() if isinstance(schema, type) else schema))
    return found


def _bounded(field: ma.fields.Field) -> bool:
    if isinstance(field, ma.fields.Integer):
        return any(isinstance(v, ColumnRange) or (getattr(v, "min", None) is not None
                                                  and getattr(v, "max", None) is not None)
                   for v in field.validators)
    if isinstance(field, ma.fields.Date | ma.fields.DateTime):
        return any(isinstance(v, CalendarRange) for v in field.validators)
    return True


def _unbounded_fields(schema: ma.Schema, prefix: str = "") -> list[str]:
    out = []
    for name, field in schema.load_fields.items():
        inner = field.inner if isinstance(field, ma.fields.List) else field
        if isinstance(inner, ma.fields.Nested):
            out.extend(_unbounded_fields(inner.schema, f"{prefix}{name}."))
        elif not _bounded(inner):
            out.append(prefix + name)
    return out


def test_every_api_input_schema_bounds_its_integers_and_dates(app: Flask) -> None:
    schemas = _argument_schemas(app)
    assert len(schemas) > 20
    unbounded = {op: fields for op, schema in schemas if (fields := _unbounded_fields(schema))}
    assert unbounded == {}


# --------------------------------------------------------------------------- 2. deep JSON


def test_deep_json_on_the_api_is_a_400_problem_naming_the_body(client: FlaskClient) -> None:
    party = make_party()
    deep = '{"code": "A1", "name": "n", "kind": "plot", "geometry": ' + (
        '{"a":' * 995 + "1" + "}" * 995 + "}")
    body = _problem(_raw_post(client, "/api/areas", deep, party.staff_headers), 400)
    assert body["type"].endswith("/problems/validation")
    [error] = body["errors"]
    assert error["location"] == "json" and error["field"].startswith("geometry.a.a")


def test_deep_json_in_an_epcis_extension_is_a_validation_exception(
    client: FlaskClient,
) -> None:
    party = make_party()
    nested: Any = 1
    for _level in range(300):
        nested = {"ex:n": nested}
    doc = {"@context": [CONTEXT, {"ex": "https://example.com/ns/"}], "type": "EPCISDocument",
           "schemaVersion": "2.0", "creationDate": "2026-03-01T00:00:00Z",
           "epcisBody": {"eventList": [_epcis_event(**{"ex:deep": nested})]}}
    text = json.dumps(doc)
    body = _problem(_raw_post(client, "/epcis/capture", text, party.staff_headers), 400)
    assert body["type"] == VALIDATION
    assert body["errors"][0]["field"].startswith("epcisBody.eventList.0.ex:deep")


def test_json_is_read_to_the_depth_cap_and_no_further() -> None:
    assert load_json(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    with pytest.raises(MalformedInput):
        load_json(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1))
    with pytest.raises(MalformedInput):  # orjson's own limit is refused the same way
        load_json(b"[" * 100_000 + b"]" * 100_000)


def test_json_names_every_nul_it_holds_keys_included() -> None:
    with pytest.raises(ValidationFailed) as refused:
        load_json(b'{"a": [1, "\\u0000"], "b\\u0000": 2, "c": "x"}', location="json")
    assert set(refused.value.field_errors) == {"json.a.1", "json.b\x00"}


# --------------------------------------------------------------------------- 3. surrogates


@pytest.mark.parametrize("path", ["/api/areas", "/epcis/events"])
def test_a_lone_surrogate_is_not_json(client: FlaskClient, path: str) -> None:
    party = make_party()
    text = '{"code": "A1", "name": "\\ud800", "kind": "plot"}'
    body = _problem(_raw_post(client, path, text, party.staff_headers), 400)
    assert body["errors"]


# --------------------------------------------------------------------------- 4. NUL


def test_nul_in_a_json_body_is_a_field_error_and_nothing_is_stored(client: FlaskClient) -> None:
    party = make_party()
    before = _batch_count()
    response = client.post("/api/batches", json=_harvest(party, grade="a\u0000b"),
                           headers=party.staff_headers)
    errors = _fields(_problem(response, 422))
    assert errors["grade"]["location"] == "json"
    assert _batch_count() == before


@pytest.mark.parametrize("path", ["/api/areas?q=a%00b", "/api/batches?lot_code=a%00b",
                                  "/api/organisations?q=%00"])
def test_nul_in_a_query_string_is_a_field_error(client: FlaskClient, path: str) -> None:
    party = make_party()
    body = _problem(client.get(path, headers=party.staff_headers), 422)
    [error] = body["errors"]
    assert error["location"] == "query"


def test_nul_in_an_epcis_path_or_event_is_a_validation_exception(client: FlaskClient) -> None:
    party = make_party()
    body = _problem(client.get("/epcis/events/%00", headers=party.staff_headers), 400)
    assert body["type"] == VALIDATION and body["errors"][0]["location"] == "path"
    event = _epcis_event(eventID="ni:///sha-256;x\u0000?ver=CBV2.0")
    body = _problem(client.post("/epcis/events", json=event, headers=party.staff_headers), 400)
    assert body["type"] == VALIDATION and _fields(body)["eventID"]


def test_nul_in_a_form_is_refused(client: FlaskClient) -> None:
    _org, user, area, product = coffee_coop()
    login(client, user.email)
    before = _batch_count()
    response = client.post("/batches/harvest", data={
        "area_id": str(area.id), "product_id": str(product.id), "quantity": "12",
        "unit": "", "harvested_on": "2026-03-01", "grade": "A\u0000"})
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert _batch_count() == before


# --------------------------------------------------------------------------- 5. dates


@pytest.mark.parametrize("changes", [
    {"harvested_on": "0001-01-01"},
    {"harvested_on": "9999-12-31T23:00:00-05:00"},
    {"expiry": "0001-01-01"},
])
def test_a_date_at_the_edge_of_the_calendar_is_a_field_error(
    client: FlaskClient, changes: dict[str, Any]
) -> None:
    party = make_party()
    response = client.post("/api/batches", json=_harvest(party, **changes),
                           headers=party.staff_headers)
    errors = _fields(_problem(response, 422))
    assert list(errors) == list(changes)


def test_date_ranges_at_the_edge_of_the_calendar_are_field_errors(client: FlaskClient) -> None:
    party = make_party()
    member = make_member(party.org)
    for path in (f"/api/organisations/{party.org.id}/exports/fsma204.csv"
                 "?from=9999-12-30&to=9999-12-31",
                 f"/api/organisations/{party.org.id}/exports/fsma204.csv"
                 "?from=0001-01-01&to=0001-01-02",
                 f"/api/batches/member-statements/{member.id}?from=0001-01-01&to=9999-12-31"):
        body = _problem(client.get(path, headers=party.admin_headers), 422)
        assert set(_fields(body)) == {"from", "to"}


def test_an_epcis_event_time_at_the_edge_of_the_calendar_is_refused(
    client: FlaskClient,
) -> None:
    party = make_party()
    event = _epcis_event(eventTime="0001-01-01T00:00:00+07:00")
    body = _problem(client.post("/epcis/events", json=event, headers=party.staff_headers), 400)
    assert body["type"] == VALIDATION and _fields(body)["eventTime"]


def test_a_form_date_at_the_edge_of_the_calendar_is_refused_beside_the_field(
    client: FlaskClient,
) -> None:
    _org, user, area, product = coffee_coop()
    login(client, user.email)
    before = _batch_count()
    response = client.post("/batches/harvest", data={
        "area_id": str(area.id), "product_id": str(product.id), "quantity": "12",
        "unit": "", "harvested_on": "0001-01-01"})
    assert response.status_code == 422
    assert 'id="harvested_on-error"' in response.get_data(as_text=True)
    assert _batch_count() == before


# --------------------------------------------------------------------------- 6. digits


def test_only_ascii_digits_are_numbers() -> None:
    assert ascii_int("42") == 42
    assert [ascii_int(t) for t in ("²", "٣", "", None, "-1", "1_000", " 1")] == [None] * 7


def test_a_unicode_digit_per_page_is_a_query_validation_exception(client: FlaskClient) -> None:
    party = make_party()
    body = _problem(client.get("/epcis/events?perPage=%C2%B2", headers=party.staff_headers),
                    400)
    assert body["type"] == QUERY_VALIDATION and _fields(body)["perPage"]


@pytest.mark.parametrize(
    "params",
    [
        {"GE_eventTime": "0001-01-01T00:00:00+07:00"},
        {"LT_eventTime": "9999-12-31T23:00:00-05:00"},
        # Page tokens are opaque but base64 of "<micros>.<pk>": forged ones beyond any
        # datetime or row id.
        {"nextPageToken": "OTk5OTk5OTk5OTk5OTk5OTk5OTkuMQ"},
        {"nextPageToken": "MS45OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5"},
    ],
)
def test_epcis_query_values_beyond_the_calendar_are_query_validation_exceptions(
    client: FlaskClient, params: dict[str, str]
) -> None:
    party = make_party()
    body = _problem(client.get("/epcis/events", query_string=params,
                               headers=party.staff_headers), 400)
    assert body["type"] == QUERY_VALIDATION and _fields(body)[next(iter(params))]


def test_unicode_digits_in_a_url_or_a_form_name_nothing(client: FlaskClient) -> None:
    party = make_party()
    _problem(client.get("/api/batches/%D9%A1", headers=party.staff_headers), 404)  # "١"
    _org, user, _area, _product = coffee_coop()
    login(client, user.email)
    assert client.post("/switch-org", data={"org_id": "²"}).status_code == 404


def test_a_captured_area_id_no_area_can_have_still_shows_the_timeline(
    client: FlaskClient,
) -> None:
    org, user, area, product = coffee_coop()
    batch = harvested(org, user, area, product)
    _user, headers = make_user_with_token(org)
    place = f"https://trace.example.vn/loc/{org.registration_code}/areas/99999999999"
    event = _epcis_event(epcList=[], bizLocation={"id": place}, quantityList=[
        {"epcClass": batch.identifier, "quantity": 5, "uom": "KGM"}])
    assert client.post("/epcis/events", json=event, headers=headers).status_code == 201
    login(client, user.email)
    assert client.get(f"/batches/{batch.id}").status_code == 200


def test_a_page_number_no_table_can_reach_is_an_empty_page_on_the_web(
    client: FlaskClient,
) -> None:
    _org, user, _area, _product = coffee_coop()
    login(client, user.email)
    for path in (f"/batches?page={2**63}", f"/account/tokens?page={10**30}", "/batches?page=²"):
        assert client.get(path).status_code == 200, path


# --------------------------------------------------------------------------- quantities


@pytest.mark.parametrize("quantity, unit", [(1e-30, "kg"), ("0.0001", "g"), ("0.00001", "g"),
                                            ("0.00004", "tan")])
def test_a_positive_quantity_recorded_as_zero_is_refused(
    client: FlaskClient, quantity: Any, unit: str
) -> None:
    party = make_party()
    before = _batch_count()
    response = client.post("/api/batches", json=_harvest(party, quantity=quantity, unit=unit),
                           headers=party.staff_headers)
    assert _fields(_problem(response, 422))["quantity"]["detail"] == str(too_small_message())
    assert _batch_count() == before


def test_a_shipped_quantity_recorded_as_zero_is_refused(client: FlaskClient) -> None:
    party, buyer = make_party(), make_party("DN", OrgType.DN)
    batch = client.post("/api/batches", json=_harvest(party), headers=party.staff_headers)
    response = client.post(
        f"/api/batches/{batch.get_json()['id']}/events/shipping", headers=party.staff_headers,
        json={"to_organisation_id": buyer.org.id, "quantity": 1e-30, "unit": "kg"})
    assert _fields(_problem(response, 422))["quantity"]


def test_a_positive_weight_per_unit_recorded_as_zero_is_refused(client: FlaskClient) -> None:
    party = make_party()
    response = client.post("/api/products", headers=party.admin_headers, json={
        "code": "MAT-1", "name": "Mật ong", "commodity": "honey", "default_unit": "litre",
        "kg_per_unit": 1e-30})
    assert _fields(_problem(response, 422))["kg_per_unit"]


# --------------------------------------------------------------------------- 401 first


@pytest.mark.parametrize("method, path", [
    ("post", "/api/areas"), ("patch", "/api/areas/1"), ("post", "/api/batches"),
    ("post", "/api/me/tokens"), ("delete", "/api/me/tokens/1"),
    ("post", "/epcis/capture"), ("post", "/epcis/events"),
])
def test_a_write_without_a_valid_token_is_401_before_any_word_about_its_body(
    client: FlaskClient, method: str, path: str
) -> None:
    user, headers = make_user_with_token()
    db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id)
                       .values(revoked_at=utcnow()))
    db.session.commit()
    for sent in ({}, headers):  # no token, a revoked token
        response = getattr(client, method)(path, json={"unknown": "\u0000"}, headers=sent)
        body = _problem(response, 401)
        assert "errors" not in body
