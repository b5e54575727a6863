"""Cross-organisation suite generated from the URL map (issue 8 §6, first bullet).

Every route whose URL carries an id is tried, with every method it answers (HEAD and
OPTIONS aside), on organisation B's objects, by the parties that must not reach B's
private data:

- ``c_admin``: the org admin of C, another cooperative of the same province;
- ``anonymous``: nobody signed in, no token;
- ``authority_79``: an authority scoped to Hồ Chí Minh City (B is in Hà Nội);
- ``e_admin``: the org admin of E, the enterprise B shipped part of a lot to: it may read
  that lot (not its member households) and its events, and receive the shipment;
- ``c_unbound`` (API and EPCIS only): C's admin with a token bound to no organisation,
  naming B in the ``HTX-Organisation`` header;
- ``authority_01`` (writes only): the authority of B's own province, which reads B but
  writes nothing beyond the oversight facts, paper contract verifications and its linkage
  projects (``OVERSIGHT``).

The ids are those of B's objects (``tests/app/cross_org_world.py``, built once per module).
The API and ``/epcis/`` are called with the party's bearer token, the HTML routes with its
signed-in session. Expected (README, "Security model"):

- reads of private data: 404 (401 for anonymous on ``/api`` and ``/epcis``; the sign-in
  page for anonymous on the web); a public resource
  (an API operation the OpenAPI document marks as needing no token, ``WEB_PUBLIC`` pages)
  answers the party exactly what it answers anonymous callers;
- writes, deletions, event recording (and the web forms that make them): never 2xx;
  401 / sign-in page for anonymous, 404 to those who may not even read the resource, 403
  or 404 to those who may;
- always: the database unchanged, row for row (``fingerprint``, taken whenever a statement
  that may write ran: tests/app/write_watch.py), and no text of B's private records
  (``World.secrets``) in the answer.

The cases are generated at collection time from the URL map of a throwaway app, so a new
endpoint gets its cases the day it is added; ``test_the_suite_covers_every_route_with_an_id``
fails until its argument names have a value and its writes a body, and while a table below
names a route that no longer exists. ``test_the_owner_succeeds`` is the positive control:
each generated request, sent by its rightful party (B's admin, or the one in ``OWNERS``),
succeeds (and writes, when it is a write), so a refusal to the others is about who asks,
not about a body or a URL that could never work.

Ids in bodies and query strings cannot be read from the URL map: ``BODY_CASES`` and
``LIST_QUERIES`` list them by hand. Leaks found are strict xfails (``KNOWN_LEAKS`` for
generated cases, marked tests below), so the suite documents them until they are fixed.

What answers depend on the committed world only (may this party read that parent URL? what
is anonymous told?) is asked once, not in each of the cases that compare with it
(``WriteWatch.on_the_world``).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from itertools import product
from typing import Any
from urllib.parse import quote, unquote

import pytest
from flask import Flask
from sqlalchemy import delete, select, update
from werkzeug.exceptions import HTTPException
from werkzeug.test import TestResponse

from app import create_app
from app.web.batches import EVENT_FORMS
from core.db import db
from tests.app.committed_world import committed_world
from tests.app.cross_org_contracts import amend_form, contract_code
from tests.app.cross_org_world import (
    FAILED_LAB_REPORT,
    FIGURES_YEAR,
    World,
    build_world,
    signed_in_client,
    small_png,
)
from tests.app.write_watch import WriteWatch, fingerprint
from traceability.models import Batch, DiaryEntry

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FOREIGN = ("c_admin", "anonymous", "authority_79", "e_admin", "c_unbound", "authority_01")


# --- the routes, read from a throwaway app at collection time ---------------------------


def _collection_app() -> Flask:
    """An app only for its URL map and OpenAPI document: nothing touches its database."""
    return create_app(
        {
            "TESTING": True,
            "ENV_NAME": "testing",
            "SECRET_KEY": "collection-only",
            "PERSON_ID_HASH_KEY": "collection-only",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
        }
    )


def _interface(rule: str) -> str:
    if rule.startswith("/api/"):
        return "api"
    if rule.startswith("/epcis/"):
        return "epcis"
    return "web"


_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _openapi_path(rule: str) -> str:
    return _CONVERTER.sub(r"{\1}", rule)


@dataclass(frozen=True)
class Case:
    """One request: a rule, a method and, for arguments with several values (``kind``,
    ``cert_id``), which value."""

    rule: str
    endpoint: str
    method: str
    arguments: tuple[str, ...]
    variant: str = ""  # "kind=shipping", "cert_id=public"…
    has_post: bool = False  # a web GET on a rule that also posts shows a write form

    @property
    def interface(self) -> str:
        return _interface(self.rule)

    @property
    def key(self) -> tuple[str, str]:
        return (self.endpoint, self.method)

    @property
    def writes(self) -> bool:
        """Write-like: changes data, or shows the form that does (answers 403 to readers)."""
        return self.method in WRITE_METHODS or (self.interface == "web" and self.has_post)

    @property
    def label(self) -> str:
        suffix = f" [{self.variant}]" if self.variant else ""
        return f"{self.method} {self.rule}{suffix}"


# Arguments taking several values: one case per value (labels known at collection time).
ARG_VARIANTS: dict[str, tuple[str, ...]] = {
    "kind": tuple(EVENT_FORMS),  # every web event form, so a new kind is covered
    "cert_id": ("private", "public"),
}


def _collect() -> tuple[list[Case], set[tuple[str, str]]]:
    """The cases, and the API operations the OpenAPI document marks public."""
    app = _collection_app()
    spec = app.test_client().get("/api/openapi.json").get_json()
    public: set[tuple[str, str]] = set()
    for rule in app.url_map.iter_rules():
        operations = spec["paths"].get(_openapi_path(rule.rule), {})
        for method in rule.methods or ():
            security = operations.get(method.lower(), {}).get("security")
            # PUBLIC (app.api.openapi): the token is optional, i.e. an empty requirement.
            if security is not None and {} in security:
                public.add((rule.endpoint, method))
    cases = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if not rule.arguments:
            continue
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        several = [
            [f"{n}={v}" for v in ARG_VARIANTS[n]]
            for n in sorted(rule.arguments)
            if n in ARG_VARIANTS
        ]
        variants = [",".join(chosen) for chosen in product(*several)]  # [""] when none
        for method in methods:
            for variant in variants:
                cases.append(
                    Case(
                        rule.rule,
                        rule.endpoint,
                        method,
                        tuple(sorted(rule.arguments)),
                        variant,
                        "POST" in methods,
                    )
                )
    return cases, public


CASES, API_PUBLIC = _collect()


# --- what each argument is in B's world ------------------------------------------------


def _variant(case: Case, name: str) -> str:
    """The value of argument ``name`` this case is for ("" when it has no variants)."""
    chosen = dict(part.split("=", 1) for part in case.variant.split(",") if part)
    return chosen.get(name, "")


# Places are public reference data, each kind with its own code.
CODES: dict[str, Callable[[World], str]] = {
    "api_places.ProvinceDetail": lambda w: w.province_code,
    "api_places.ProvinceCommunes": lambda w: w.province_code,
    "api_places.CommuneDetail": lambda w: w.commune_code,
    "api_places.RegionSchemeDetail": lambda w: w.region_scheme_code,
}


def _lot_path(w: World) -> str:
    """B's lot identifier without its base: the path its label's QR code holds."""
    batch = db.session.get(Batch, w.batch_id)
    assert batch is not None
    return batch.identifier.split("://", 1)[1].split("/", 1)[1]


def _b_report_id(w: World) -> int:
    """A consumer's report about B's lot (on the test's transaction: made again after each
    rollback, before the request is fingerprinted)."""
    from traceability.models import ScanReport

    found = db.session.scalar(select(ScanReport.id).where(ScanReport.organisation_id == w.b_id))
    if found is not None:
        return found
    report = ScanReport(
        uri="https://trace.example.vn/" + _lot_path(w),
        batch_id=w.batch_id,
        organisation_id=w.b_id,
        kind="suspected_fake",
        message="Bao bì lạ",
        language="vi",
        client_fingerprint="0" * 64,
    )
    db.session.add(report)
    db.session.commit()
    return report.id


def _b_photo_digest(w: World) -> str:
    from traceability.models import ProductImage

    digest = db.session.scalar(
        select(ProductImage.sha256).where(ProductImage.product_id == w.product_id)
    )
    assert digest is not None
    return digest


ARG_VALUES: dict[str, Callable[[World, Case], Any]] = {
    "organisation_id": lambda w, c: w.b_id,
    "org_id": lambda w, c: w.b_id,
    "area_id": lambda w, c: w.area_id,
    "entry_id": lambda w, c: w.entry_id,
    "batch_id": lambda w, c: w.batch_id,
    "member_id": lambda w, c: w.member_id,
    "cert_id": lambda w, c: (
        w.public_cert_id if _variant(c, "cert_id") == "public" else w.private_cert_id
    ),
    "membership_id": lambda w, c: w.membership_id,
    "year": lambda w, c: FIGURES_YEAR,
    "product_id": lambda w, c: w.product_id,
    "token_id": lambda w, c: w.token_id,
    "request_id": lambda w, c: w.request_id,
    "event_pk": lambda w, c: w.event_pk,
    "event_id": lambda w, c: w.event_id,
    "kind": lambda w, c: _variant(c, "kind"),
    "code": lambda w, c: CODES[c.endpoint](w),
    "filename": lambda w, c: w.static_filename,
    # The resolver at B's lot identifier: /01/{gtin}/10/{lot} or /p/{ref}/10/{lot}.
    "dl_key": lambda w, c: _lot_path(w).split("/", 1)[0],
    "dl_path": lambda w, c: _lot_path(w).split("/", 1)[1],
    # The consumer trace page of B's lot (the resolver's redirect target).
    "key_path": lambda w, c: _lot_path(w),
    "report_id": lambda w, c: _b_report_id(w),
    # The public photo of B's product, by its digest.
    "sha256": lambda w, c: _b_photo_digest(w),
    # Supplier lists and verifications (issue 11): a cooperative on B's supplier list, and
    # E's verification of B.
    "supplier_id": lambda w, c: w.supplier_of_b_id,
    "verification_id": lambda w, c: w.verification_id,
    # Linkage contracts (tests/app/cross_org_contracts.py).
    "contract_id": lambda w, c: w.contract_for(c.endpoint),
    "attachment_id": lambda w, c: w.attachment_id,
    "project_id": lambda w, c: w.project_id,
    # B's delivery to F under the signed contract (cross_org_contracts.build_delivery).
    "delivery_id": lambda w, c: w.delivery_id,
    # The Hà Nội authority's indicator target (not B's: see World.target_id).
    "target_id": lambda w, c: w.target_id,
    # The Hà Nội authority's publication of the indicator (see World.publication_id).
    "publication_id": lambda w, c: w.publication_id,
    # One of B's lab results recorded in error: the API's and the web's withdraw each its own.
    "result_id": lambda w, c: w.lab_result_ids[c.interface],
}

# Query strings some reads need to answer 200 to their owner.
QUERIES: dict[tuple[str, str], Callable[[World], dict[str, str]]] = {
    ("api_organisations.FactsAsOf", "GET"): lambda w: {"on": w.today.isoformat()},
    # Without it the resolver redirects (307) to the trace page; the linkset is its 200.
    ("resolver.resolve", "GET"): lambda w: {"linkType": "linkset"},
    ("api_contracts.AsOf", "GET"): lambda w: {"as_of": w.today.isoformat()},
    ("api_exports.OrganisationFsmaCsv", "GET"): lambda w: {
        "from": (w.today - timedelta(days=30)).isoformat(),
        "to": w.today.isoformat(),
    },
    ("api_exports.OrganisationFsmaXlsx", "GET"): lambda w: {
        "from": (w.today - timedelta(days=30)).isoformat(),
        "to": w.today.isoformat(),
    },
}


# --- bodies: each one succeeds for the owner (see test_the_owner_succeeds) ----------------


def _web_event_form(w: World, c: Case) -> dict[str, str]:
    day = w.today.isoformat()
    kind = _variant(c, "kind")
    if kind == "shipping":
        return {"receiver_code": w.e_registration_code, "quantity": "10", "unit": "kg", "at": day}
    if kind == "destroy":
        return {"quantity": "10", "unit": "kg", "at": day}
    if kind == "receive":
        return {"shipment_id": str(w.shipment_id), "quantity": "200", "unit": "kg", "at": day}
    return {"at": day}  # cooling, storing, packing, recall


BODIES: dict[tuple[str, str], Callable[[World, Case], dict[str, Any]]] = {
    # areas and diary
    ("api_areas.AreaDetail", "PATCH"): lambda w, c: {"name": "Vườn đổi tên"},
    ("api_areas.Diary", "POST"): lambda w, c: {
        "kind": "other",
        "occurred_on": w.today.isoformat(),
        "notes": "Tưới",
    },
    ("api_areas.DiaryEntryDetail", "PATCH"): lambda w, c: {"notes": "Làm cỏ, bón lót"},
    # products
    ("api_products.ProductDetail", "PATCH"): lambda w, c: {"name": "Cà phê nhân loại 1"},
    # batches: event recording and corrections
    ("api_batches.Cooling", "POST"): lambda w, c: {},
    ("api_batches.Storing", "POST"): lambda w, c: {},
    ("api_batches.Packing", "POST"): lambda w, c: {},
    ("api_batches.Shipping", "POST"): lambda w, c: {
        "to_organisation_id": w.e_id,
        "quantity": "10",
        "unit": "kg",
    },
    ("api_batches.Receiving", "POST"): lambda w, c: {
        "shipment_id": w.shipment_id,
        "received_quantity": "200",
        "unit": "kg",
    },
    ("api_batches.Split", "POST"): lambda w, c: {"parts": [{"quantity": "10", "unit": "kg"}]},
    ("api_batches.Merge", "POST"): lambda w, c: {
        "inputs": [
            {"batch_id": w.batch_id, "quantity": "10", "unit": "kg"},
            {"batch_id": w.other_batch_id, "quantity": "10", "unit": "kg"},
        ]
    },
    ("api_batches.Transformation", "POST"): lambda w, c: {
        "inputs": [{"batch_id": w.batch_id, "quantity": "10", "unit": "kg"}],
        "output": {"product_id": w.product_id, "quantity": "9", "unit": "kg"},
    },
    ("api_batches.Destroy", "POST"): lambda w, c: {"quantity": "10", "unit": "kg"},
    ("api_batches.Recall", "POST"): lambda w, c: {},
    # a lab result recorded on the lot (another report than the world's)
    ("api_lab_results.LabResultWithdrawal", "POST"): lambda w, c: {"reason": "Nhập nhầm kết quả"},
    ("api_lab_results.LabResults", "POST"): lambda w, c: {
        "test": "heavy_metals",
        "laboratory": "Trung tâm Kiểm nghiệm Hà Nội",
        "accreditation": "VILAS 1234",
        "sampled_on": w.today.isoformat(),
        "outcome": "pass",
        "report_number": "KQ-NEW-1",
    },
    ("api_batches.Corrections", "POST"): lambda w, c: {
        "event_id": w.event_id,
        "reason": "did_not_occur",
    },
    # the caller's own tokens
    ("api_account.Token", "DELETE"): lambda w, c: {},
    # organisations: registry record, profile, figures, unions, oversight
    ("api_organisations.Organisation", "PATCH"): lambda w, c: {"phone": "024 3999 0000"},
    ("api_organisations.Profile", "PUT"): lambda w, c: {
        "field_group": "agriculture",
        "size_class": "small",
    },
    ("api_organisations.Figures", "PUT"): lambda w, c: {"official_members": 12},
    ("api_organisations.Unions", "POST"): lambda w, c: {
        "counterpart_id": w.u2_id,
        "joined_on": "2025-01-01",
    },
    ("api_organisations.UnionEnd", "POST"): lambda w, c: {"left_on": w.today.isoformat()},
    ("api_organisations.FactChanges", "POST"): lambda w, c: {
        "registered_on": "2018-03-01",
        "effective_on": w.today.isoformat(),
        "reason": "Theo giấy chứng nhận",
    },
    ("api_organisations.ChangeRequests", "POST"): lambda w, c: {
        "registered_on": "2018-03-01",
        "effective_on": w.today.isoformat(),
        "reason": "Theo giấy chứng nhận",
    },
    ("api_organisations.ChangeRequestApprove", "POST"): lambda w, c: {},
    ("api_organisations.ChangeRequestReject", "POST"): lambda w, c: {"reason": "Thiếu giấy tờ"},
    # members and certifications
    ("api_members.Members", "POST"): lambda w, c: {
        "member_type": "official",
        "member_kind": "household",
        "display_name": "Hộ Lê Thị Hoa",
    },
    ("api_members.MemberDetail", "PATCH"): lambda w, c: {"phone": "0912 000 111"},
    ("api_members.MemberLeave", "POST"): lambda w, c: {"left_on": w.today.isoformat()},
    ("api_certifications.Certifications", "POST"): lambda w, c: {
        "scheme": "vietgap",
        "number": "VG-BM-NEW",
        "issuer": "Trung tâm Thử",
        "issued_on": "2025-01-10",
        "expires_on": "2028-01-09",
    },
    ("api_certifications.CertificationDetail", "PATCH"): lambda w, c: {"scope": "Cà phê, 5 ha"},
    ("api_certifications.CertificationRevoke", "POST"): lambda w, c: {"reason": "Hết hiệu lực"},
    # web forms (form fields, not JSON)
    ("web_account.revoke_token", "POST"): lambda w, c: {},
    ("web_batches.record_event", "POST"): _web_event_form,
    ("web_batch_ops.split", "POST"): lambda w, c: {
        "parts-0-quantity": "10",
        "parts-0-unit": "kg",
        "at": w.today.isoformat(),
    },
    ("web_batch_ops.merge", "POST"): lambda w, c: {
        "quantity": "10",
        "unit": "kg",
        "others-0-batch_id": str(w.other_batch_id),
        "others-0-chosen": "y",
        "others-0-quantity": "10",
        "others-0-unit": "kg",
        "at": w.today.isoformat(),
    },
    ("web_batch_ops.transform", "POST"): lambda w, c: {
        "quantity": "10",
        "unit": "kg",
        "product_id": str(w.product_id),
        "out_quantity": "9",
        "out_unit": "",
        "at": w.today.isoformat(),
    },
    ("web_corrections.correct", "POST"): lambda w, c: {
        "reason": "did_not_occur",
        "at": w.today.isoformat(),
    },
    ("web_orgs.decide", "POST"): lambda w, c: {"decision": "reject", "reason": "Thiếu giấy tờ"},
    ("web_members.edit", "POST"): lambda w, c: {
        "display_name": "Hộ Trần Văn Bình",
        "member_type": "official",
        "member_kind": "household",
        "phone": "0912 000 111",
    },
    ("web_members.leave", "POST"): lambda w, c: {"left_on": w.today.isoformat()},
    ("web_certifications.edit", "POST"): lambda w, c: {
        "scheme": "vietgap",
        "number": f"VG-BM-{_variant(c, 'cert_id').upper()}",
        "issuer": "Trung tâm Thử",
        "issued_on": "2024-05-10",
        "expires_on": "2027-05-09",
        "subject_kind": "organisation",
        "production_area_id": "0",
        "product_id": "0",
        "scope": "Cà phê, 5 ha",
        **({"is_public": "y"} if _variant(c, "cert_id") == "public" else {}),
    },
    ("web_certifications.revoke", "POST"): lambda w, c: {
        "revoked_on": w.today.isoformat(),
        "reason": "Hết hiệu lực",
    },
    ("web_products.edit", "POST"): lambda w, c: {
        "code": "CF-BM",
        "name": "Cà phê nhân loại 1",
        "commodity": "coffee",
        "default_unit": "kg",
        "active": "y",
    },
    ("web_areas.edit", "POST"): lambda w, c: {
        "code": "BM-01",
        "name": "Vườn đổi tên",
        "kind": "plot",
        "province": w.province_code,
        "commune_code": w.commune_code,
        "active": "y",
    },
    ("web_areas.diary_new", "POST"): lambda w, c: {
        "kind": "other",
        "occurred_on": w.today.isoformat(),
        "notes": "Tưới",
    },
    ("web_areas.diary_correct", "POST"): lambda w, c: {
        "kind": "other",
        "occurred_on": w.today.isoformat(),
        "notes": "Làm cỏ, bón lót",
    },
    # a serial range recorded under the lot (labels page)
    # a lab result recorded through the batch page's form
    ("web_lab_results.withdraw", "POST"): lambda w, c: {"reason": "Nhập nhầm kết quả"},
    ("web_lab_results.page", "POST"): lambda w, c: {
        "test": "microbiology",
        "laboratory": "Trung tâm Kiểm nghiệm Hà Nội",
        "accreditation": "",
        "sampled_on": w.today.isoformat(),
        "outcome": "pass",
        "report_number": "KQ-NEW-2",
    },
    ("web_labels.labels", "POST"): lambda w, c: {
        "prefix": "CF-",
        "first": "1",
        "count": "5",
        "width": "4",
    },
    # a consumer's report about B's lot, marked seen on B's reports page
    ("web_reports.mark_seen", "POST"): lambda w, c: {},
    # B's supplier list, its verification requests, E's decision on its verification of B
    ("api_suppliers.Suppliers", "POST"): lambda w, c: {"supplier_id": w.c_id},
    ("api_suppliers.Supplier", "DELETE"): lambda w, c: {},
    ("api_suppliers.Verifications", "POST"): lambda w, c: {"supplier_id": w.supplier_of_b_id},
    ("api_suppliers.VerificationDecision", "POST"): lambda w, c: {
        "decision": "rejected",
        "reason": "Thiếu hồ sơ",
    },
    # B's linkage contracts: amend and confirm the draft, attach a scan (multipart, see
    # MULTIPART), activate the signed one; the Hà Nội authority verifies the draft's paper
    # and edits its project
    ("api_contracts.ContractDetail", "PATCH"): lambda w, c: {
        "reason": "Đổi tên theo phụ lục",
        "title": "Hợp đồng liên kết đã đổi tên",
    },
    ("api_contracts.Confirm", "POST"): lambda w, c: {},
    # the buyer's settlement of B's delivery (not received: the accepted kg are needed)
    ("api_deliveries.Settlement", "POST"): lambda w, c: {
        "accepted_kg": "48",
        "rejected_kg": "2",
        "invoice_number": "HD-PT-01",
    },
    ("api_contracts.VerifyPaper", "POST"): lambda w, c: {},
    ("api_contracts.Transition", "POST"): lambda w, c: {"status": "active"},
    ("api_contracts.Attachments", "POST"): lambda w, c: {
        "file": (io.BytesIO(b"%PDF-1.7\n" + b"1" * 64), "phu-luc.pdf")
    },
    ("api_linkage_projects.ProjectContracts", "POST"): lambda w, c: {"contract_id": w.contract_id},
    ("api_linkage_projects.ProjectContract", "DELETE"): lambda w, c: {},
    # the Hà Nội authority's target: changed, deleted
    ("api_targets.TargetDetail", "PATCH"): lambda w, c: {"value": 60, "verified": True},
    ("api_targets.TargetDetail", "DELETE"): lambda w, c: {},
    # the photo of B's product (multipart uploads)
    ("api_products.ProductImage", "PUT"): lambda w, c: {
        "image": (io.BytesIO(small_png()), "anh.png")
    },
    ("api_products.ProductImage", "DELETE"): lambda w, c: {},
    ("web_products.set_image", "POST"): lambda w, c: {
        "image": (io.BytesIO(small_png()), "anh.png")
    },
    ("web_products.remove_image", "POST"): lambda w, c: {},
    # the contract pages: B amends and confirms its draft, attaches a scan, activates the
    # signed one; the Hà Nội authority verifies the draft's paper
    ("web_contracts.amend", "POST"): lambda w, c: amend_form(w.contract_id, w.today),
    ("web_contracts.confirm", "POST"): lambda w, c: {},
    ("web_contracts.verify_paper", "POST"): lambda w, c: {},
    ("web_contracts.transition", "POST"): lambda w, c: {
        "transition-status": "active",
        "transition-effective_on": w.today.isoformat(),
    },
    ("web_contracts.attach", "POST"): lambda w, c: {
        "attach-file": (io.BytesIO(b"%PDF-1.7\n" + b"1" * 64), "phu-luc.pdf")
    },
    # the supplier pages: B's list (u2 on it), E's decision on its verification of B
    ("web_suppliers.remove", "POST"): lambda w, c: {},
    ("web_suppliers.request_verification", "POST"): lambda w, c: {"note": "Kiểm tra lại"},
    ("web_suppliers.decide", "POST"): lambda w, c: {
        "decision": "rejected",
        "reason": "Thiếu hồ sơ",
    },
    # the project page: the Hà Nội authority adds B's draft by its code, takes the signed
    # contract out
    ("web_projects.add_contract", "POST"): lambda w, c: {
        "add-contract_code": contract_code(w.contract_id)
    },
    ("web_projects.remove_contract", "POST"): lambda w, c: {},
    # the targets pages: the Hà Nội authority changes its target, deletes it
    ("web_targets.edit", "POST"): lambda w, c: {
        "metric": "linked_share",
        "scope": w.province_code,
        "year": "2030",
        "qualifier": "exact",
        "value": "60",
        "source": "Kế hoạch của UBND thành phố Hà Nội",
        "verified": "y",
    },
    ("web_targets.delete", "POST"): lambda w, c: {},
}

# Writes whose body is multipart form data (a file upload), not JSON.
MULTIPART = {("api_contracts.Attachments", "POST"), ("api_products.ProductImage", "PUT")}

# Who rightfully makes each request (default: B's org admin).
OWNERS: dict[tuple[str, str], str] = {
    # Receiving is the addressee's event on the shipper's lot.
    ("api_batches.Receiving", "POST"): "e_admin",
    # Oversight facts: an authority over B (its province) decides, never B itself.
    ("api_organisations.FactChanges", "POST"): "authority_01",
    ("api_organisations.ChangeRequestApprove", "POST"): "authority_01",
    ("api_organisations.ChangeRequestReject", "POST"): "authority_01",
    ("web_orgs.decide", "POST"): "authority_01",
    # Admitting B into a union is for the union's admins, who act on the union's URL;
    # with B's id in the URL only a platform admin may.
    ("api_organisations.Unions", "POST"): "platform_admin",
    # A verification is decided by the buyer that requested it (E), not by its subject.
    ("api_suppliers.VerificationDecision", "POST"): "e_admin",
    ("web_suppliers.decide", "POST"): "e_admin",
    # A province authority verifies paper contracts and edits its province's projects.
    ("api_contracts.VerifyPaper", "POST"): "authority_01",
    # A delivery is settled by its buyer, F, which has no user: a platform admin acts for
    # it (linkages/services/deliveries/access.py).
    ("api_deliveries.Settlement", "POST"): "platform_admin",
    ("web_contracts.verify_paper", "POST"): "authority_01",
    ("api_linkage_projects.ProjectContracts", "POST"): "authority_01",
    ("api_linkage_projects.ProjectContract", "DELETE"): "authority_01",
    ("web_projects.add_contract", "POST"): "authority_01",
    ("web_projects.remove_contract", "POST"): "authority_01",
    # Hà Nội's targets are its authority's to edit (linkages/indicator/targets.py).
    ("api_targets.TargetDetail", "PATCH"): "authority_01",
    ("api_targets.TargetDetail", "DELETE"): "authority_01",
    # The cooperatives behind Hà Nội's published figures are its authority's to read
    # (linkages/indicator/publications.py); the publication itself is public.
    ("api_publications.Members", "GET"): "authority_01",
    ("api_publications.Changes", "GET"): "authority_01",
    ("api_publications.Comparison", "GET"): "authority_01",
    # and so are its comparison page and its files (app/web/indicator_publications.py).
    ("web_publications.show", "GET"): "authority_01",
    ("web_publications.changes_csv", "GET"): "authority_01",
    ("web_publications.changes_xlsx", "GET"): "authority_01",
    ("web_targets.edit", "GET"): "authority_01",
    ("web_targets.edit", "POST"): "authority_01",
    ("web_targets.delete", "GET"): "authority_01",
    ("web_targets.delete", "POST"): "authority_01",
}


def owner_of(case: Case) -> str:
    if case.endpoint == "web_batches.record_event" and _variant(case, "kind") == "receive":
        return "e_admin"  # the receiving form, as above
    return OWNERS.get(case.key, "b_admin")


# What a foreign party may do on B's objects, by design.
CATALOGUE_READS = {
    # Products are catalogue data: any signed-in user reads them (their names and GTINs
    # are on every label; app/api/products.py), though anonymous callers may not.
    ("api_products.ProductDetail", "GET"),
    # Targets are published policy: any signed-in user reads them (app/api/targets.py).
    ("api_targets.TargetDetail", "GET"),
    ("web_targets.show", "GET"),
}
SHIPPED_LOT = {
    # The addressee of a shipment reads the shipped lot, its history and exports, and
    # receives it (app/api/batches.py, traceability.services.event_queries).
    ("api_batches.BatchDetail", "GET"),
    ("api_batches.Timeline", "GET"),
    ("api_exports.BatchEpcisExport", "GET"),
    ("api_exports.BatchFsmaCsv", "GET"),
    ("api_exports.BatchFsmaXlsx", "GET"),
    ("api_batches.Receiving", "POST"),
    ("epcis.get_event", "GET"),
    ("web_batches.show", "GET"),
    ("web_batches.trace", "GET"),
    # and its lab results, failed ones too: what it bought was tested (app/api/lab_results)
    ("api_lab_results.LabResults", "GET"),
}


VERIFIER = {
    # E requested the verification of B: it reads and decides it (B reads it too, as its
    # subject, without E's note; linkages/services/supplier_access.py).
    ("api_suppliers.Verification", "GET"),
    ("api_suppliers.VerificationDecision", "POST"),
    ("web_suppliers.verification", "GET"),
    ("web_suppliers.decide", "POST"),
}


OVERSIGHT = {
    # The one write of an authority over B (linkages/services/oversight.py).
    ("api_organisations.FactChanges", "POST"),
    ("api_organisations.ChangeRequestApprove", "POST"),
    ("api_organisations.ChangeRequestReject", "POST"),
    ("web_orgs.decide", "POST"),
    # and the linkage writes of a province authority (linkages/services/contracts,
    # linkage_projects): verifying a paper contract, its province's linkage projects.
    ("api_contracts.VerifyPaper", "POST"),
    ("web_contracts.verify_paper", "POST"),
    ("api_linkage_projects.ProjectContracts", "POST"),
    ("api_linkage_projects.ProjectContract", "DELETE"),
    ("web_projects.add_contract", "POST"),
    ("web_projects.remove_contract", "POST"),
    # and the targets of its province (linkages/indicator/targets.py).
    ("api_targets.TargetDetail", "PATCH"),
    ("api_targets.TargetDetail", "DELETE"),
    ("web_targets.edit", "GET"),
    ("web_targets.edit", "POST"),
    ("web_targets.delete", "GET"),
    ("web_targets.delete", "POST"),
}


def allowed(case: Case, actor: str) -> bool:
    if actor != "anonymous" and case.key in CATALOGUE_READS:
        return True
    if actor == "authority_01":
        return case.key in OVERSIGHT
    if actor == "e_admin":
        if case.endpoint == "web_batches.record_event":
            return _variant(case, "kind") == "receive"
        return case.key in SHIPPED_LOT or case.key in VERIFIER
    return False


# HTML pages anyone may see (the API's are read from its OpenAPI document).
WEB_PUBLIC = {
    ("web_orgs.profile", "GET"),
    ("static", "GET"),
    ("resolver.resolve", "GET"),
    ("public.trace", "GET"),
    ("public.product_image", "GET"),
}


def public(case: Case) -> bool:
    return case.key in API_PUBLIC or case.key in WEB_PUBLIC


# Leaks found: (endpoint, method, variant, actor) -> what goes wrong. Each is a strict
# xfail, so the suite fails once it is fixed and the entry must go.
KNOWN_LEAKS: dict[tuple[str, str, str, str], str] = {}


# --- the world: built once per module, see tests/app/cross_org_world.py ------------------


@pytest.fixture(scope="module")
def committed(app: Flask) -> Iterator[tuple[World, WriteWatch]]:
    """B's world, committed, and the watch on what each test's requests write, which
    knows the world's fingerprint (tests/app/write_watch.py)."""
    with committed_world(app, lambda: build_world(app)) as built:
        with app.app_context():
            watch = WriteWatch(baseline=fingerprint())
            db.session.remove()
        with watch.listening():
            yield built, watch


