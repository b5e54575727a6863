"""The supplier scorecard on a hand-built supplier, every figure worked out here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask

from core.clock import local_today
from core.db import db
from core.errors import NotFound
from linkages.models import OrgType
from linkages.services import certifications as certs
from linkages.services import scorecard as sc
from linkages.services import suppliers as sup
from tests.linkages.supplier_helpers import certify, farm, harvest_lot, in_days, side
from tests.linkages.test_suppliers import _bare_lot
from traceability.models import Batch, BatchStatus, Scan
from traceability.services import recording as events


def _scans(batch: Batch, n: int, *, serial: str | None = None, at: datetime,
           clients: int = 1) -> None:
    for i in range(n):
        db.session.add(Scan(scanned_at=at + timedelta(minutes=i), batch_id=batch.id,
                            product_id=batch.product_id, serial=serial,
                            level="serial" if serial else "lot", language="vi",
                            fingerprint=f"{i % clients:064d}"))
    db.session.commit()


def test_the_scorecard_counts_what_the_records_say(app: Flask) -> None:
    buyer = side("Công ty Thu Mua", OrgType.DN)
    supplier = side("HTX Vải Thanh Hà")
    grown = farm(supplier)  # lot 1: complete
    today = local_today()
    # Certifications: 1 valid far beyond 60 days, 1 expiring in 30 days, 1 expired 10 days
    # ago, 1 revoked (in none of the three), 1 not yet valid (in none).
    certify(supplier, "vietgap", expires=in_days(400))
    certify(supplier, "globalgap", expires=in_days(30))
    certify(supplier, "haccp", issued=in_days(-500), expires=in_days(-10))
    revoked = certify(supplier, "iso22000", expires=in_days(400))
    certs.revoke_certification(supplier.actor, revoked, today - timedelta(days=1), "Thu hồi")
    certify(supplier, "organic_vn", issued=in_days(5), expires=in_days(400))
    # Lots: 3 complete harvests (one recalled), 1 bare lot (incomplete), 1 void (left out).
    lot2 = harvest_lot(supplier, grown.area, grown.product, expiry=today - timedelta(days=60))
    lot3 = harvest_lot(supplier, grown.area, grown.product)
    _bare_lot(supplier.org.id, grown.product.id)
    _bare_lot(supplier.org.id, grown.product.id, status=BatchStatus.VOID)
    events.record_recall(supplier.actor, lot3.id, at=today - timedelta(days=1))
    db.session.commit()
    # Scans. Lot 1: serial "7" scanned 21 times (more than 20: a copied label); serial "8"
    # 5 times by 5 clients (within both limits).
    # Lot 2: expired 60 days ago, scanned today (more than 30 days after): flagged.
    # Lot 3: recalled yesterday, scanned today: flagged; scans before the recall are not.
    now = datetime.now(UTC)
    _scans(grown.batch, 21, serial="7", at=now - timedelta(hours=3))
    _scans(grown.batch, 5, serial="8", at=now - timedelta(hours=3), clients=5)
    _scans(lot2, 1, at=now - timedelta(minutes=5))
    _scans(lot3, 2, at=now - timedelta(days=3))  # before the recall: no flag alone
    _scans(lot3, 1, at=now - timedelta(minutes=5))
    sup.add_supplier(buyer.actor, buyer.org.id, supplier.org.id)
    db.session.commit()

    card = sc.supplier_scorecard(buyer.actor, buyer.org.id, supplier.org.id)
    figures = {f.key: f for f in card.figures}
    assert list(figures) == ["certifications", "kde_completeness", "recalls", "scan_flags",
                             "fulfilment", "accepted", "on_time"]
    assert figures["certifications"].counts == {"valid": 1, "expiring": 1, "expired": 1}
    assert figures["certifications"].value == 2
    # 4 lots count (the void one does not), 3 of them complete: 0.75.
    assert figures["kde_completeness"].counts == {"lots": 4, "complete": 3, "incomplete": 1}
    assert figures["kde_completeness"].value == 0.75
    assert figures["recalls"].value == 1
    assert figures["scan_flags"].value == 3
    assert figures["scan_flags"].counts == {"copied_serials": 1, "after_expiry": 1,
                                            "after_recall": 1}
    # No deliveries under a contract yet: the figures are there, without a value.
    for key in ("fulfilment", "accepted", "on_time"):
        assert figures[key].available is True and figures[key].value is None
    org = supplier.org.id
    assert figures["recalls"].link.api == (
        f"/api/batches?organisation_id={org}&status=recalled")
    assert figures["certifications"].link.api.startswith(
        f"/api/organisations/{org}/certifications?validity=valid")


def test_the_scorecard_is_for_the_buyer_of_a_listed_supplier(app: Flask) -> None:
    buyer = side("Công ty Thu Mua", OrgType.DN)
    supplier = side("HTX Vải Thanh Hà")
    stranger = side("Công ty Lạ", OrgType.DN)
    for actor, buyer_id in ((buyer.actor, buyer.org.id), (stranger.actor, buyer.org.id),
                            (supplier.actor, buyer.org.id)):
        try:
            sc.supplier_scorecard(actor, buyer_id, supplier.org.id)
        except NotFound:
            continue
        raise AssertionError("a scorecard of a supplier not on the list, or not theirs")
    sup.add_supplier(buyer.actor, buyer.org.id, supplier.org.id)
    card = sc.supplier_scorecard(buyer.actor, buyer.org.id, supplier.org.id)
    figures = {f.key: f for f in card.figures}
    assert figures["kde_completeness"].value is None  # no lot: no share
    assert figures["scan_flags"].value == 0
