"""EPCIS 2.0 document and event validation (traceability.epcis.validation).

GS1's own example documents must all pass; broken variants must fail naming the place.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from app.errors import _field_entry
from core.errors import ValidationFailed
from traceability.epcis import cbv
from traceability.epcis.cbv import CbvKind, normalise_cbv
from traceability.epcis.validation import (
    CONTEXT_FILE,
    SCHEMA_FILE,
    check_document,
    load_context,
    load_schema,
    validate_document,
    validate_event,
)

DATA = Path(__file__).parent / "data" / "examples"
EXAMPLES = sorted(DATA.rglob("*.jsonld"))
EVENT0 = "epcisBody.eventList.0"


def _load(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _object_event_doc() -> dict[str, Any]:
    """A GS1 example with two ObjectEvents (epcList, bizTransactionList, example: prefix)."""
    return _load("Example_9.6.1-ObjectEvent.jsonld")


def _errors_of(doc: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        validate_document(doc)
    return caught.value.field_errors


def test_the_examples_folder_holds_all_gs1_documents() -> None:
    assert len(EXAMPLES) == 47  # 46 capture examples + the query document
    assert (DATA / "EPCISQueryDocument.jsonld").is_file()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(DATA)))
def test_every_gs1_example_document_is_accepted(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))

    validated = validate_document(doc)

    assert validated.events
    assert validated.context == doc["@context"]
    assert validated.document_type == doc["type"]


def test_query_document_events_come_from_the_query_results() -> None:
    doc = _load("EPCISQueryDocument.jsonld")

    validated = validate_document(doc)

    expected = doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert validated.document_type == "EPCISQueryDocument"
    assert validated.events == expected


def _drop(key: str):
    def mutate(event: dict[str, Any]) -> None:
        del event[key]

    return mutate


def _set(key: str, value: Any):
    def mutate(event: dict[str, Any]) -> None:
        event[key] = value

    return mutate


BROKEN_EVENTS = {
    "missing eventTime": (_drop("eventTime"), "eventTime"),
    "missing eventTimeZoneOffset": (_drop("eventTimeZoneOffset"), "eventTimeZoneOffset"),
    "eventTime without offset": (_set("eventTime", "2024-05-01T08:00:00.000"), "eventTime"),
    "unknown bare bizStep": (_set("bizStep", "harvesting"), "bizStep"),
    "unknown term in the CBV namespace": (
        _set("bizStep", "https://ref.gs1.org/cbv/BizStep-harvesting"),
        "bizStep",
    ),
    "unknown CBV URN": (_set("bizStep", "urn:epcglobal:cbv:bizstep:harvesting"), "bizStep"),
    "bizStep with undeclared prefix": (_set("bizStep", "gdst:farmHarvest"), "bizStep"),
    "unknown disposition word": (_set("disposition", "ripe"), "disposition"),
    "extension field without namespace": (_set("myField", "x"), "myField"),
    "extension field with undeclared prefix": (_set("acme:grade", "A"), "acme:grade"),
    "undeclared prefix inside an extension value": (
        _set("example:farm", {"plot": {"acme:row": "A1"}}),
        "example:farm.plot.acme:row",
    ),
    "bare field in ilmd": (_set("ilmd", {"lotNumber": "L1"}), "ilmd.lotNumber"),
    "epcList is not a list": (_set("epcList", "urn:epc:id:sgtin:0614141.107346.2017"), "epcList"),
    "negative quantity": (
        _set(
            "quantityList",
            [
                {
                    "epcClass": "urn:epc:class:lgtin:4012345.012345.998877",
                    "quantity": -5,
                    "uom": "KGM",
                }
            ],
        ),
        "quantityList.0.quantity",
    ),
    "quantity given as text": (
        _set(
            "quantityList",
            [{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": "5"}],
        ),
        "quantityList.0.quantity",
    ),
    "unknown bizTransaction type": (
        _set("bizTransactionList", [{"type": "purchase", "bizTransaction": "urn:x:po:1"}]),
        "bizTransactionList.0.type",
    ),
    "unknown source type": (
        _set("sourceList", [{"type": "owner", "source": "urn:epc:id:pgln:4012345.00001"}]),
        "sourceList.0.type",
    ),
    "unknown error reason": (
        _set("errorDeclaration", {"declarationTime": "2024-05-02T08:00:00Z", "reason": "oops"}),
        "errorDeclaration.reason",
    ),
    "unknown action": (_set("action", "UPDATE"), "action"),
    "bare field in readPoint": (
        _set("readPoint", {"id": "urn:epc:id:sgln:0614141.07346.1234", "door": "3"}),
        "readPoint.door",
    ),
}


def test_an_object_event_without_what_is_refused_with_a_clear_message() -> None:
    doc = _object_event_doc()
    event = doc["epcisBody"]["eventList"][0]
    del event["epcList"]
    event["ilmd"] = {"example:grade": "A"}  # only allowed with action ADD; this is OBSERVE

    messages = _errors_of(doc)[EVENT0]

    assert any("epcList" in m for m in messages)
    assert any("ilmd" in m for m in messages)


def test_validate_event_refuses_a_whole_document() -> None:
    assert set(validate_event(_object_event_doc())) == {"type"}


@pytest.mark.parametrize("mutate,field", BROKEN_EVENTS.values(), ids=BROKEN_EVENTS.keys())
def test_a_broken_event_is_refused_naming_the_failing_path(mutate: Any, field: str) -> None:
    doc = _object_event_doc()
    mutate(doc["epcisBody"]["eventList"][0])

    errors = _errors_of(doc)

    assert f"{EVENT0}.{field}" in errors, errors
    assert all(key.startswith(EVENT0) for key in errors), errors


@pytest.mark.parametrize(
    "change,field",
    [
        (lambda d: d.pop("@context"), "@context"),
        (lambda d: d.update(type="EPCISDoc"), "type"),
        (lambda d: d.pop("type"), "type"),
        (lambda d: d.update(schemaVersion=2), "schemaVersion"),
        (lambda d: d.update(schemaVersion="1.2"), "schemaVersion"),
        (lambda d: d.pop("creationDate"), "creationDate"),
        (lambda d: d["epcisBody"].pop("eventList"), "epcisBody.eventList"),
        (lambda d: d.update(comment="bare top-level field"), "comment"),
    ],
    ids=[
        "missing @context",
        "wrong type",
        "no type",
        "schemaVersion not a string",
        "schemaVersion 1.2",
        "missing creationDate",
        "missing eventList",
        "document extension without namespace",
    ],
)
def test_a_broken_document_envelope_is_refused_naming_the_field(change: Any, field: str) -> None:
    doc = _object_event_doc()
    change(doc)

    assert field in _errors_of(doc)


def test_a_document_that_is_not_an_object_is_refused() -> None:
    assert "" in _errors_of([{"type": "ObjectEvent"}])


@pytest.mark.parametrize(
    "value",
    [
        "urn:gdst:bizStep:farmHarvest",
        "https://vocab.htx.vn/bizstep/harvesting",
        "example:harvesting",  # prefix declared in the example's @context
    ],
)
def test_a_private_vocabulary_bizstep_given_as_uri_is_accepted(value: str) -> None:
    doc = _object_event_doc()
    doc["epcisBody"]["eventList"][0]["bizStep"] = value

    validated = validate_document(doc)

    assert validated.events[0]["bizStep"] == value


@pytest.mark.parametrize(
    "field,value,expected",
    [
        ("bizStep", "urn:epcglobal:cbv:bizstep:shipping", "shipping"),
        ("bizStep", "https://ref.gs1.org/cbv/BizStep-shipping", "shipping"),
        ("bizStep", "cbv:BizStep-shipping", "shipping"),
        ("disposition", "urn:epcglobal:cbv:disp:in_transit", "in_transit"),
        ("disposition", "https://ref.gs1.org/cbv/Disp-recalled", "recalled"),
    ],
)
def test_cbv_values_in_uri_form_are_accepted_and_stored_as_the_bare_word(
    field: str, value: str, expected: str
) -> None:
    doc = _object_event_doc()
    doc["epcisBody"]["eventList"][0][field] = value

    validated = validate_document(doc)

    assert validated.events[0][field] == expected


def test_cbv_uri_forms_in_lists_are_normalised() -> None:
    doc = _object_event_doc()
    event = doc["epcisBody"]["eventList"][0]
    event["bizTransactionList"] = [
        {"type": "urn:epcglobal:cbv:btt:po", "bizTransaction": "urn:x:po:1"}
    ]
    event["sourceList"] = [
        {"type": "https://ref.gs1.org/cbv/SDT-owning_party", "source": "urn:x:party:1"}
    ]
    event["errorDeclaration"] = {
        "declarationTime": "2024-05-02T08:00:00+07:00",
        "reason": "urn:epcglobal:cbv:er:incorrect_data",
    }

    event = validate_document(doc).events[0]

    assert event["bizTransactionList"][0]["type"] == "po"
    assert event["sourceList"][0]["type"] == "owning_party"
    assert event["errorDeclaration"]["reason"] == "incorrect_data"


def test_zero_quantity_is_accepted() -> None:
    doc = _object_event_doc()
    doc["epcisBody"]["eventList"][0]["quantityList"] = [
        {"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": 0, "uom": "KGM"}
    ]

    validate_document(doc)


def test_an_extension_prefix_declared_in_the_event_context_is_accepted() -> None:
    doc = _object_event_doc()
    event = doc["epcisBody"]["eventList"][0]
    event["@context"] = [{"htx": "https://vocab.htx.vn/"}]
    event["htx:grade"] = {"htx:size": "L"}

    validate_document(doc)


def test_check_document_keeps_valid_events_and_reports_each_bad_one() -> None:
    doc = _object_event_doc()
    events = doc["epcisBody"]["eventList"]
    events.append(copy.deepcopy(events[0]))
    events[0]["bizStep"] = "harvesting"
    events[2].pop("eventTime")

    checked = check_document(doc)

    assert not checked.ok
    assert [index for index, _event in checked.valid_events] == [1]
    assert set(checked.event_errors) == {0, 2}
    assert list(checked.event_errors[0]) == ["epcisBody.eventList.0.bizStep"]
    assert list(checked.event_errors[2]) == ["epcisBody.eventList.2.eventTime"]
    assert set(checked.field_errors()) == {
        "epcisBody.eventList.0.bizStep",
        "epcisBody.eventList.2.eventTime",
    }


def test_check_document_raises_when_the_envelope_is_broken() -> None:
    doc = _object_event_doc()
    doc.pop("@context")
    doc["epcisBody"]["eventList"][0]["bizStep"] = "harvesting"

    with pytest.raises(ValidationFailed) as caught:
        check_document(doc)

    assert "@context" in caught.value.field_errors
    assert f"{EVENT0}.bizStep" in caught.value.field_errors


def test_one_clear_message_per_failing_cbv_field() -> None:
    doc = _object_event_doc()
    doc["epcisBody"]["eventList"][0]["bizStep"] = "harvesting"

    messages = _errors_of(doc)[f"{EVENT0}.bizStep"]

    assert len(messages) == 1
    assert "harvesting" in messages[0]


def _standalone_event() -> dict[str, Any]:
    doc = _object_event_doc()
    event = doc["epcisBody"]["eventList"][1]
    event["@context"] = doc["@context"]
    return event


def test_a_valid_standalone_event_has_no_errors() -> None:
    assert validate_event(_standalone_event()) == {}


def test_a_standalone_event_needs_its_own_context_unless_one_is_given() -> None:
    event = _standalone_event()
    context = event.pop("@context")

    assert "@context" in validate_event(event)
    assert validate_event(event, context) == {}


def test_standalone_event_errors_are_paths_inside_the_event() -> None:
    event = _standalone_event()
    event["quantityList"] = [
        {"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": -1}
    ]
    event["disposition"] = "ripe"
    event.pop("eventTimeZoneOffset")

    errors = validate_event(event)

    assert set(errors) == {"quantityList.0.quantity", "disposition", "eventTimeZoneOffset"}
    assert set(validate_event(event, path="event")) == {f"event.{key}" for key in errors}


def test_error_keys_become_json_pointers_in_problem_responses() -> None:
    doc = _object_event_doc()
    del doc["epcisBody"]["eventList"][0]["eventTime"]
    key = next(iter(_errors_of(doc)))

    entry = _field_entry(tuple(key.split(".")), "msg")

    assert entry["pointer"] == "/epcisBody/eventList/0/eventTime"


@pytest.mark.parametrize(
    "value,kind,expected",
    [
        ("shipping", CbvKind.BIZ_STEP, "shipping"),
        ("urn:epcglobal:cbv:bizstep:shipping", "bizStep", "shipping"),
        ("https://ref.gs1.org/cbv/BizStep-shipping", CbvKind.BIZ_STEP, "shipping"),
        ("cbv:Disp-in_transit", CbvKind.DISPOSITION, "in_transit"),
        ("urn:epcglobal:cbv:btt:desadv", CbvKind.BIZ_TRANSACTION_TYPE, "desadv"),
        ("https://ref.gs1.org/cbv/SDT-location", CbvKind.SOURCE_DEST_TYPE, "location"),
        ("urn:epcglobal:cbv:er:did_not_occur", CbvKind.ERROR_REASON, "did_not_occur"),
        ("urn:gdst:bizStep:farmHarvest", CbvKind.BIZ_STEP, "urn:gdst:bizStep:farmHarvest"),
        ("harvesting", CbvKind.BIZ_STEP, None),
        ("https://ref.gs1.org/cbv/BizStep-harvesting", CbvKind.BIZ_STEP, None),
        ("shipping", CbvKind.DISPOSITION, None),  # a bizStep is not a disposition
    ],
)
def test_normalise_cbv_gives_the_canonical_bare_word(
    value: str, kind: CbvKind | str, expected: str | None
) -> None:
    assert normalise_cbv(value, kind) == expected


def test_normalise_cbv_can_give_the_full_web_uri() -> None:
    assert (
        normalise_cbv("urn:epcglobal:cbv:bizstep:shipping", CbvKind.BIZ_STEP, full_uri=True)
        == "https://ref.gs1.org/cbv/BizStep-shipping"
    )
    assert normalise_cbv("recalled", "disposition", full_uri=True) == (
        "https://ref.gs1.org/cbv/Disp-recalled"
    )


def _enum_of(definition: dict[str, Any]) -> set[str]:
    return next(set(b["enum"]) for b in definition["anyOf"] if "enum" in b)


def test_cbv_lists_match_the_official_schema() -> None:
    definitions = load_schema()["definitions"]

    assert _enum_of(definitions["bizStep"]) == cbv.BIZ_STEPS
    assert _enum_of(definitions["disposition"]) == cbv.DISPOSITIONS
    assert _enum_of(definitions["bizTransaction-type"]) == cbv.BIZ_TRANSACTION_TYPES
    assert _enum_of(definitions["source-dest-type"]) == cbv.SOURCE_DEST_TYPES
    assert _enum_of(definitions["error-reason"]) == cbv.ERROR_REASONS
    assert _enum_of(definitions["measurementType"]) == cbv.MEASUREMENT_TYPES
    assert _enum_of(definitions["sensorAlertType"]) == cbv.SENSOR_ALERT_TYPES
    assert _enum_of(definitions["component"]) == cbv.SENSOR_COMPONENTS
    assert set(definitions["action"]["enum"]) == cbv.ACTIONS


def test_every_standard_event_field_is_known_to_the_python_rules() -> None:
    """A standard field the rules did not know would be refused as an unnamespaced extension."""
    definitions = load_schema()["definitions"]
    standard: set[str] = set(definitions["common-event-properties"]["anyOf"][0]["enum"])
    for name in (
        "ObjectEvent",
        "AggregationEvent",
        "TransactionEvent",
        "TransformationEvent",
        "AssociationEvent",
    ):
        for part in definitions[name]["allOf"]:
            for branch in part.get("propertyNames", {}).get("anyOf", []):
                standard.update(branch.get("enum", []))
    event: dict[str, Any] = dict.fromkeys(standard)
    event["type"] = "ObjectEvent"

    errors = validate_event(event)

    assert not [key for key, messages in errors.items() if "not an EPCIS field" in messages[0]]


def test_schema_and_context_ship_inside_the_package() -> None:
    package_dir = Path(__file__).resolve().parents[2] / "traceability" / "epcis" / "schema"
    assert SCHEMA_FILE.resolve().parent == package_dir
    assert CONTEXT_FILE.resolve().parent == package_dir
    assert load_schema()["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert load_context()["@context"]["cbv"] == "https://ref.gs1.org/cbv/"