@pytest.fixture()
def world(committed: tuple[World, WriteWatch]) -> World:
    return committed[0]


@pytest.fixture()
def watch(committed: tuple[World, WriteWatch]) -> WriteWatch:
    """The watch, told that a test begins on the committed world."""
    found = committed[1]
    found.test_begins()
    return found


# --- sending ----------------------------------------------------------------------------


def url_of(app: Flask, world: World, case: Case) -> str:
    values = {}
    for name in case.arguments:
        if name not in ARG_VALUES:
            pytest.fail(
                f"{case.label}: no value for the URL argument {name!r}: add it to "
                "ARG_VALUES (an object of B's)"
            )
        values[name] = ARG_VALUES[name](world, case)
    adapter = app.url_map.bind("localhost")
    return adapter.build(case.endpoint, values, method=case.method)


def body_of(world: World, case: Case) -> dict[str, Any] | None:
    if case.method not in WRITE_METHODS:
        return None
    if case.key not in BODIES:
        pytest.fail(
            f"{case.label}: no body for this write: add one to BODIES (one that "
            "succeeds for its owner)"
        )
    return BODIES[case.key](world, case)


def send(
    app: Flask,
    world: World,
    case: Case,
    actor: str,
    *,
    url: str | None = None,
    method: str | None = None,
    body: dict[str, Any] | None = None,
) -> TestResponse:
    """The request as ``actor`` would make it: bearer token on /api and /epcis, signed-in
    session on the web; JSON bodies on the API, form fields on the web."""
    person = world.people.get(actor)
    url = url or url_of(app, world, case)
    method = method or case.method
    query = QUERIES[case.key](world) if case.key in QUERIES and method == case.method else None
    if case.interface == "web":
        client = signed_in_client(app, person)
        return client.open(url, method=method, data=body, query_string=query)
    client = app.test_client()
    headers = person.headers if person else {}
    if case.key in MULTIPART and method == case.method:
        return client.open(
            url,
            method=method,
            data=body,
            headers=headers,
            query_string=query,
            content_type="multipart/form-data",
        )
    return client.open(url, method=method, json=body, headers=headers, query_string=query)


