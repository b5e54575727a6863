"""Validation of EPCIS 2.0 JSON/JSON-LD documents and events before capture.

Two layers, both needed:

1. The official GS1 EPCIS 2.0 JSON schema (shipped in ``schema/``, never fetched), run by
   ``jsonschema-rs`` over the whole document in one call. Measured on 10,000 ObjectEvents it
   costs ~5-9 µs per event where ``fastjsonschema`` costs ~130 µs, so a capture of a large
   document is not bound by validation.
2. Rules the schema leaves open (STANDARDS.md §1), checked in Python per event: CBV values
   (bizStep, disposition, bizTransaction type, source/destination type, error reason) are a
   known CBV term in any spelling or a URI of someone's own vocabulary, never an unknown bare
   word; ``eventTime`` carries a time-zone offset; extension fields are namespaced with a
   prefix declared in ``@context`` (or are full URIs), also inside ilmd, readPoint,
   bizLocation, errorDeclaration and sensor data; quantities are finite and not negative;
   ``schemaVersion`` is 2.x; a standard field of another event type (``persistentDisposition``
   on an AggregationEvent) is refused naming the types the standard gives it to.

Everything else the schema accepts is accepted (issue 9 §4). In particular the keys nested
inside a user-extension element belong to that element's namespace, as child elements do in
the XML binding, and need no prefix of their own: ``"example:myField": {"inner": 1}`` is
valid; only a nested key that does carry a prefix must have it declared.

CBV values are normalised IN PLACE to their bare word (``urn:epcglobal:cbv:bizstep:shipping``
-> ``shipping``) before the schema runs, because the schema refuses the URN spelling in JSON
while the standard allows capturing it; the stored event then validates as GS1 expects.

Error keys: dotted paths from the root of what was validated, list indexes as numbers, e.g.
``epcisBody.eventList.3.eventTime`` (``validate_event`` paths start at the event:
``quantityList.0.quantity``). ``app.errors`` turns them into JSON pointers by splitting on
".". A key that itself contains "." (a full-URI extension field) is not escaped, so its
pointer is approximate; the ``field`` text is still exact.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema_rs

from core.boundary import calendar_message, iso_year_in_calendar
from core.errors import ValidationFailed
from core.i18n import _, _l
from traceability.epcis.cbv import (
    BIZ_STEPS,
    BIZ_TRANSACTION_TYPES,
    DISPOSITIONS,
    ERROR_REASONS,
    SOURCE_DEST_TYPES,
    CbvKind,
    cbv_term,
    in_gs1_namespace,
)

SCHEMA_DIR = Path(__file__).with_name("schema")
SCHEMA_FILE = SCHEMA_DIR / "EPCIS-JSON-Schema.json"
CONTEXT_FILE = SCHEMA_DIR / "epcis-context.jsonld"
# The context URL GS1 publishes; documents reference it, the app serves its local copy.
EPCIS_CONTEXT_URL = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"

DOCUMENT_TYPES = ("EPCISDocument", "EPCISQueryDocument")
EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)
EVENT_LIST_PATHS: dict[str, tuple[str, ...]] = {
    "EPCISDocument": ("epcisBody", "eventList"),
    "EPCISQueryDocument": ("epcisBody", "queryResults", "resultsBody", "eventList"),
}

FieldErrorDict = dict[str, list[str]]

# Schemes whose values are full URIs even without "//" (a compact IRI "ex:foo" is not).
_URI_SCHEMES = frozenset({"urn", "tag", "ni", "did", "mailto", "uuid", "data"})

_DOCUMENT_KEYS = frozenset(
    {
        "@context", "id", "type", "schemaVersion", "creationDate", "instanceIdentifier",
        "sender", "receiver", "epcisHeader", "epcisBody",
    }
)  # fmt: skip
# Standard event fields that need no check beyond the schema's.
_PLAIN_EVENT_KEYS = frozenset(
    {
        "@context", "type", "eventTimeZoneOffset", "recordTime", "eventID", "certificationInfo",
        "action", "epcList", "parentID", "childEPCs", "inputEPCList", "outputEPCList",
        "transformationID",
    }
)  # fmt: skip
_ERROR_DECLARATION_KEYS = frozenset({"declarationTime", "reason", "correctiveEventIDs"})
_SENSOR_ELEMENT_KEYS = frozenset({"sensorMetadata", "sensorReport"})
_SENSOR_METADATA_KEYS = frozenset(
    {
        "time", "deviceID", "deviceMetadata", "rawData", "startTime", "endTime",
        "dataProcessingMethod", "bizRules",
    }
)  # fmt: skip
_SENSOR_REPORT_KEYS = frozenset(
    {
        "type", "exception", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod",
        "bizRules", "time", "microorganism", "chemicalSubstance", "coordinateReferenceSystem",
        "value", "component", "stringValue", "booleanValue", "hexBinaryValue", "uriValue",
        "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue", "uom",
    }
)  # fmt: skip
_LOCATION_KEYS = frozenset({"id"})


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class ValidatedDocument:
    """A document that passed every check; ``events`` are its (normalised) events."""

    document_type: str
    context: Any
    events: list[dict[str, Any]]
    document: dict[str, Any]


@dataclass(slots=True)
class CheckedDocument:
    """A document whose envelope is valid; some events may still be invalid.

    ``event_errors`` maps the index of each invalid event to its field errors (keys are
    document paths such as ``epcisBody.eventList.3.eventTime``). With
    ``GS1-Capture-Error-Behaviour: proceed`` the caller stores ``valid_events`` only.
    """

    document_type: str
    context: Any
    events: list[dict[str, Any]]
    document: dict[str, Any]
    event_errors: dict[int, FieldErrorDict] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.event_errors

    @property
    def valid_events(self) -> list[tuple[int, dict[str, Any]]]:
        bad = self.event_errors
        return [(i, e) for i, e in enumerate(self.events) if i not in bad]

    def field_errors(self) -> FieldErrorDict:
        merged: FieldErrorDict = {}
        for index in sorted(self.event_errors):
            merged.update(self.event_errors[index])
        return merged


# --------------------------------------------------------------------------- public API


def validate_document(doc: Any) -> ValidatedDocument:
    """Validate a whole EPCISDocument / EPCISQueryDocument, all or nothing.

    Raises ``ValidationFailed`` whose field errors name every failing place of every event
    (dotted paths); returns the (normalised) events and the ``@context`` otherwise.
    """
    checked = check_document(doc)
    if checked.event_errors:
        raise ValidationFailed(
            _("The EPCIS document is not valid."), field_errors=checked.field_errors()
        )
    return ValidatedDocument(
        document_type=checked.document_type,
        context=checked.context,
        events=checked.events,
        document=checked.document,
    )


def check_document(doc: Any) -> CheckedDocument:
    """Validate a document and report per-event errors without raising for them.

    Raises ``ValidationFailed`` only when the document itself is unusable (not an object,
    wrong ``type`` or ``schemaVersion``, no ``@context``, no event list...): then there are
    no events to keep. Its field errors also include any event errors found.
    """
    if not isinstance(doc, Mapping):
        raise ValidationFailed(
            _("The EPCIS document is not valid."),
            field_errors={"": [_("An EPCIS document must be a JSON object.")]},
        )
    doc_type = doc.get("type")
    if doc_type not in DOCUMENT_TYPES:
        raise ValidationFailed(
            _("The EPCIS document is not valid."),
            field_errors={
                "type": [_("Must be one of: %(options)s.", options=", ".join(DOCUMENT_TYPES))]
            },
        )
    list_path = EVENT_LIST_PATHS[doc_type]
    base = ".".join(list_path)
    context = doc.get("@context")
    prefixes = declared_prefixes(context)

    doc_errors: FieldErrorDict = {}
    _check_document_fields(doc, prefixes, doc_errors)
    events = _dig(doc, list_path)
    event_errors: dict[int, FieldErrorDict] = {}
    if isinstance(events, list):
        for index, event in enumerate(events):
            if isinstance(event, dict):
                errs: FieldErrorDict = {}
                _check_event(event, prefixes, f"{base}.{index}", errs)
                if errs:
                    event_errors[index] = errs

    validator = _validator()
    if not validator.is_valid(doc):
        depth = len(list_path)
        schema_doc: FieldErrorDict = {}
        schema_events: dict[int, FieldErrorDict] = {}
        for error in validator.iter_errors(doc):
            for path, message in _schema_messages(error):
                is_event = (
                    len(path) > depth
                    and tuple(path[:depth]) == list_path
                    and isinstance(path[depth], int)
                )
                target = schema_events.setdefault(path[depth], {}) if is_event else schema_doc
                _add(target, _key(path), message)
        _merge(doc_errors, schema_doc)
        for index, errs in schema_events.items():
            _merge(event_errors.setdefault(index, {}), errs)

    if doc_errors or not isinstance(events, list):
        merged = dict(doc_errors)
        for index in sorted(event_errors):
            merged.update(event_errors[index])
        raise ValidationFailed(_("The EPCIS document is not valid."), field_errors=merged)
    return CheckedDocument(
        document_type=doc_type,
        context=context,
        events=events,
        document=dict(doc),
        event_errors=event_errors,
    )


def validate_event(event: Any, context: Any = None, *, path: str = "") -> FieldErrorDict:
    """Field errors of one event outside a document (``POST /events``); empty when valid.

    ``context`` is the enclosing ``@context`` when the event comes from a document; a bare
    event must carry its own ``@context`` (the schema requires it). ``path`` prefixes the keys.
    CBV values are normalised in place, as in documents.
    """
    errors: FieldErrorDict = {}
    if not isinstance(event, dict):
        return {path: [_("An EPCIS event must be a JSON object.")]}
    if event.get("type") in DOCUMENT_TYPES:
        return {_join(path, "type"): [_("An event is expected here, not a document.")]}
    prefixes = declared_prefixes(context)
    _check_event(event, prefixes, path, errors)
    instance = event
    if context is not None and "@context" not in event:
        instance = {**event, "@context": context}
    validator = _validator()
    if not validator.is_valid(instance):
        schema_errors: FieldErrorDict = {}
        for error in validator.iter_errors(instance):
            for err_path, message in _schema_messages(error):
                _add(schema_errors, _join(path, _key(err_path)) if err_path else path, message)
        _merge(errors, schema_errors)
    return errors


def declared_prefixes(context: Any) -> frozenset[str]:
    """Terms usable as namespace prefixes: those of the EPCIS context plus ``context``'s own.

    The EPCIS context's prefixes (gs1, cbv, cbvmda, epcis, rdfs, xsd...) always count: EPCIS
    JSON is defined against it, whether the document names it by URL or not.
    """
    found = set(_standard_prefixes())
    for item in context if isinstance(context, list) else [context]:
        if isinstance(item, Mapping):
            found.update(k for k, v in item.items() if not k.startswith("@") and v is not None)
    return frozenset(found)


def is_namespaced(name: str, prefixes: Iterable[str] | frozenset[str]) -> bool:
    """True for a full URI or a compact IRI whose prefix is declared."""
    prefix, sep, rest = name.partition(":")
    if not sep or not prefix:
        return False
    return prefix in prefixes or rest.startswith("//") or prefix.lower() in _URI_SCHEMES


def load_schema() -> dict[str, Any]:
    with SCHEMA_FILE.open(encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=1)
def load_context() -> dict[str, Any]:
    """The EPCIS 2.0 JSON-LD context document (to serve; never fetched over the network)."""
    with CONTEXT_FILE.open(encoding="utf-8") as fh:
        return json.load(fh)


# --------------------------------------------------------------------------- internals


@lru_cache(maxsize=1)
def _validator() -> jsonschema_rs.Draft7Validator:
    # Draft 7 treats "format" as an annotation unless asked; the schema relies on it
    # (date-time with offset, uri for extension field names), so validate formats.
    return jsonschema_rs.Draft7Validator(_enum_branches_first(load_schema()), validate_formats=True)


def _enum_branches_first(node: Any) -> Any:
    """The same schema with each ``anyOf``'s plain-enum branch tried first.

    ``anyOf`` does not depend on branch order, so validity is unchanged; but the CBV fields
    list "a non-GS1 URI" (a format check plus a look-ahead regex) before the enum of bare
    words, and trying the cheap enum first saves ~10% on typical events.
    """
    if isinstance(node, list):
        return [_enum_branches_first(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _enum_branches_first(value) for key, value in node.items()}
    branches = out.get("anyOf")
    if isinstance(branches, list):
        out["anyOf"] = sorted(
            branches,
            key=lambda b: 0 if isinstance(b, dict) and "enum" in b and "$ref" not in b else 1,
        )
    return out


@lru_cache(maxsize=1)
def _misplaced_fields() -> dict[str, dict[str, tuple[str, ...]]]:
    """Per event type, the standard fields of *other* event types it may not carry, each
    with the types that may (from the schema's ``propertyNames``): ``AggregationEvent`` ->
    ``{"persistentDisposition": ("ObjectEvent", "TransformationEvent"), "epcList": ...}``."""
    definitions = load_schema()["definitions"]
    allowed: dict[str, set[str]] = {}
    for event_type in EVENT_TYPES:
        names = allowed.setdefault(event_type, set())
        for part in definitions[event_type]["allOf"]:
            for branch in part.get("propertyNames", {}).get("anyOf", []):
                names.update(branch.get("enum", ()))
    every = set().union(*allowed.values())
    return {
        event_type: {
            name: tuple(t for t in EVENT_TYPES if name in allowed[t])
            for name in sorted(every - names)
        }
        for event_type, names in allowed.items()
    }


@lru_cache(maxsize=1)
def _standard_prefixes() -> frozenset[str]:
    ctx = load_context().get("@context", {})
    return frozenset(
        k
        for k, v in ctx.items()
        if isinstance(v, str) and not k.startswith("@") and v.endswith(("/", "#", ":"))
    )


def _dig(doc: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = doc
    for part in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _join(base: str, *parts: object) -> str:
    tail = ".".join(map(str, parts))
    return f"{base}.{tail}" if base else tail


def _key(path: list[Any]) -> str:
    return ".".join(str(p) for p in path)


def _add(target: FieldErrorDict, key: str, message: str) -> None:
    messages = target.setdefault(key, [])
    if message not in messages:
        messages.append(message)


def _merge(ours: FieldErrorDict, schema: FieldErrorDict) -> None:
    """Add the schema's errors, except where our own check already named the same place:
    ours is the precise one ("not a CBV bizStep" rather than "matches no anyOf branch")."""
    for key, messages in schema.items():
        if key not in ours:
            ours[key] = messages


def _check_document_fields(
    doc: Mapping[str, Any], prefixes: frozenset[str], errs: FieldErrorDict
) -> None:
    version = doc.get("schemaVersion")
    if isinstance(version, str) and version != "2" and not version.startswith("2."):
        errs["schemaVersion"] = [_("Only EPCIS 2.0 documents are accepted (schemaVersion 2.0).")]
    for key, value in doc.items():
        if key not in _DOCUMENT_KEYS:
            _check_extension(key, value, prefixes, "", errs)


# The per-event rules run on every captured event, so they are written for speed: the
# common case (a CBV bare word, a positive quantity) is one set lookup, and error paths
# are only built when there is an error to report.


def _check_event(
    event: dict[str, Any], prefixes: frozenset[str], base: str, errs: FieldErrorDict
) -> None:
    """Python-side rules for one event, adding errors under ``base``; normalises CBV values."""
    own_context = event.get("@context")
    if own_context is not None:
        prefixes = prefixes | declared_prefixes(own_context)
    misplaced = _misplaced_fields().get(event.get("type"))
    for key, value in event.items():
        if misplaced and key in misplaced:
            errs[_join(base, key)] = [
                _(
                    "'%(name)s' is not a field of %(type)s; EPCIS 2.0 allows it in %(types)s.",
                    name=key,
                    type=event["type"],
                    types=", ".join(misplaced[key]),
                )
            ]
            continue
        if key in _PLAIN_EVENT_KEYS:
            continue
        vocab = _VOCAB_FIELDS.get(key)
        if vocab is not None:
            if value.__class__ is not str or value not in vocab[0]:
                _check_vocab(event, key, vocab[1], prefixes, base, (key,), errs)
            continue
        check = _EVENT_CHECKS.get(key)
        if check is not None:
            check(event, key, value, prefixes, base, errs)
        else:
            _check_extension(key, value, prefixes, base, errs)


def _check_event_time(
    event: dict[str, Any],
    key: str,
    value: Any,
    prefixes: frozenset[str],
    base: str,
    errs: FieldErrorDict,
) -> None:
    # RFC 3339 ends with "Z" or "±hh:mm"; the schema's format check refuses it too, but
    # this message tells the sender what is missing instead of "not a date-time".
    if isinstance(value, str) and not (
        value[-1:] in ("Z", "z") or (len(value) > 6 and value[-6] in "+-" and value[-3] == ":")
    ):
        errs[_join(base, key)] = [_("eventTime must include a time-zone offset (Z or ±hh:mm).")]
    elif isinstance(value, str) and not iso_year_in_calendar(value):
        # Valid RFC 3339, but year 1 or 9999 overflows once it is stored in UTC.
        errs[_join(base, key)] = [calendar_message()]


def _check_persistent_disposition(
    event: dict[str, Any],
    key: str,
    value: Any,
    prefixes: frozenset[str],
    base: str,
    errs: FieldErrorDict,
) -> None:
    if not isinstance(value, dict):
        return
    for part in ("set", "unset"):
        items = value.get(part)
        if isinstance(items, list):
            for i, item in enumerate(items):
                if item.__class__ is not str or item not in DISPOSITIONS:
                    parts = (key, part, i)
                    _check_vocab(items, i, CbvKind.DISPOSITION, prefixes, base, parts, errs)


def _check_biz_transactions(
    event: dict[str, Any],
    key: str,
    value: Any,
    prefixes: frozenset[str],
    base: str,
    errs: FieldErrorDict,
) -> None:
    _check_typed_items(
        value, BIZ_TRANSACTION_TYPES, CbvKind.BIZ_TRANSACTION_TYPE, prefixes, base, key, errs
    )


def _check_source_dest(
    event: dict[str, Any],
    key: str,
    value: Any,
    prefixes: frozenset[str],
    base: str,
    errs: FieldErrorDict,
) -> None:
    _check_typed_items(
        value, SOURCE_DEST_TYPES, CbvKind.SOURCE_DEST_TYPE, prefixes, base, key, errs
    )


def _check_typed_items(
    items: Any,
    vocabulary: frozenset[str],
    kind: CbvKind,
    prefixes: frozenset[str],
    base: str,
    key: str,
    errs: FieldErrorDict,
) -> None:
    if not isinstance(items, list):
        return
    for i, item in enumerate(items):
        if isinstance(item, dict):
            value = item.get("type")
            if value is not None and (value.__class__ is not str or value not in vocabulary):
                _check_vocab(item, "type", kind, prefixes, base, (key, i, "type"), errs)


def _check_quantities(
    event: dict[str, Any],
    key: str,
    value: Any,
    prefixes: frozenset[str],
    base: str,
    errs: FieldErrorDict,
) -> None:
    if not isinstance(value, list):
        return
    for i, item in enumerate(value):
        if isinstance(item, dict):
            qty = item.get("quantity")
            # bool is an int subclass: leave it to the schema's type error.
            if type(qty) in (int, float) and not 0 <= qty < math.inf:
                errs[_join(base, key, i, "quantity")] = [
                    _("Quantity must be a non-negative number.")
                ]


def _check_error_declaration(
    event: dict[str, Any],
    key: str,
    value: Any,
    prefixes: frozenset[str],
    base: str,
    errs: FieldErrorDict,
) -> None:
    if not isinstance(value, dict):
        return
    reason = value.get("reason")
    if reason is not None and (reason.__class__ is not str or reason not in ERROR_REASONS):
        _check_vocab(value, "reason", CbvKind.ERROR_REASON, prefixes, base, (key, "reason"), errs)
    _check_extensions_of(value, _ERROR_DECLARATION_KEYS, prefixes, _join(base, key), errs)


def _check_ilmd(
    event: dict[str, Any],
    key: str,
    value: Any,
    prefixes: frozenset[str],
    base: str,
    errs: FieldErrorDict,
) -> None:
    if isinstance(value, dict):
        _check_extensions_of(value, frozenset(), prefixes, _join(base, key), errs)


def _check_location(
    event: dict[str, Any],
    key: str,
    value: Any,
    prefixes: frozenset[str],
    base: str,
    errs: FieldErrorDict,
) -> None:
    if isinstance(value, dict) and (len(value) > 1 or "id" not in value):
        _check_extensions_of(value, _LOCATION_KEYS, prefixes, _join(base, key), errs)


def _check_sensor_elements(
    event: dict[str, Any],
    key: str,
    value: Any,
    prefixes: frozenset[str],
    base: str,
    errs: FieldErrorDict,
) -> None:
    if not isinstance(value, list):
        return
    for i, element in enumerate(value):
        if not isinstance(element, dict):
            continue
        path = _join(base, key, i)
        _check_extensions_of(element, _SENSOR_ELEMENT_KEYS, prefixes, path, errs)
        meta = element.get("sensorMetadata")
        if isinstance(meta, dict):
            meta_path = f"{path}.sensorMetadata"
            _check_extensions_of(meta, _SENSOR_METADATA_KEYS, prefixes, meta_path, errs)
        reports = element.get("sensorReport")
        if isinstance(reports, list):
            for j, report in enumerate(reports):
                if isinstance(report, dict):
                    report_path = f"{path}.sensorReport.{j}"
                    _check_extensions_of(report, _SENSOR_REPORT_KEYS, prefixes, report_path, errs)


_EVENT_CHECKS = {
    "eventTime": _check_event_time,
    "persistentDisposition": _check_persistent_disposition,
    "bizTransactionList": _check_biz_transactions,
    "sourceList": _check_source_dest,
    "destinationList": _check_source_dest,
    "quantityList": _check_quantities,
    "childQuantityList": _check_quantities,
    "inputQuantityList": _check_quantities,
    "outputQuantityList": _check_quantities,
    "errorDeclaration": _check_error_declaration,
    "ilmd": _check_ilmd,
    "readPoint": _check_location,
    "bizLocation": _check_location,
    "sensorElementList": _check_sensor_elements,
}

_VOCAB_FIELDS: dict[str, tuple[frozenset[str], CbvKind]] = {
    "bizStep": (BIZ_STEPS, CbvKind.BIZ_STEP),
    "disposition": (DISPOSITIONS, CbvKind.DISPOSITION),
}

_KIND_LABELS = {
    CbvKind.BIZ_STEP: _l("business step (bizStep)"),
    CbvKind.DISPOSITION: _l("disposition"),
    CbvKind.BIZ_TRANSACTION_TYPE: _l("business transaction type"),
    CbvKind.SOURCE_DEST_TYPE: _l("source/destination type"),
    CbvKind.ERROR_REASON: _l("error reason"),
}


def _check_vocab(
    holder: Any,
    slot: Any,
    kind: CbvKind,
    prefixes: frozenset[str],
    base: str,
    parts: tuple[Any, ...],
    errs: FieldErrorDict,
) -> None:
    """Check ``holder[slot]``, not a bare CBV word; write its canonical form back in place."""
    value = holder[slot]
    if not isinstance(value, str):
        return  # the schema reports the wrong type
    term = cbv_term(value, kind)
    if term is not None:
        holder[slot] = term
        return
    what = str(_KIND_LABELS[kind])
    if ":" not in value:
        message = _(
            "'%(value)s' is not a CBV %(what)s; use a CBV value or the full URI of "
            "your own vocabulary.",
            value=value,
            what=what,
        )
    elif in_gs1_namespace(value):
        message = _("'%(value)s' is not a CBV %(what)s.", value=value, what=what)
    elif not is_namespaced(value, prefixes):
        message = _undeclared(value)
    else:
        return  # a URI of someone's own vocabulary
    errs[_join(base, *parts)] = [message]


def _undeclared(name: str) -> str:
    return _(
        "The prefix '%(prefix)s' is not declared in @context; declare it or use a full URI.",
        prefix=name.partition(":")[0],
    )


def _check_extensions_of(
    obj: dict[str, Any],
    standard: frozenset[str],
    prefixes: frozenset[str],
    path: str,
    errs: FieldErrorDict,
) -> None:
    for key, value in obj.items():
        if key not in standard:
            _check_extension(key, value, prefixes, path, errs)


def _check_extension(
    name: str, value: Any, prefixes: frozenset[str], parent: str, errs: FieldErrorDict
) -> None:
    """An extension field ``parent.name`` where EPCIS defines the names (an event, ilmd...).

    A bare name there would be an undefined EPCIS term, so it needs a declared prefix or a
    full URI; the fields nested inside its value belong to its namespace (see the module's
    docstring) and are checked by ``_check_extension_value``.
    """
    if name[:1] != "@":
        prefix, sep, _rest = name.partition(":")
        if not sep:
            errs[_join(parent, name)] = [
                _(
                    "'%(name)s' is not an EPCIS field; an extension field needs a namespace "
                    "prefix declared in @context (e.g. 'example:%(name)s') or a full URI.",
                    name=name,
                )
            ]
        elif prefix not in prefixes and not is_namespaced(name, prefixes):
            errs[_join(parent, name)] = [_undeclared(name)]
    if isinstance(value, dict | list):
        _check_extension_value(value, prefixes, _join(parent, name), errs)


def _check_extension_value(
    value: Any, prefixes: frozenset[str], path: str, errs: FieldErrorDict
) -> None:
    """The inside of a user-extension element: bare keys are its own (no prefix needed); a
    key written with a prefix must have that prefix declared, at any depth."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if ":" in key and key[:1] != "@" and not is_namespaced(key, prefixes):
                errs[_join(path, key)] = [_undeclared(key)]
            if isinstance(inner, dict | list):
                _check_extension_value(inner, prefixes, _join(path, key), errs)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            if isinstance(inner, dict | list):
                _check_extension_value(inner, prefixes, f"{path}.{i}", errs)


def _schema_messages(error: jsonschema_rs.ValidationError) -> list[tuple[list[Any], str]]:
    """Turn one schema error into (instance path, translated message) pairs.

    The library's own messages embed the whole failing instance (a full event for an
    ``anyOf``), so each common kind gets a short message of ours; the failing property goes
    into the path so the client sees *which* field is missing or not allowed.
    """
    kinds = jsonschema_rs.ValidationErrorKind
    path = list(error.instance_path)
    kind = error.kind
    if isinstance(kind, kinds.Required):
        return [([*path, kind.property], _("This field is required."))]
    if isinstance(kind, kinds.AdditionalProperties):
        return [([*path, name], _("This field is not allowed here.")) for name in kind.unexpected]
    if isinstance(kind, kinds.PropertyNames):
        name = getattr(kind.error, "instance", None)
        if isinstance(name, str):
            return [
                (
                    [*path, name],
                    _(
                        "This field is not allowed here; an extension field "
                        "needs a namespace prefix (e.g. 'example:%(name)s').",
                        name=name,
                    ),
                )
            ]
        return [(path, _("A field name is not allowed here."))]
    if isinstance(kind, kinds.Type):
        types = kind.types if isinstance(kind.types, list) else [kind.types]
        return [(path, _("Must be of type %(types)s.", types=" or ".join(map(str, types))))]
    if isinstance(kind, kinds.Format):
        if kind.format == "date-time":
            msg = _("Must be a date-time with a time-zone offset, e.g. 2024-05-01T08:00:00+07:00.")
        elif kind.format == "uri":
            msg = _("Must be an absolute URI.")
        else:
            msg = _("Is not a valid %(format)s.", format=kind.format)
        return [(path, msg)]
    if isinstance(kind, kinds.Enum):
        options = ", ".join(map(str, kind.options))
        return [(path, _("Must be one of: %(options)s.", options=options))]
    if isinstance(kind, kinds.Pattern):
        return [(path, _("Does not have the required format (%(pattern)s).", pattern=kind.pattern))]
    if isinstance(kind, kinds.MinItems):
        return [(path, _("Must have at least %(n)s item(s).", n=kind.limit))]
    if isinstance(kind, kinds.UniqueItems):
        return [(path, _("Items must be unique."))]
    if isinstance(kind, kinds.AnyOf | kinds.OneOfNotValid | kinds.OneOfMultipleValid):
        where = "/".join(str(p) for p in error.schema_path)
        if where.endswith("ObjectEvent/allOf/2/anyOf"):
            return [(path, _("An ObjectEvent needs an epcList, a quantityList, or a "
                             "sensorElementList together with a readPoint."))]  # fmt: skip
        if where.endswith("ObjectEvent/allOf/3/anyOf"):
            return [(path, _("ilmd is only allowed when the action is ADD."))]
        return [
            (
                path,
                _("Does not match any form the EPCIS schema allows here (%(rule)s).", rule=where),
            )
        ]
    message = error.message
    return [(path, message if len(message) <= 200 else message[:197] + "...")]
