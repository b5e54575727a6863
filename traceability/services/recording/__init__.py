"""Cooperative-friendly business events: each records one step of a lot's life as an EPCIS
2.0 event with the FSMA 204 key data elements, through the one capture path
(``traceability.services.capture.store_events``), with its quantity effects and genealogy
links.

Event shapes (CBV 2.0 values; ``htx:`` is the platform's extension namespace):

- harvest — ObjectEvent ADD, bizStep ``commissioning``, disposition ``active``, the new lot
  as ``quantityList`` (UN/ECE uom), readPoint/bizLocation the area (GLN Digital Link or the
  platform URI), ILMD harvest dates, country of origin, lot number, expiry and the fields
  (area codes, names, planting-area codes) — CBV has no harvesting bizStep (STANDARDS §1).
  Effect +kg.
- cooling / packing / storing — ObjectEvent OBSERVE (bizStep ``packing`` / ``storing``; CBV
  2.0 has no cooling step, so cooling is an own-vocabulary URI as CBV allows:
  ``https://ns.htx-trace.vn/epcis/bizStep/cooling``), effect 0. Packing *into a new packed
  lot* (the FSMA traceability lot code is assigned at initial packing) is a
  TransformationEvent bizStep ``packing`` from the lot to the new packed lot, with the link,
  as every identity change here is.
- shipping — ObjectEvent OBSERVE ``shipping`` / ``in_transit``; source and destination
  ``owning_party`` and ``location``; bizTransactionList ``po`` and ``desadv``; effect −kg;
  a ``Shipment`` row.
- receiving — ObjectEvent OBSERVE ``receiving`` / ``in_progress`` on the shipped lot at the
  receiver's location (effect 0: the shipper's ledger already gave the goods away); when the
  receiver books the goods into its own lot (the default), a TransformationEvent (bizStep
  ``commissioning``, ``htx:operation`` ``receiving``) from the shipped lot to the new lot
  carries +kg and the link, so the receiver's lineage continues from the shipper's.
- transformation, split, merge — TransformationEvent, inputQuantityList →
  outputQuantityList, effects −inputs / +outputs, links input → output with kg; a
  processing step may say which process in ``htx:process`` (traceability/processes.py). Split and
  merge are TransformationEvents, not AggregationEvents: they end with new lot identities
  made from old ones (a genealogy), whereas an AggregationEvent says objects were put into
  or taken out of a container (a parentID such as a pallet SSCC) and neither creates lots
  nor moves quantity between them.
- destroy — ObjectEvent DELETE ``destroying`` / ``destroyed``, effect −what is destroyed.
- recall — ObjectEvent OBSERVE ``holding`` / ``recalled`` naming the lot (and optionally its
  descendants held by the same organisation), effect 0; status ``recalled``.
- corrections — never edit or delete: ``correct_event`` captures the error declaration (the
  original event with ``errorDeclaration``) and, for ``incorrect_data``, one corrective
  event (the original with corrected quantities and/or time), and keeps the quantities true.
  A receiving is corrected by the receiver, whole (receiving event and booking); a lot
  whose making event did not occur becomes ``void``.

Rules: what an actor may record on a lot now is ``traceability.services.operations``' one
answer (``operable_batch``): only the owning organisation (its staff or admins, or a platform
admin) records events on its batches, an event that needs goods is refused on an empty or
closed lot saying why (409), a shipment is received by its addressee; a batch never goes
below zero (409 naming the batch and the shortfall in kg); a re-submitted identical event is
refused as already recorded (409).
Nothing here commits.

The package by concern: ``common`` (what the recorders share: ``Recorded``, event times,
quantity elements and parsing, the one capture path ``store``, ``event_kind``),
``harvest``, ``movements`` (cooling, packing, storing, shipping, receiving),
``transformations`` (transformation, split, merge, and the TransformationEvent packing into
a new lot and a receiver's booking are made of), ``disposal`` (destroy, recall) and
``corrections``. A batch's timeline is read by ``traceability.services.timeline``.
"""

from traceability.services.recording.common import (
    COOLING_STEP,
    EVENT_CONTEXT,
    HTX_NAMESPACE,
    Recorded,
    event_kind,
    event_time,
    local_day,
)
from traceability.services.recording.corrections import (
    ERROR_REASONS,
    Correction,
    correct_event,
    shipment_corrected,
)
from traceability.services.recording.disposal import own_descendants, record_destroy, record_recall
from traceability.services.recording.harvest import record_harvest
from traceability.services.recording.movements import (
    record_cooling,
    record_observation,
    record_packing,
    record_receiving,
    record_shipping,
    record_storing,
)
from traceability.services.recording.transformations import (
    record_merge,
    record_split,
    record_transformation,
)

__all__ = [
    "COOLING_STEP",
    "ERROR_REASONS",
    "EVENT_CONTEXT",
    "HTX_NAMESPACE",
    "Correction",
    "Recorded",
    "correct_event",
    "event_kind",
    "event_time",
    "local_day",
    "own_descendants",
    "record_cooling",
    "record_destroy",
    "record_harvest",
    "record_merge",
    "record_observation",
    "record_packing",
    "record_recall",
    "record_receiving",
    "record_shipping",
    "record_split",
    "record_storing",
    "record_transformation",
    "shipment_corrected",
]