def readable_by(
    app: Flask, world: World, watch: WriteWatch, case: Case, actor: str, url: str
) -> bool:
    """May ``actor`` read the resource ``url`` is about? Asked with GET of the nearest URL
    (the same one for a write, a parent for a read) that names an object by id: 200, or
    403 ("you may see it but not change it"), means yes. Many cases ask about the same
    URL (a lot's, an organisation's): asked of the committed world, the answer is the
    same in every test, so it is asked once (``WriteWatch.on_the_world``)."""
    adapter = app.url_map.bind("localhost")
    path = url.split("?")[0]
    candidates = []
    if case.method != "GET":
        candidates.append(path)
    while path.count("/") > 1:
        path = path.rsplit("/", 1)[0]
        candidates.append(path)
    for candidate in candidates:
        try:
            rule, _ = adapter.match(candidate, method="GET", return_rule=True)
        except HTTPException:
            continue
        if not rule.arguments:
            return False  # e.g. /account/tokens: the actor's own page, not B's resource
        # ``send`` adds the case's query string to a GET only for the case's own method.
        query = case.key if case.method == "GET" and case.key in QUERIES else None
        status = watch.on_the_world(
            ("probe", actor, case.interface, candidate, query),
            lambda url=candidate: send(app, world, case, actor, url=url, method="GET").status_code,
        )
        return status in (200, 403)
    return False


