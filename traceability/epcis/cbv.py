"""GS1 Core Business Vocabulary (CBV 2.0) standard values and their canonical forms.

A CBV value may be written three ways: the bare word EPCIS 2.0 JSON uses (``shipping``),
the web URI (``https://ref.gs1.org/cbv/BizStep-shipping``, also compacted as
``cbv:BizStep-shipping`` through the EPCIS context) and the EPCIS 1.x URN
(``urn:epcglobal:cbv:bizstep:shipping``). The store keeps the bare word, so queries such as
``EQ_bizStep=shipping`` match however the event was captured, and what ``GET /events``
returns validates against the EPCIS JSON schema (which refuses the URN form).

Anything else must be a full URI of someone's own vocabulary (e.g. GDST's
``urn:gdst:bizStep:farmHarvest``): an unknown bare word is never a valid value.
The lists below are CBV 2.0 (ISO/IEC 19988) and match the enums of the official schema.
"""

from __future__ import annotations

from enum import StrEnum

BIZ_STEPS: frozenset[str] = frozenset(
    {
        "accepting", "arriving", "assembling", "collecting", "commissioning", "consigning",
        "creating_class_instance", "cycle_counting", "decommissioning", "departing",
        "destroying", "disassembling", "dispensing", "encoding", "entering_exiting", "holding",
        "inspecting", "installing", "killing", "loading", "other", "packing", "picking",
        "receiving", "removing", "repackaging", "repairing", "replacing", "reserving",
        "retail_selling", "sampling", "sensor_reporting", "shipping", "staging_outbound",
        "stock_taking", "stocking", "storing", "transporting", "unloading", "unpacking",
        "void_shipping",
    }
)  # fmt: skip

DISPOSITIONS: frozenset[str] = frozenset(
    {
        "active", "available", "completeness_inferred", "completeness_verified", "conformant",
        "container_closed", "container_open", "damaged", "destroyed", "dispensed", "disposed",
        "encoded", "expired", "in_progress", "in_transit", "inactive", "mismatch_class",
        "mismatch_instance", "mismatch_quantity", "needs_replacement", "no_pedigree_match",
        "non_conformant", "non_sellable_other", "partially_dispensed", "recalled", "reserved",
        "retail_sold", "returned", "sellable_accessible", "sellable_not_accessible", "stolen",
        "unavailable", "unknown",
    }
)  # fmt: skip

BIZ_TRANSACTION_TYPES: frozenset[str] = frozenset(
    {
        "bol",  # bill of lading
        "cert",  # certificate
        "desadv",  # despatch advice
        "inv",  # invoice
        "pedigree",
        "po",  # purchase order
        "poc",  # purchase order confirmation
        "prodorder",  # production order
        "recadv",  # receiving advice
        "rma",  # return merchandise authorisation
        "testprd",  # test procedure
        "testres",  # test result
        "upevt",  # upstream EPCIS event
    }
)

SOURCE_DEST_TYPES: frozenset[str] = frozenset({"owning_party", "possessing_party", "location"})

ERROR_REASONS: frozenset[str] = frozenset({"did_not_occur", "incorrect_data"})

ACTIONS: frozenset[str] = frozenset({"ADD", "OBSERVE", "DELETE"})

# Sensor data (EPCIS 2.0 §7.3.8): measurement types come from the GS1 Web Vocabulary
# (gs1:MeasurementType); the schema accepts the bare names below or a non-GS1 URI.
MEASUREMENT_TYPES: frozenset[str] = frozenset(
    {
        "AbsoluteHumidity", "AbsorbedDose", "AbsorbedDoseRate", "Acceleration", "Altitude",
        "AmountOfSubstance", "AmountOfSubstancePerUnitVolume", "Angle", "AngularAcceleration",
        "AngularMomentum", "AngularVelocity", "Area", "Capacitance", "Conductance",
        "Conductivity", "Count", "Density", "Dimensionless", "DoseEquivalent",
        "DoseEquivalentRate", "DynamicViscosity", "ElectricCharge", "ElectricCurrent",
        "ElectricCurrentDensity", "ElectricFieldStrength", "Energy", "Exposure", "Force",
        "Frequency", "Illuminance", "Inductance", "Irradiance", "KinematicViscosity", "Length",
        "LinearMomentum", "Luminance", "LuminousFlux", "LuminousIntensity", "MagneticFlux",
        "MagneticFluxDensity", "MagneticVectorPotential", "Mass", "MassConcentration",
        "MassFlowRate", "MassPerAreaTime", "MemoryCapacity", "MolalityOfSolute", "MolarEnergy",
        "MolarMass", "MolarVolume", "Power", "Pressure", "Radioactivity", "RadiantFlux",
        "RadiantIntensity", "RelativeHumidity", "Resistance", "Resistivity", "SolidAngle",
        "SpecificVolume", "Speed", "SurfaceDensity", "SurfaceTension", "Temperature", "Time",
        "Torque", "Voltage", "Volume", "VolumeFlowRate", "VolumeFraction", "VolumetricFlux",
        "Wavenumber",
    }
)  # fmt: skip

