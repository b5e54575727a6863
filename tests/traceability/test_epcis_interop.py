"""Interoperability: what GS1's EPCIS JSON schema accepts is accepted unless CBV forbids it.

Issue 9 §4. Keys nested inside a namespaced user-extension element belong to that element's
namespace (partners' systems send them without a prefix of their own); ``persistentDisposition``
is accepted on the event types EPCIS 2.0 gives it to (ObjectEvent and TransformationEvent: the
standard's §7.3.6.2.2 table, UML, ontology and the JSON schema in ``schema/``) and refused,
with a message naming them, on the others; the event hash of such events follows the
reference algorithm (RalphTro/epcis-event-hash-generator). Bare unknown words and undefined
terms in GS1's CBV namespace are still refused with their JSON path.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest
from flask.testing import FlaskClient

from core.errors import ValidationFailed
from tests.app.test_epcis_api import document
from tests.factories import make_org, make_user_with_token
from traceability.epcis.hashing import event_hash_id, prehash_string
from traceability.epcis.validation import check_document, validate_document, validate_event

EXAMPLE_NS = "https://ns.example.com/epcis/"
CONTEXT: list[Any] = [
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    {"example": EXAMPLE_NS},
]
EPC = "urn:epc:id:sgtin:0614141.107346.2017"
EPC_DL = "https://id.gs1.org/01/10614141073464/21/2017"
SSCC = "urn:epc:id:sscc:0614141.1234567890"
SSCC_DL = "https://id.gs1.org/00/106141412345678908"
WHEN = {"eventTime": "2024-05-01T08:00:00+07:00", "eventTimeZoneOffset": "+07:00"}
WHEN_PREHASH = "eventTime=2024-05-01T01:00:00.000ZeventTimeZoneOffset=+07:00"
DISP = "https://ref.gs1.org/cbv/Disp-"
NESTED = {"inner": 1, "deeper": {"x": "y"}}
PERSISTENT = {"set": ["completeness_verified"], "unset": ["completeness_inferred"]}
PERSISTENT_PREHASH = (
    f"persistentDispositionset={DISP}completeness_verifiedunset={DISP}completeness_inferred"
)


def _event(event_type: str, **fields: Any) -> dict[str, Any]:
    """A minimal valid event of each type, plus ``fields``."""
    what: dict[str, Any] = {
        "ObjectEvent": {"action": "OBSERVE", "epcList": [EPC]},
        "AggregationEvent": {"action": "ADD", "parentID": SSCC, "childEPCs": [EPC]},
        "TransactionEvent": {
            "action": "ADD",
            "epcList": [EPC],
            "bizTransactionList": [{"type": "po", "bizTransaction": "urn:example:po:1"}],
        },
        "TransformationEvent": {"inputEPCList": [EPC], "outputEPCList": [SSCC]},
        "AssociationEvent": {"action": "ADD", "parentID": SSCC, "childEPCs": [EPC]},
    }[event_type]
    return {"@context": CONTEXT, "type": event_type, **WHEN, **what, **fields}


def _document(*events: dict[str, Any]) -> dict[str, Any]:
    return document(
        *({k: v for k, v in e.items() if k != "@context"} for e in events), context=CONTEXT
    )


# --------------------------------------------------------------------------- user extensions


def test_keys_nested_in_a_namespaced_extension_need_no_prefix() -> None:
    assert validate_event(_event("ObjectEvent", **{"example:myField": NESTED})) == {}


@pytest.mark.parametrize(
    "value",
    [
        [{"inner": 1}, {"deeper": {"x": "y"}}],  # a list of objects
        {"level1": {"level2": {"level3": [1, {"leaf": True}]}}},
        {"example:prefixed": {"bare": "ok"}, "https://other.example/full": {"bare": 2}},
    ],
    ids=["list", "deep", "mixed"],
)
def test_nested_extension_shapes_are_accepted(value: Any) -> None:
    assert validate_event(_event("ObjectEvent", **{"example:myField": value})) == {}


@pytest.mark.parametrize(
    ("holder", "fields"),
    [
        ("ilmd", {"ilmd": {"example:harvest": {"plot": "A1", "date": "2024-04-30"}}}),
        (
            "readPoint",
            {"readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234", "example:door": {"no": 3}}},
        ),
        (
            "errorDeclaration",
            {
                "errorDeclaration": {
                    "declarationTime": "2024-05-02T08:00:00Z",
                    "example:ticket": {"number": "T-1"},
                }
            },
        ),
        ("document", {}),
    ],
)
def test_nested_keys_are_accepted_wherever_an_extension_may_stand(
    holder: str, fields: dict[str, Any]
) -> None:
    if holder == "ilmd":
        fields = {**fields, "action": "ADD"}
    doc = _document(_event("ObjectEvent", **fields))
    if holder == "document":
        doc["example:sender"] = {"name": "HTX", "address": {"commune": "Sóc Sơn"}}
    assert validate_document(doc).events


def test_a_document_with_nested_extension_keys_is_accepted() -> None:
    doc = _document(_event("ObjectEvent", **{"example:myField": NESTED}))
    validated = validate_document(doc)
    assert validated.events[0]["example:myField"] == NESTED


def test_an_undeclared_prefix_inside_an_extension_is_still_refused_with_its_path() -> None:
    errors = validate_event(_event("ObjectEvent", **{"example:myField": {"acme:grade": "A"}}))
    assert list(errors) == ["example:myField.acme:grade"]
    assert "acme" in errors["example:myField.acme:grade"][0]


# --------------------------------------------------------------------------- still refused


@pytest.mark.parametrize(
    ("fields", "path", "word"),
    [
        ({"myField": NESTED}, "myField", "myField"),
        ({"bizStep": "harvesting"}, "bizStep", "harvesting"),
        ({"disposition": "https://ref.gs1.org/cbv/Disp-ripe"}, "disposition", "Disp-ripe"),
        ({"bizStep": "urn:epcglobal:cbv:bizstep:harvesting"}, "bizStep", "harvesting"),
        (
            {"persistentDisposition": {"set": ["ripe"]}},
            "persistentDisposition.set.0",
            "ripe",
        ),
        (
            {"persistentDisposition": {"unset": ["cbv:Disp-ripe"]}},
            "persistentDisposition.unset.0",
            "Disp-ripe",
        ),
        ({"ilmd": {"lotNumber": "L1"}, "action": "ADD"}, "ilmd.lotNumber", "lotNumber"),
    ],
    ids=[
        "bare field",
        "bare bizStep",
        "CBV web URI",
        "CBV URN",
        "bare persistent",
        "CBV CURIE persistent",
        "bare ilmd field",
    ],
)
def test_bare_words_and_undefined_cbv_terms_are_refused_with_the_json_path(
    fields: dict[str, Any], path: str, word: str
) -> None:
    errors = validate_event(_event("ObjectEvent", **fields))
    assert path in errors, errors
    assert word in errors[path][0]

    with pytest.raises(ValidationFailed) as caught:
        validate_document(_document(_event("ObjectEvent", **fields)))
    assert f"epcisBody.eventList.0.{path}" in caught.value.field_errors


# --------------------------------------------------------------------------- persistentDisposition


@pytest.mark.parametrize("event_type", ["ObjectEvent", "TransformationEvent"])
def test_persistent_disposition_is_accepted_where_the_standard_gives_it(event_type: str) -> None:
    event = _event(event_type, persistentDisposition=copy.deepcopy(PERSISTENT))
    assert validate_event(event) == {}
    assert validate_document(_document(event)).events


def test_persistent_disposition_values_in_uri_form_are_normalised() -> None:
    event = _event(
        "TransformationEvent",
        persistentDisposition={
            "set": [DISP + "completeness_verified"],
            "unset": ["urn:epcglobal:cbv:disp:completeness_inferred"],
        },
    )
    assert validate_event(event) == {}
    assert event["persistentDisposition"] == PERSISTENT


@pytest.mark.parametrize("event_type", ["AggregationEvent", "TransactionEvent", "AssociationEvent"])
def test_persistent_disposition_is_refused_where_the_standard_withholds_it(
    event_type: str,
) -> None:
    """EPCIS 2.0 §7.3.6.2.2: n/a for these types (gs1/EPCIS#440, #447); the message says so."""
    assert validate_event(_event(event_type)) == {}

    errors = validate_event(_event(event_type, persistentDisposition=PERSISTENT))

    assert list(errors) == ["persistentDisposition"]
    message = errors["persistentDisposition"][0]
    assert event_type in message
    assert "ObjectEvent" in message and "TransformationEvent" in message
    assert "namespace prefix" not in message  # it is a standard field, not an extension


def test_checked_documents_keep_the_other_events_when_one_misplaces_a_field() -> None:
    doc = _document(
        _event("ObjectEvent", persistentDisposition=PERSISTENT),
        _event("AggregationEvent", persistentDisposition=PERSISTENT),
    )
    checked = check_document(doc)
    assert list(checked.event_errors) == [1]
    assert "epcisBody.eventList.1.persistentDisposition" in checked.event_errors[1]


# --------------------------------------------------------------------------- event hash


def _sha(prehash: str) -> str:
    return f"ni:///sha-256;{hashlib.sha256(prehash.encode('utf-8')).hexdigest()}?ver=CBV2.0"


def test_nested_extension_keys_hash_as_the_reference_renders_them() -> None:
    """Reference rules: a user extension is ``{namespace}localName`` followed by its children,
    each child ``name=value`` (or name + its own children), children sorted; a nested key with
    no prefix keeps its name as written (the reference replaces only prefixed names)."""
    event = _event("ObjectEvent", **{"example:myField": NESTED})
    expected = (
        f"eventType=ObjectEvent{WHEN_PREHASH}epcListepc={EPC_DL}action=OBSERVE"
        f"{{{EXAMPLE_NS}}}myFielddeeperx=yinner=1"
    )
    assert prehash_string(event, CONTEXT) == expected
    assert event_hash_id(event, CONTEXT) == _sha(expected)
    reordered = _event("ObjectEvent", **{"example:myField": {"deeper": {"x": "y"}, "inner": 1.0}})
    assert event_hash_id(reordered, CONTEXT) == _sha(expected)
    changed = _event("ObjectEvent", **{"example:myField": {"inner": 2, "deeper": {"x": "y"}}})
    assert event_hash_id(changed, CONTEXT) != _sha(expected)


@pytest.mark.parametrize(
    ("event_type", "what"),
    [
        ("ObjectEvent", f"epcListepc={EPC_DL}action=OBSERVE"),
        ("TransformationEvent", f"inputEPCListepc={EPC_DL}outputEPCListepc={SSCC_DL}"),
    ],
)
def test_persistent_disposition_hashes_after_disposition_with_full_cbv_uris(
    event_type: str, what: str
) -> None:
    """Reference order: ... bizStep, disposition, persistentDisposition (set, then unset, each
    a CBV web URI), readPoint ...; the same whichever spelling of the values was captured."""
    fields = {"bizStep": "inspecting", "disposition": "conformant"}
    event = _event(event_type, persistentDisposition=copy.deepcopy(PERSISTENT), **fields)
    expected = (
        f"eventType={event_type}{WHEN_PREHASH}{what}"
        "bizStep=https://ref.gs1.org/cbv/BizStep-inspecting"
        f"disposition={DISP}conformant{PERSISTENT_PREHASH}"
    )
    assert prehash_string(event, CONTEXT) == expected
    uris = _event(
        event_type,
        persistentDisposition={
            "unset": ["urn:epcglobal:cbv:disp:completeness_inferred"],
            "set": [DISP + "completeness_verified"],
        },
        **fields,
    )
    assert event_hash_id(uris, CONTEXT) == event_hash_id(event, CONTEXT) == _sha(expected)


def test_a_captured_event_with_nested_extensions_gets_the_reference_hash(
    client: FlaskClient,
) -> None:
    _, headers = make_user_with_token(make_org("HTX Đối tác"))
    event = _event(
        "ObjectEvent",
        persistentDisposition=copy.deepcopy(PERSISTENT),
        **{"example:myField": NESTED},
    )
    expected = event_hash_id(copy.deepcopy(event), CONTEXT)

    response = client.post("/epcis/capture", json=_document(event), headers=headers)

    assert response.status_code == 201, response.get_json()
    assert [e["eventID"] for e in response.get_json()["events"]] == [expected]
    stored = client.get("/epcis/events", query_string={"EQ_eventID": expected}, headers=headers)
    body = stored.get_json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert body[0]["example:myField"] == NESTED
    assert body[0]["persistentDisposition"] == PERSISTENT