_MAIN = re.compile(r"<main\b[^>]*>(.*?)</main>", re.S)


def content(response: TestResponse) -> Any:
    """What a response says, without the page shell (which names the signed-in user)."""
    if response.is_json:
        return response.get_json()
    text = response.get_data()
    if response.mimetype == "text/html":
        found = _MAIN.search(text.decode())
        return found.group(1) if found else text.decode()
    return text


def _text(response: TestResponse) -> str:
    """What a response says, as searchable text."""
    if response.is_json:  # JSON escapes accents; search the decoded text
        return json.dumps(response.get_json(), ensure_ascii=False)
    data = response.get_data()
    if data.startswith(b"PK"):  # an XLSX workbook: its XML parts, not the zipped bytes
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            return "".join(book.read(n).decode(errors="replace") for n in book.namelist())
    return data.decode(errors="replace")


def revealed(
    world: World, response: TestResponse, url: str, body: dict[str, Any] | None
) -> list[str]:
    """B's private texts found in an answer, besides those the request itself sent (a
    problem's ``instance`` repeats the URL)."""
    sent = f"{unquote(url)} {body or ''}"
    text = _text(response)
    return [secret for secret in world.secrets if secret in text and secret not in sent]


def _success(case: Case, response: TestResponse) -> bool:
    if case.interface == "web" and case.method == "POST":
        # A web form that worked redirects (302, or 303 back to the page it came from).
        return response.status_code in (302, 303) and "/login" not in response.location
    return 200 <= response.status_code < 300