SENSOR_ALERT_TYPES: frozenset[str] = frozenset({"ALARM_CONDITION", "ERROR_CONDITION"})

SENSOR_COMPONENTS: frozenset[str] = frozenset(
    {
        "x", "y", "z", "axial_distance", "azimuth", "height", "spherical_radius",
        "polar_angle", "elevation_angle", "easting", "northing", "latitude", "longitude",
        "altitude",
    }
)  # fmt: skip

CBV_WEB_BASE = "https://ref.gs1.org/cbv/"
CBV_URN_BASE = "urn:epcglobal:cbv:"
# GS1's own namespaces: a value there must be a known term, never "someone's own vocabulary".
GS1_CBV_NAMESPACES = (
    CBV_WEB_BASE,
    CBV_URN_BASE,
    "http://ns.gs1.org/cbv/",
    "https://ns.gs1.org/cbv/",
)


class CbvKind(StrEnum):
    """The vocabularies whose values this module checks; the value is the EPCIS field name."""

    BIZ_STEP = "bizStep"
    DISPOSITION = "disposition"
    BIZ_TRANSACTION_TYPE = "bizTransactionType"
    SOURCE_DEST_TYPE = "sourceDestType"
    ERROR_REASON = "errorReason"


VOCABULARIES: dict[CbvKind, frozenset[str]] = {
    CbvKind.BIZ_STEP: BIZ_STEPS,
    CbvKind.DISPOSITION: DISPOSITIONS,
    CbvKind.BIZ_TRANSACTION_TYPE: BIZ_TRANSACTION_TYPES,
    CbvKind.SOURCE_DEST_TYPE: SOURCE_DEST_TYPES,
    CbvKind.ERROR_REASON: ERROR_REASONS,
}

# (web URI term prefix, URN segment) per kind, as CBV 2.0 §8 defines them.
_FORMS: dict[CbvKind, tuple[str, str]] = {
    CbvKind.BIZ_STEP: ("BizStep-", "bizstep"),
    CbvKind.DISPOSITION: ("Disp-", "disp"),
    CbvKind.BIZ_TRANSACTION_TYPE: ("BTT-", "btt"),
    CbvKind.SOURCE_DEST_TYPE: ("SDT-", "sdt"),
    CbvKind.ERROR_REASON: ("ER-", "er"),
}


def _prefixes(kind: CbvKind) -> tuple[str, str, str]:
    web, urn = _FORMS[kind]
    return CBV_WEB_BASE + web, "cbv:" + web, f"{CBV_URN_BASE}{urn}:"


_PREFIXES: dict[CbvKind, tuple[str, str, str]] = {k: _prefixes(k) for k in CbvKind}


def cbv_term(value: str, kind: CbvKind) -> str | None:
    """The bare CBV word ``value`` stands for (any of its three spellings), else None."""
    vocabulary = VOCABULARIES[kind]
    if value in vocabulary:
        return value
    for prefix in _PREFIXES[kind]:
        if value.startswith(prefix):
            word = value[len(prefix) :]
            return word if word in vocabulary else None
    return None


def in_gs1_namespace(value: str) -> bool:
    """True when ``value`` claims to be a CBV term (web URI, compact ``cbv:`` or URN)."""
    return value.startswith(GS1_CBV_NAMESPACES) or value.startswith("cbv:")


def cbv_uri(term: str, kind: CbvKind) -> str:
    """The CBV 2.0 web URI of a bare term: ``shipping`` -> ``https://ref.gs1.org/cbv/BizStep-shipping``."""
    return _PREFIXES[kind][0] + term


def normalise_cbv(value: str, kind: CbvKind | str, *, full_uri: bool = False) -> str | None:
    """Canonical form of a vocabulary value, for storage and indexing.

    A CBV term in any spelling becomes its bare word (or, with ``full_uri``, its web URI);
    a value of someone else's vocabulary (anything with a ``:`` outside GS1's namespaces) is
    returned unchanged; an unknown bare word or an unknown term in a GS1 namespace gives None.
    """
    kind = CbvKind(kind)
    term = cbv_term(value, kind)
    if term is not None:
        return cbv_uri(term, kind) if full_uri else term
    if ":" not in value or in_gs1_namespace(value):
        return None
    return value
