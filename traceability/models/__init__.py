"""Models of the traceability domain; importing this package registers them all."""

from traceability.models.areas import (
    AreaHousehold,
    AreaKind,
    DiaryEntry,
    DiaryKind,
    ProductionArea,
)
from traceability.models.batches import (
    Batch,
    BatchArea,
    BatchContribution,
    BatchLink,
    BatchStatus,
    Shipment,
)
from traceability.models.events import EpcisEvent, EpcRole, EventBatch, EventEpc, EventType
from traceability.models.lab_results import LabOutcome, LabResult, LabTest
from traceability.models.product_images import ProductImage
from traceability.models.products import Commodity, Product
from traceability.models.scan_reports import ReportKind, ReportStatus, ScanReport
from traceability.models.scans import Scan
from traceability.models.serials import BatchSerial

__all__ = [
    "AreaHousehold",
    "AreaKind",
    "Batch",
    "BatchArea",
    "BatchContribution",
    "BatchLink",
    "BatchSerial",
    "BatchStatus",
    "Commodity",
    "DiaryEntry",
    "DiaryKind",
    "EpcRole",
    "EpcisEvent",
    "EventBatch",
    "EventEpc",
    "EventType",
    "LabOutcome",
    "LabResult",
    "LabTest",
    "Product",
    "ProductImage",
    "ProductionArea",
    "ReportKind",
    "ReportStatus",
    "Scan",
    "ScanReport",
    "Shipment",
]