def _answer(response: TestResponse) -> tuple[int, Any, str]:
    """A response's status, ``content`` and description, to compare others with."""
    return response.status_code, content(response), _describe(response)


def _describe(response: TestResponse) -> str:
    text = response.get_data()[:300].decode(errors="replace")  # XLSX is binary
    return f"{response.status_code} {text!r}"


# --- the generated cases ----------------------------------------------------------------


def _params() -> list[Any]:
    params = []
    for case in CASES:
        for actor in FOREIGN:
            if actor == "c_unbound" and case.interface == "web":
                continue  # a header of tokens; the web's switcher is a body case below
            if actor == "authority_01" and not case.writes:
                continue  # B's own authority reads B by design; it is here for writes
            leak = KNOWN_LEAKS.get((case.endpoint, case.method, case.variant, actor))
            marks = [pytest.mark.xfail(strict=True, reason=leak)] if leak else []
            params.append(pytest.param(case, actor, id=f"{case.label} as {actor}", marks=marks))
    return params


@pytest.mark.parametrize(("case", "actor"), _params())
def test_a_foreign_party_gets_nothing_of_b(
    app: Flask, world: World, watch: WriteWatch, case: Case, actor: str
) -> None:
    url = url_of(app, world, case)
    body = body_of(world, case)
    before = watch.mark()
    response = send(app, world, case, actor, url=url, body=body)
    changed = watch.changed_since(before)
    said = _describe(response)
    assert response.status_code < 500, said

    if allowed(case, actor):
        assert _success(case, response), f"{actor} may do this by design: {said}"
        if case.method not in WRITE_METHODS:
            assert not changed, f"a read wrote {changed}"
        # Even what E may read of the lot names no member household of B's.
        assert world.household not in _text(response), f"{actor} sees B's household"
        return
    assert not changed, f"{actor} changed {changed} with {said}"
    told = revealed(world, response, url, body)
    assert not told, f"{actor} was told {told}: {said}"

    if public(case):
        assert not case.writes, "a public write? classify it"
        # What anonymous callers are answered, asked once of the committed world.
        status, shown, described = watch.on_the_world(
            ("anonymous", case.key, url),
            lambda: _answer(send(app, world, case, "anonymous", url=url)),
        )
        assert response.status_code == status, f"{actor} got {said}, anonymous {described}"
        assert content(response) == shown, f"{actor} sees more than anonymous"
        return

    assert not _success(case, response), f"{actor} succeeded: {said}"
    if actor == "anonymous":
        if case.interface == "web":
            assert response.status_code == 302, said
            assert response.location.startswith("/login"), said
        else:
            assert response.status_code == 401, said
        return
    if case.writes and readable_by(app, world, watch, case, actor, url):
        assert response.status_code in (403, 404), said
    else:
        # Not even readable: the answer must not reveal that the object exists.
        assert response.status_code == 404, said


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_the_owner_succeeds(app: Flask, world: World, watch: WriteWatch, case: Case) -> None:
    """The positive control: the rightful party's same request succeeds, and writes."""
    body = body_of(world, case)
    before = watch.mark()
    response = send(app, world, case, owner_of(case), body=body)
    changed = watch.changed_since(before)  # not inline: pytest would print both worlds
    assert _success(case, response), f"{owner_of(case)}: {_describe(response)}"
    if case.method in WRITE_METHODS:
        assert changed, "the owner's write wrote nothing"
    else:
        assert not changed, f"a read wrote {changed}"


def test_the_suite_covers_every_route_with_an_id() -> None:
    """A new route with an id needs a value for each argument and, when it writes, a
    body; entries for routes that no longer exist must go."""
    missing = []
    for case in CASES:
        for name in case.arguments:
            if name not in ARG_VALUES:
                missing.append(f"{case.label}: argument {name!r} has no value (ARG_VALUES)")
        if "code" in case.arguments and case.endpoint not in CODES:
            missing.append(f"{case.label}: which code? (CODES)")
        if case.method in WRITE_METHODS and case.key not in BODIES:
            missing.append(f"{case.label}: no body (BODIES)")
    assert not missing, "\n".join(missing)

    keys = {c.key for c in CASES}
    stale = [
        f"{table}: {key}"
        for table, entries in (
            ("BODIES", BODIES),
            ("OWNERS", OWNERS),
            ("QUERIES", QUERIES),
            ("CATALOGUE_READS", CATALOGUE_READS),
            ("SHIPPED_LOT", SHIPPED_LOT),
            ("WEB_PUBLIC", WEB_PUBLIC),
            ("VERIFIER", VERIFIER),
            ("OVERSIGHT", OVERSIGHT),
        )
        for key in entries
        if key not in keys
    ]
    stale += [f"CODES: {e}" for e in CODES if e not in {c.endpoint for c in CASES}]
    stale += [
        f"KNOWN_LEAKS: {k}"
        for k in KNOWN_LEAKS
        if not any((c.endpoint, c.method, c.variant) == k[:3] for c in CASES)
    ]
    assert not stale, "entries for routes that no longer exist:\n" + "\n".join(stale)


def test_the_world_is_what_the_cases_assume(app: Flask, world: World) -> None:
    """B's lot is B's, its household shows to B (so that E not seeing it means something),
    and the shipment to E is still open (the receiving cases need it)."""
    own = app.test_client().get(
        f"/api/batches/{world.batch_id}", headers=world.people["b_admin"].headers
    )
    assert world.household in _text(own)
    # B reads its failed lab result (so that nobody else finding it means something).
    results = app.test_client().get(
        f"/api/batches/{world.batch_id}/lab-results", headers=world.people["b_admin"].headers
    )
    assert FAILED_LAB_REPORT in _text(results)
    batch = db.session.get(Batch, world.batch_id)
    assert batch is not None and batch.organisation_id == world.b_id
    from traceability.models.batches import Shipment

    shipment = db.session.scalar(select(Shipment).where(Shipment.id == world.shipment_id))
    assert shipment is not None and shipment.received_at is None
    assert shipment.to_organisation_id == world.e_id


def test_the_write_watch_sees_the_world_and_every_write(
    app: Flask, world: World, watch: WriteWatch
) -> None:
    """The controls of ``WriteWatch``, on which every "changed nothing" above rests: a test
    begins on the world whose fingerprint it knows, and a change through a request or the
    session, written or deleted, is found (tests/app/write_watch.py)."""
    assert watch.untouched and fingerprint() == watch.baseline
    before = watch.mark()
    renamed = app.test_client().patch(
        f"/api/areas/{world.area_id}",
        json={"name": "Vườn X"},
        headers=world.people["b_admin"].headers,
    )
    assert renamed.status_code == 200, _describe(renamed)
    assert watch.changed_since(before) == ["production_areas"]
    assert not watch.untouched and watch.mark().fingerprint != watch.baseline
    # A statement that writes nothing after all still makes the watch look: found unchanged.
    again = watch.mark()
    db.session.execute(update(Batch).where(Batch.id == -1).values(lot_code="X"))
    assert watch.changed_since(again) == []
    gone = watch.mark()
    db.session.execute(delete(DiaryEntry).where(DiaryEntry.id == world.entry_id))
    assert watch.changed_since(gone) == ["diary_entries"]


# --- ids in bodies and query strings ---------------------------------------------------
#
# The URL map cannot tell which fields of a body or a query name another object, so these
# are listed by hand: C (or the authority of another province) sends a request about its
# own data that names one of B's objects. Each is paired with the same request naming the
# sender's own object instead, which must succeed: the refusal is about the foreign id.


@dataclass(frozen=True)
class BodyCase:
    name: str
    method: str
    url: Callable[[World], str]
    body: Callable[[World, bool], dict[str, Any]]  # (world, foreign?) -> body
    actor: str = "c_admin"
    ok: tuple[int, ...] = (200, 201)  # what the request naming the actor's own id answers
    writes: bool = True  # False: it changes only the session (the organisation switcher)
    web: bool = False  # a form posted with the actor's session, not JSON with its token


def _pick(foreign: bool, theirs: int, mine: int) -> int:
    return theirs if foreign else mine


def _day(w: World) -> str:
    return w.today.isoformat()


def _c_lot_with_another(w: World, foreign: bool) -> list[dict[str, object]]:
    """10 kg of C's lot and 10 kg of another: B's when ``foreign``, else C's own."""
    return [
        {"batch_id": w.c_batch_id, "quantity": "10", "unit": "kg"},
        {"batch_id": _pick(foreign, w.other_batch_id, w.c_other_batch_id), "quantity": "10",
         "unit": "kg"},
    ]


BODY_CASES = [
    BodyCase(
        "harvest from B's area",
        "POST",
        lambda w: "/api/batches",
        lambda w, f: {
            "area_ids": [_pick(f, w.area_id, w.c_area_id)],
            "product_id": w.c_product_id,
            "quantity": "10",
            "unit": "kg",
            "harvested_on": _day(w),
        },
    ),
    BodyCase(
        "harvest as B's product",
        "POST",
        lambda w: "/api/batches",
        lambda w, f: {
            "area_ids": [w.c_area_id],
            "product_id": _pick(f, w.product_id, w.c_product_id),
            "quantity": "10",
            "unit": "kg",
            "harvested_on": _day(w),
        },
    ),
    BodyCase(
        "harvest delivered by B's member",
        "POST",
        lambda w: "/api/batches",
        lambda w, f: {
            "area_ids": [w.c_area_id],
            "product_id": w.c_product_id,
            "quantity": "10",
            "unit": "kg",
            "harvested_on": _day(w),
            "contributions": [
                {"member_id": _pick(f, w.member_id, w.c_member_id), "quantity": "5", "unit": "kg"}
            ],
        },
    ),
    BodyCase(
        "merge B's lot into C's",
        "POST",
        lambda w: f"/api/batches/{w.c_batch_id}/events/merge",
        lambda w, f: {"inputs": _c_lot_with_another(w, f)},
    ),
    BodyCase(
        "process C's lot with B's lot",
        "POST",
        lambda w: f"/api/batches/{w.c_batch_id}/events/transformation",
        lambda w, f: {
            "inputs": _c_lot_with_another(w, f),
            "output": {"product_id": w.c_product_id, "quantity": "18", "unit": "kg"},
        },
    ),
    BodyCase(
        "process C's lot into B's product",
        "POST",
        lambda w: f"/api/batches/{w.c_batch_id}/events/transformation",
        lambda w, f: {
            "inputs": [{"batch_id": w.c_batch_id, "quantity": "10", "unit": "kg"}],
            "output": {
                "product_id": _pick(f, w.product_id, w.c_product_id),
                "quantity": "9",
                "unit": "kg",
            },
        },
    ),
    BodyCase(
        "pack C's lot as B's product",
        "POST",
        lambda w: f"/api/batches/{w.c_batch_id}/events/packing",
        lambda w, f: {
            "into_new_lot": True,
            "product_id": _pick(f, w.product_id, w.c_product_id),
            "quantity": "10",
            "unit": "kg",
        },
    ),
    BodyCase(
        "correct B's event from C's lot",
        "POST",
        lambda w: f"/api/batches/{w.c_batch_id}/corrections",
        lambda w, f: {"event_id": w.event_id if f else w.c_event_id, "reason": "did_not_occur"},
    ),
    BodyCase(
        "area for B",
        "POST",
        lambda w: "/api/areas",
        lambda w, f: {
            "organisation_id": _pick(f, w.b_id, w.c_id),
            "code": "X-1",
            "name": "Vườn",
            "kind": "plot",
        },
    ),
    BodyCase(
        "product for B",
        "POST",
        lambda w: "/api/products",
        lambda w, f: {
            "organisation_id": _pick(f, w.b_id, w.c_id),
            "code": "X1",
            "name": "Hồ tiêu",
            "commodity": "pepper",
        },
    ),
    BodyCase(
        "B's member farms C's area",
        "PATCH",
        lambda w: f"/api/areas/{w.c_area_id}",
        lambda w, f: {"household_ids": [_pick(f, w.member_id, w.c_member_id)]},
    ),
    BodyCase(
        "C certifies B's area",
        "POST",
        lambda w: f"/api/organisations/{w.c_id}/certifications",
        lambda w, f: {
            "scheme": "vietgap",
            "number": "VG-X",
            "issuer": "Trung tâm Thử",
            "issued_on": "2025-01-10",
            "subject_kind": "production_area",
            "production_area_id": _pick(f, w.area_id, w.c_area_id),
        },
    ),
    BodyCase(
        "C certifies B's product",
        "POST",
        lambda w: f"/api/organisations/{w.c_id}/certifications",
        lambda w, f: {
            "scheme": "vietgap",
            "number": "VG-Y",
            "issuer": "Trung tâm Thử",
            "issued_on": "2025-01-10",
            "subject_kind": "product",
            "product_id": _pick(f, w.product_id, w.c_product_id),
        },
    ),
    BodyCase(
        "token acting for B",
        "POST",
        lambda w: "/api/me/tokens",
        lambda w, f: {"name": "x", "organisation_id": _pick(f, w.b_id, w.c_id)},
        ok=(201,),
    ),
]


def _web(path: str) -> Callable[[World], str]:
    return lambda w: path.format(w=w)


BODY_CASES += [
    BodyCase(
        "switch to B",
        "POST",
        _web("/switch-org"),
        lambda w, f: {"org_id": str(_pick(f, w.b_id, w.c_id))},
        ok=(302, 303),
        writes=False,
        web=True,
    ),
    BodyCase(
        "web token acting for B",
        "POST",
        _web("/account/tokens"),
        lambda w, f: {"name": "x", "organisation_id": str(_pick(f, w.b_id, w.c_id))},
        ok=(200,),
        web=True,
    ),
    BodyCase(
        "web harvest from B's area",
        "POST",
        _web("/batches/harvest"),
        lambda w, f: {
            "area_id": str(_pick(f, w.area_id, w.c_area_id)),
            "product_id": str(w.c_product_id),
            "quantity": "10",
            "unit": "kg",
            "harvested_on": _day(w),
        },
        ok=(302,),
        web=True,
    ),
    BodyCase(
        "web merge of B's lot",
        "POST",
        _web("/batches/{w.c_batch_id}/merge"),
        lambda w, f: {
            "quantity": "10",
            "unit": "kg",
            "others-0-batch_id": str(_pick(f, w.other_batch_id, w.c_other_batch_id)),
            "others-0-chosen": "y",
            "others-0-quantity": "10",
            "others-0-unit": "kg",
            "at": _day(w),
        },
        ok=(302,),
        web=True,
    ),
]


def _send_body_case(app: Flask, world: World, case: BodyCase, foreign: bool) -> TestResponse:
    person = world.people[case.actor]
    body = case.body(world, foreign)
    if case.web:
        client = signed_in_client(app, person)
        return client.open(case.url(world), method=case.method, data=body)
    return app.test_client().open(
        case.url(world), method=case.method, json=body, headers=person.headers
    )


@pytest.mark.parametrize("case", BODY_CASES, ids=[c.name for c in BODY_CASES])
def test_naming_b_s_object_in_a_body_is_refused(
    app: Flask, world: World, watch: WriteWatch, case: BodyCase
) -> None:
    before = watch.mark()
    response = _send_body_case(app, world, case, foreign=True)
    changed = watch.changed_since(before)
    said = _describe(response)
    assert not changed, f"{case.actor} changed {changed} with {said}"
    # Refused: a problem on the API, the form again with its errors (or 404) on the web.
    assert 400 <= response.status_code < 500, said
    told = revealed(world, response, case.url(world), case.body(world, True))
    assert not told, f"{case.actor} was told {told}: {said}"


@pytest.mark.parametrize("case", BODY_CASES, ids=[c.name for c in BODY_CASES])
def test_naming_one_s_own_object_instead_succeeds(
    app: Flask, world: World, watch: WriteWatch, case: BodyCase
) -> None:
    before = watch.mark()
    response = _send_body_case(app, world, case, foreign=False)
    changed = watch.changed_since(before)
    assert response.status_code in case.ok, _describe(response)
    assert bool(changed) == case.writes, f"written: {changed}"


# Lists filtered on B: C and the authority of another province learn nothing of B's.
BATCH_FILTERS = (
    "kde_complete=false",
    "kde_complete=true",
    "scan_flagged=true",
    "scan_flagged=false",
    "status=recalled",
)


def _b_batches(query: str) -> Callable[[World], str]:
    return lambda w: f"/api/batches?organisation_id={w.b_id}&{query}"


LIST_QUERIES: list[tuple[str, Callable[[World], str]]] = [
    ("batches of B", lambda w: f"/api/batches?organisation_id={w.b_id}"),
    ("batches of B's product", lambda w: f"/api/batches?product_id={w.product_id}"),
    # The filters a supplier's scorecard links to (linkages.services.scorecard).
    *((f"batches of B with {query}", _b_batches(query)) for query in BATCH_FILTERS),
    ("areas of B", lambda w: f"/api/areas?organisation_id={w.b_id}"),
    ("EPCIS event by B's eventID", lambda w: f"/epcis/events?EQ_eventID={w.event_id}"),
    ("EPCIS events of B's lot", lambda w: "/epcis/events?perPage=100"),
    # The linkage indicator has no id in its URLs: its cooperatives are asked by province
    # (refused to organisations' users with 403; scoped to 79 for its authority).
    (
        "indicator drill-down of B's province",
        lambda w: f"/api/indicator/drill-down?which=all&province={w.province_code}",
    ),
    (
        "indicator figures of B's province",
        lambda w: f"/api/indicator/figures?breakdown=province&province={w.province_code}",
    ),
    (
        "indicator overview of B's province",
        lambda w: f"/api/indicator/overview?province={w.province_code}",
    ),
]


@pytest.mark.parametrize("actor", ["c_admin", "authority_79"])
@pytest.mark.parametrize(("name", "url"), LIST_QUERIES, ids=[n for n, _ in LIST_QUERIES])
def test_lists_filtered_on_b_hold_nothing_of_b(
    app: Flask, world: World, name: str, url: Callable[[World], str], actor: str
) -> None:
    target = url(world)
    response = app.test_client().get(target, headers=world.people[actor].headers)
    assert response.status_code in (200, 403, 404, 422), _describe(response)
    if target.startswith("/api/indicator/") and response.status_code == 200:
        # Another province's authority: no cooperative of B's province, in any figure.
        body = response.get_json()
        if target.startswith("/api/indicator/overview"):
            assert body["counts"]["htx"]["value"] == 0 == body["ocop"]["products"]
        else:
            assert body == [] if isinstance(body, list) else body["total"]["denominator"] == 0
    told = revealed(world, response, target.split("?")[0], None)
    assert not told, f"{actor} was told {told}: {_describe(response)}"


@pytest.mark.parametrize("actor", ["c_admin", "authority_79", "e_admin"])
@pytest.mark.parametrize("query", BATCH_FILTERS)
def test_the_batch_page_filtered_on_b_lists_only_what_the_reader_may_see(
    app: Flask, world: World, watch: WriteWatch, query: str, actor: str
) -> None:
    """The web batch list's ``?organisation_id=`` (a scorecard's link): C and the other
    province's authority are shown none of B's lots; E, the lot B shipped to it only."""
    target = f"/batches?organisation_id={world.b_id}&{query}"
    before = watch.mark()
    response = signed_in_client(app, world.people[actor]).get(target)
    assert not watch.changed_since(before)
    assert response.status_code == 200, _describe(response)
    shown = set(re.findall(r'<strong class="lot-code">([^<]*)</strong>', _text(response)))
    lot = db.session.get(Batch, world.batch_id)
    assert lot is not None
    assert shown <= ({lot.lot_code} if actor == "e_admin" else set()), shown
    if actor == "e_admin" and query in ("kde_complete=true", "scan_flagged=false"):
        assert shown == {lot.lot_code}  # the positive control: E reads the lot shipped to it


# The authority dashboard's pages and files (app/web/indicator.py) have no id in their URLs
# either: asked about B's province with the party's signed-in session, C is refused (403)
# and the other province's authority is shown its own province only: no cooperative of
# B's province, no contract, no lot, in the page, the drill-down or any file.
WEB_INDICATOR_QUERIES: list[tuple[str, Callable[[World], str]]] = [
    ("dashboard of B's province", lambda w: f"/indicator?province={w.province_code}"),
    (
        "dashboard drill-down of B's province",
        lambda w: f"/indicator/drill-down?which=all&province={w.province_code}",
    ),
    (
        "dashboard drill-down of B's province as a group",
        lambda w: f"/indicator/drill-down?which=all&breakdown=province&group={w.province_code}",
    ),
    (
        "dashboard drill-down file of B's province",
        lambda w: f"/indicator/drill-down.csv?which=all&province={w.province_code}",
    ),
    (
        "dashboard drill-down workbook of B's province",
        lambda w: f"/indicator/drill-down.xlsx?which=all&province={w.province_code}",
    ),
    (
        "dashboard breakdown file of B's province",
        lambda w: f"/indicator/breakdown.csv?province={w.province_code}",
    ),
    (
        "dashboard trend workbook of B's province",
        lambda w: f"/indicator/trend.xlsx?province={w.province_code}",
    ),
    (
        "dashboard variants file of B's province",
        lambda w: f"/indicator/variants.csv?province={w.province_code}",
    ),
    (
        "dashboard overview workbook of B's province",
        lambda w: f"/indicator/overview.xlsx?province={w.province_code}",
    ),
    # The year B's province published (World.publication_id): the other province's
    # authority is shown its own province's (none), never Hà Nội's figures or changes.
    (
        "dashboard of B's province's published year",
        lambda w: f"/indicator?province={w.province_code}&year={FIGURES_YEAR}",
    ),
    ("published figures", lambda w: "/indicator/publications"),
]
B_NAME = "HTX Nông nghiệp Bình Minh"  # public, but not another province's to count


@pytest.mark.parametrize("actor", ["c_admin", "authority_79", "anonymous"])
@pytest.mark.parametrize(
    ("name", "url"), WEB_INDICATOR_QUERIES, ids=[n for n, _ in WEB_INDICATOR_QUERIES]
)
def test_the_indicator_pages_hold_nothing_of_b(
    app: Flask,
    world: World,
    watch: WriteWatch,
    name: str,
    url: Callable[[World], str],
    actor: str,
) -> None:
    target = url(world)
    before = watch.mark()
    response = signed_in_client(app, world.people.get(actor)).get(target)
    changed = watch.changed_since(before)
    assert not changed, f"a read wrote {changed}"
    said = _describe(response)
    if actor == "anonymous":
        assert response.status_code == 302 and response.location.startswith("/login"), said
    else:
        assert response.status_code == (403 if actor == "c_admin" else 200), said
    text = _text(response)
    assert B_NAME not in text, f"{actor} sees B in {said}"
    told = revealed(world, response, target.split("?")[0], None)
    assert not told, f"{actor} was told {told}: {said}"


def test_the_indicator_drill_down_shows_b_to_its_own_authority(app: Flask, world: World) -> None:
    """The positive control of the test above: B's province's authority finds B."""
    client = signed_in_client(app, world.people["authority_01"])
    for path in ("/indicator/drill-down", "/indicator/drill-down.csv"):
        response = client.get(f"{path}?which=all&province={world.province_code}")
        assert response.status_code == 200, _describe(response)
        assert B_NAME in _text(response), path


# --- a shipment that did not happen --------------------------------------------------------

# Found by this suite: readable_events once opened every event of a lot ever shipped to the
# organisation; after its shipping is withdrawn, the addressee is a stranger to the lot again.


def _withdraw_shipment_then_cool(app: Flask, world: World) -> str:
    """B declares the shipment to E did not occur, then records a cooling on the lot; the
    cooling's eventID. E can no longer open the lot itself (checked here)."""
    api = app.test_client()
    b, e = world.people["b_admin"].headers, world.people["e_admin"].headers
    withdrawn = api.post(
        f"/api/batches/{world.batch_id}/corrections",
        headers=b,
        json={"event_id": world.ship_event_id, "reason": "did_not_occur"},
    )
    assert withdrawn.status_code == 201, _describe(withdrawn)
    later = api.post(f"/api/batches/{world.batch_id}/events/cooling", headers=b, json={})
    assert later.status_code == 201, _describe(later)
    assert api.get(f"/api/batches/{world.batch_id}", headers=e).status_code == 404
    assert api.get(f"/api/batches/{world.batch_id}/events", headers=e).status_code == 404
    event_id: str = later.get_json()["event_ids"][0]
    return event_id


def test_after_a_withdrawn_shipment_the_addressee_cannot_get_the_lot_s_new_events(
    app: Flask, world: World
) -> None:
    cooling_id = _withdraw_shipment_then_cool(app, world)
    e = world.people["e_admin"].headers
    one = app.test_client().get(f"/epcis/events/{quote(cooling_id, safe='')}", headers=e)
    assert one.status_code == 404, _describe(one)


def test_after_a_withdrawn_shipment_the_addressee_cannot_query_the_lot_s_new_events(
    app: Flask, world: World
) -> None:
    cooling_id = _withdraw_shipment_then_cool(app, world)
    e = world.people["e_admin"].headers
    listed = app.test_client().get(
        "/epcis/events", query_string={"EQ_eventID": cooling_id}, headers=e
    )
    assert listed.status_code == 200, _describe(listed)
    assert listed.get_json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"] == []
