"""The forms of the batch page that make new lots (split, merge, processing) and correct a
record of the history, driven through Flask's test client."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.clock import local_today
from core.db import db
from linkages.models.organisations import OrgType
from tests.app.web_support import coffee_coop, csrf_token_in, harvested, login, make_user
from tests.factories import actor_of, make_org
from tests.traceability.batch_factories import make_area, make_product
from traceability.models.batches import Batch, BatchLink, BatchStatus
from traceability.models.events import EpcisEvent
from traceability.services import batches as batch_svc
from traceability.services import recording as events


@pytest.fixture()
def coop():  # type: ignore[no-untyped-def]
    return coffee_coop()


_harvest = harvested


def _first_event_pk(org_id: int) -> int:
    return db.session.scalar(
        select(EpcisEvent.id).where(EpcisEvent.organisation_id == org_id).order_by(EpcisEvent.id)
    )


def _count_batches(org_id: int) -> int:
    return db.session.scalar(select(func.count(Batch.id)).where(Batch.organisation_id == org_id))


def _error_beside(html: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert found, f"no message beside {field}"
    return found.group(1)


def _top_error(html: str) -> str:
    found = re.search(r'<div class="form-error" role="alert">(.*?)</div>', html, re.S)
    assert found, "no message at the top of the form"
    return re.sub(r"<[^>]+>", " ", found.group(1))


def _children(batch_id: int) -> dict[int, Decimal]:
    return {
        link.child_id: link.quantity_kg
        for link in db.session.scalars(select(BatchLink).where(BatchLink.parent_id == batch_id))
    }


def _timeline_entries(html: str) -> list[str]:
    return re.findall(r'<li class="timeline-item[^"]*".*?</li>', html, re.S)


def _today() -> str:
    """Read when the test runs: a suite may cross Vietnam's midnight (see tests/days.py)."""
    return local_today().isoformat()


def _split_rows(values: dict[str, str]) -> dict[str, str]:
    """The split form as a browser posts it: every part row, the blank ones too."""
    form = {"at": _today()}
    for n in range(4):
        form.update({f"parts-{n}-quantity": "", f"parts-{n}-unit": "kg",
                     f"parts-{n}-lot_code": ""})
    return {**form, **values}


# --------------------------------------------------------------------------- the batch page


def test_the_owner_is_offered_split_merge_and_processing_on_a_lot_in_stock(client, coop) -> None:
    org, user, area, product = coop
    batch = _harvest(org, user, area, product)
    login(client, user.email)
    html = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert f'href="/batches/{batch.id}/split"' in html
    assert f'href="/batches/{batch.id}/merge"' in html
    assert f'href="/batches/{batch.id}/transform"' in html
    assert f'href="/batches/{batch.id}/events/' in html and 'data-testid="correct-event"' in html

    events.record_recall(actor_of(user, org), batch.id)
    db.session.commit()
    html = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert 'data-testid="action-split"' not in html  # a recalled lot makes no new lots
    refused = client.get(f"/batches/{batch.id}/split")
    assert refused.status_code == 409  # refused on its state, saying why
    assert batch.lot_code in refused.get_data(as_text=True)


def test_another_cooperatives_user_finds_none_of_the_forms(client, app, coop) -> None:
    org, user, area, product = coop
    batch = _harvest(org, user, area, product)
    harvest_pk = _first_event_pk(org.id)
    stranger = make_user("khac@example.vn", make_org("Hợp tác xã Khác"))
    login(client, stranger.email)
    for path in ("split", "merge", "transform", f"events/{harvest_pk}/correct"):
        assert client.get(f"/batches/{batch.id}/{path}").status_code == 404, path
        assert client.post(f"/batches/{batch.id}/{path}", data={"at": _today()}).status_code == 404
    assert batch_svc.current_quantity(batch.id) == Decimal("1000")
    assert _count_batches(org.id) == 1


def test_the_forms_refuse_a_post_without_the_csrf_token(client, app, coop) -> None:
    org, user, area, product = coop
    batch = _harvest(org, user, area, product)
    harvest_pk = _first_event_pk(org.id)
    login(client, user.email)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert csrf_token_in(client.get(f"/batches/{batch.id}/split").get_data(as_text=True))
        response = client.post(f"/batches/{batch.id}/split", data={
            "parts-0-quantity": "100", "parts-0-unit": "kg", "at": _today()})
        assert response.status_code == 400
        response = client.post(f"/batches/{batch.id}/events/{harvest_pk}/correct",
                               data={"reason": "did_not_occur", "at": _today()})
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert _count_batches(org.id) == 1
    assert db.session.scalar(select(func.count(EpcisEvent.id))) == 1


# --------------------------------------------------------------------------- split


def test_the_split_form_offers_four_part_rows_in_the_lots_unit(client, coop) -> None:
    org, user, area, product = coop
    batch = _harvest(org, user, area, product)
    login(client, user.email)
    page = client.get(f"/batches/{batch.id}/split")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert len(re.findall(r'data-testid="split-part"', html)) == 4
    assert 'id="parts-3-quantity"' in html and 'inputmode="decimal"' in html
    assert re.search(r'<option selected value="kg">|<option value="kg" selected>', html)
    assert f'value="{_today()}"' in html


def test_a_split_makes_linked_lots_and_lists_them_on_the_original(client, coop) -> None:
    org, user, area, product = coop
    batch = _harvest(org, user, area, product)
    login(client, user.email)
    response = client.post(f"/batches/{batch.id}/split", data={
        "parts-0-quantity": "300", "parts-0-unit": "kg", "parts-0-lot_code": "LOAI-1",
        "parts-1-quantity": "2,5", "parts-1-unit": "ta",  # 2.5 quintals = 250 kg
        "parts-2-quantity": "", "parts-2-unit": "kg", "parts-2-lot_code": "",  # blank: ignored
        "parts-3-quantity": "", "parts-3-unit": "kg",
        "at": _today(),
    })
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/batches/{batch.id}")

    parts = db.session.scalars(
        select(Batch).where(Batch.organisation_id == org.id, Batch.id != batch.id)
        .order_by(Batch.id)
    ).all()
    assert parts[0].lot_code == "LOAI-1"
    assert parts[1].lot_code.startswith(local_today().strftime("%y%m%d") + "-S-")  # defaulted
    assert [batch_svc.current_quantity(p.id) for p in parts] == [Decimal("300"), Decimal("250")]
    assert batch_svc.current_quantity(batch.id) == Decimal("450")
    assert _children(batch.id) == {parts[0].id: Decimal("300"), parts[1].id: Decimal("250")}

    html = client.get(response.headers["Location"]).get_data(as_text=True)
    flash = " ".join(re.findall(r'class="flash flash-success"[^>]*>([^<]*)<', html))
    assert "LOAI-1" in flash and parts[1].lot_code in flash
    forward = re.search(r'data-testid="lineage-forward">(.*?)</ul>', html, re.S).group(1)
    assert "LOAI-1" in forward and parts[1].lot_code in forward
    assert 'data-testid="current-quantity">450 <span>kg' in html


@pytest.mark.parametrize(
    ("data", "field", "needle"),
    [
        ({"parts-0-quantity": "abc"}, "parts-0-quantity", ""),
        ({"parts-0-quantity": "-5"}, "parts-0-quantity", ""),
        ({"parts-1-quantity": "1.250"}, "parts-1-quantity", ""),
        ({"parts-0-quantity": "10", "parts-0-unit": "bushel"}, "parts-0-unit", ""),
        ({"parts-0-lot_code": "A-1"}, "parts-0-quantity", ""),  # a code without a quantity
        ({"parts-0-quantity": ""}, "parts-0-quantity", ""),  # no part at all
        ({"parts-0-quantity": "10", "at": "2999-01-01"}, "at", ""),
        ({"parts-0-quantity": "10", "parts-0-lot_code": "lô có dấu"}, "parts-0-lot_code", ""),
    ],
)
def test_a_bad_split_comes_back_beside_the_field_and_writes_nothing(
    client, coop, data, field, needle
) -> None:
    org, user, area, product = coop
    batch = _harvest(org, user, area, product)
    login(client, user.email)
    response = client.post(f"/batches/{batch.id}/split", data=_split_rows(data))
    assert response.status_code == 422
    assert _error_beside(response.get_data(as_text=True), field)
    assert _count_batches(org.id) == 1
    assert batch_svc.current_quantity(batch.id) == Decimal("1000")


def test_splitting_more_than_the_lot_holds_names_the_shortfall(client, coop) -> None:
    org, user, area, product = coop
    batch = _harvest(org, user, area, product)
    login(client, user.email)
    response = client.post(f"/batches/{batch.id}/split", data={
        "parts-0-quantity": "700", "parts-0-unit": "kg",
        "parts-1-quantity": "0,5", "parts-1-unit": "tan",  # 500 kg: 200 kg too many
        "at": _today(),
    })
    assert response.status_code == 409
    message = _top_error(response.get_data(as_text=True))
    assert batch.lot_code in message and "200" in message
    assert 'value="700"' in response.get_data(as_text=True)  # what was typed stays
    assert _count_batches(org.id) == 1


def test_a_lot_code_already_used_is_refused_beside_its_part(client, coop) -> None:
    org, user, area, product = coop
    batch = _harvest(org, user, area, product)
    login(client, user.email)
    response = client.post(f"/batches/{batch.id}/split", data=_split_rows({
        "parts-0-quantity": "100",
        "parts-2-quantity": "100", "parts-2-lot_code": batch.lot_code,
    }))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert _error_beside(html, "parts-2-lot_code")
    assert "<details class=\"more\" open>" in html  # the folded row with the error is shown
    assert _count_batches(org.id) == 1


# --------------------------------------------------------------------------- merge


def test_the_merge_form_lists_only_the_organisations_lots_of_the_product_in_stock(
    client, coop
) -> None:
    org, user, area, product = coop
    batch = _harvest(org, user, area, product)
    same = _harvest(org, user, area, product, "200")
    other_product = _harvest(org, user, area, make_product(org, name="Cà phê rang"), "50")
    empty = _harvest(org, user, area, product, "10")
    events.record_destroy(actor_of(user, org), empty.id)
    stranger_org = make_org("Hợp tác xã Khác")
    theirs = _harvest(stranger_org, make_user("khac@example.vn", stranger_org),
                      make_area(stranger_org), make_product(stranger_org), "70")
    db.session.commit()
    login(client, user.email)
    page = client.get(f"/batches/{batch.id}/merge")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert same.lot_code in html
    for absent in (other_product, empty, theirs):
        assert f'value="{absent.id}"' not in html
    assert len(re.findall(r'data-testid="lot-choice"', html)) == 1

    another = _harvest(org, user, area, product, "30")
    searched = client.get(f"/batches/{batch.id}/merge?q={another.lot_code[-4:].lower()}")
    html = searched.get_data(as_text=True)
    assert f'value="{another.id}"' in html and f'value="{same.id}"' not in html


def test_a_merge_makes_one_new_lot_from_the_chosen_lots(client, coop) -> None:
    org, user, area, product = coop
    batch = _harvest(org, user, area, product)
    other = _harvest(org, user, area, product, "200")
    third = _harvest(org, user, area, product, "80")
    login(client, user.email)
    response = client.post(f"/batches/{batch.id}/merge", data={
        "quantity": "400", "unit": "kg",
        "others-0-batch_id": str(third.id), "others-0-unit": "kg",  # not ticked
        "others-1-batch_id": str(other.id), "others-1-chosen": "y", "others-1-unit": "kg",
        "lot_code": "TRON-1", "at": _today(),
    })
    assert response.status_code == 302
    merged = db.session.scalar(select(Batch).where(Batch.lot_code == "TRON-1"))
    assert response.headers["Location"].endswith(f"/batches/{merged.id}")
    assert batch_svc.current_quantity(merged.id) == Decimal("600")
    assert batch_svc.current_quantity(batch.id) == Decimal("600")  # 1000 − 400
    assert batch_svc.current_quantity(other.id) == Decimal("0")  # empty quantity: all of it
    assert batch_svc.current_quantity(third.id) == Decimal("80")
    db.session.refresh(other)
    assert other.status == BatchStatus.CONSUMED
    assert _children(batch.id) == {merged.id: Decimal("400")}
    assert _children(other.id) == {merged.id: Decimal("200")}
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "TRON-1" in html
    back = re.search(r'data-testid="lineage-back">(.*?)</ul>', html, re.S).group(1)
    assert batch.lot_code in back and other.lot_code in back


def test_a_refused_merge_says_why_and_writes_nothing(client, coop) -> None:
    org, user, area, product = coop
    batch = _harvest(org, user, area, product)
    other = _harvest(org, user, area, product, "200")
    stranger_org = make_org("Hợp tác xã Khác")
    theirs = _harvest(stranger_org, make_user("khac@example.vn", stranger_org),
                      make_area(stranger_org), make_product(stranger_org), "70")
    login(client, user.email)
    base = {"unit": "kg", "at": _today()}

    alone = client.post(f"/batches/{batch.id}/merge", data={
        **base, "others-0-batch_id": str(other.id), "others-0-unit": "kg"})
    assert alone.status_code == 422
    assert _top_error(alone.get_data(as_text=True)).strip()  # at least two lots

    too_much = client.post(f"/batches/{batch.id}/merge", data={
        **base, "others-0-batch_id": str(other.id), "others-0-chosen": "y",
        "others-0-quantity": "250", "others-0-unit": "kg"})
    assert too_much.status_code == 409
    message = _error_beside(too_much.get_data(as_text=True), "others-0-quantity")
    assert other.lot_code in message and "50" in message

    foreign = client.post(f"/batches/{batch.id}/merge", data={
        **base, "others-0-batch_id": str(theirs.id), "others-0-chosen": "y",
        "others-0-unit": "kg"})
    assert foreign.status_code == 422
    html = foreign.get_data(as_text=True)
    assert _error_beside(html, "others-0-quantity")
    assert theirs.lot_code not in html  # another organisation's lot is never named

    assert _count_batches(org.id) == 2
    assert batch_svc.current_quantity(other.id) == Decimal("200")


# --------------------------------------------------------------------------- processing


def test_processing_turns_inputs_into_a_new_lot_of_the_product_made(client, coop) -> None:
    org, user, area, product = coop
    roasted = make_product(org, name="Cà phê rang")
    batch = _harvest(org, user, area, product)
    other = _harvest(org, user, area, product, "300")
    login(client, user.email)
    page = client.get(f"/batches/{batch.id}/transform")
    assert page.status_code == 200
    assert "Cà phê rang" in page.get_data(as_text=True)
    response = client.post(f"/batches/{batch.id}/transform", data={
        "quantity": "500", "unit": "kg",
        "others-0-batch_id": str(other.id), "others-0-chosen": "y",
        "others-0-quantity": "100", "others-0-unit": "kg",
        "product_id": str(roasted.id), "out_quantity": "480", "out_unit": "",
        "at": _today(),
    })
    assert response.status_code == 302
    made = db.session.scalar(select(Batch).where(Batch.product_id == roasted.id))
    assert response.headers["Location"].endswith(f"/batches/{made.id}")
    assert made.lot_code.startswith(local_today().strftime("%y%m%d") + "-T-")
    assert batch_svc.current_quantity(made.id) == Decimal("480")
    assert batch_svc.current_quantity(batch.id) == Decimal("500")
    assert batch_svc.current_quantity(other.id) == Decimal("200")
    assert _children(batch.id) == {made.id: Decimal("500")}
    assert _children(other.id) == {made.id: Decimal("100")}
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "kind-transformation" in html


def test_refused_processing_comes_back_beside_the_field(client, coop) -> None:
    org, user, area, product = coop
    roasted = make_product(org, name="Cà phê rang")
    batch = _harvest(org, user, area, product)
    other = _harvest(org, user, area, product, "300")
    login(client, user.email)
    base = {"unit": "kg", "product_id": str(roasted.id), "out_quantity": "100", "at": _today()}

    too_much = client.post(f"/batches/{batch.id}/transform", data={**base, "quantity": "1200"})
    assert too_much.status_code == 409
    message = _error_beside(too_much.get_data(as_text=True), "quantity")
    assert batch.lot_code in message and "200" in message

    no_qty = client.post(f"/batches/{batch.id}/transform", data={
        **base, "quantity": "100", "others-0-batch_id": str(other.id),
        "others-0-chosen": "y", "others-0-unit": "kg"})
    assert no_qty.status_code == 422
    assert _error_beside(no_qty.get_data(as_text=True), "others-0-quantity")

    for bad in ("abc", "-3", "0"):
        response = client.post(f"/batches/{batch.id}/transform", data={
            **base, "quantity": "100", "out_quantity": bad})
        assert response.status_code == 422
        assert _error_beside(response.get_data(as_text=True), "out_quantity")

    future = (local_today() + timedelta(days=1)).isoformat()
    response = client.post(f"/batches/{batch.id}/transform", data={
        **base, "quantity": "100", "at": future})
    assert response.status_code == 422
    assert _error_beside(response.get_data(as_text=True), "at")

    assert db.session.scalar(select(func.count(Batch.id)).where(
        Batch.product_id == roasted.id)) == 0
    assert batch_svc.current_quantity(batch.id) == Decimal("1000")


# --------------------------------------------------------------------------- corrections


def _shipped(client, org, user, area, product):  # type: ignore[no-untyped-def]
    batch = _harvest(org, user, area, product)
    buyer = make_org("Công ty Cà phê Lâm Đồng", OrgType.DN)
    ship = events.record_shipping(actor_of(user, org), batch.id, to_organisation_id=buyer.id,
                                  quantity=Decimal("300"), unit="kg")
    db.session.commit()
    login(client, user.email)
    return batch, ship.events[0]


def test_every_standing_record_of_the_organisation_has_a_correct_link(client, coop) -> None:
    org, user, area, product = coop
    batch, shipping = _shipped(client, org, user, area, product)
    html = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    links = re.findall(rf'href="/batches/{batch.id}/events/(\d+)/correct"', html)
    assert len(links) == 2 and str(shipping.id) in links
    page = client.get(f"/batches/{batch.id}/events/{shipping.id}/correct")
    assert page.status_code == 200
    form = page.get_data(as_text=True)
    assert 'value="did_not_occur"' in form and 'value="incorrect_data"' in form
    assert 'value="300"' in form  # the recorded quantity, to change
    assert 'data-testid="nothing-deleted"' in form


def test_a_record_that_did_not_happen_is_withdrawn_and_kept_in_the_history(client, coop) -> None:
    org, user, area, product = coop
    batch, shipping = _shipped(client, org, user, area, product)
    assert batch_svc.current_quantity(batch.id) == Decimal("700")
    response = client.post(f"/batches/{batch.id}/events/{shipping.id}/correct",
                           data={"reason": "did_not_occur", "at": _today()})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/batches/{batch.id}")
    assert batch_svc.current_quantity(batch.id) == Decimal("1000")
    db.session.refresh(shipping)
    assert shipping.retracted_at is not None

    html = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    entries = _timeline_entries(html)
    assert len(entries) == 2  # nothing deleted
    withdrawn = next(e for e in entries if "kind-shipping" in e)
    assert "corrected" in withdrawn.split(">")[0]
    assert 'data-testid="corrected-note"' in withdrawn
    assert "It did not happen" in withdrawn or "Việc này không xảy ra" in withdrawn
    assert 'data-testid="correct-event"' not in withdrawn  # not twice
    again = client.get(f"/batches/{batch.id}/events/{shipping.id}/correct")
    assert again.status_code == 302


def test_incorrect_data_adds_a_corrected_record_beside_the_original(client, coop) -> None:
    org, user, area, product = coop
    batch, shipping = _shipped(client, org, user, area, product)
    yesterday = local_today() - timedelta(days=1)
    response = client.post(f"/batches/{batch.id}/events/{shipping.id}/correct", data={
        "reason": "incorrect_data", "quantities-0-quantity": "250",
        "quantities-0-unit": "kg", "at": yesterday.isoformat(),
    })
    assert response.status_code == 302
    assert batch_svc.current_quantity(batch.id) == Decimal("750")
    declaration = db.session.scalar(select(EpcisEvent).where(EpcisEvent.declares_error))
    [corrective_id] = declaration.document["errorDeclaration"]["correctiveEventIDs"]
    corrective = db.session.scalar(select(EpcisEvent).where(
        EpcisEvent.event_id == corrective_id))
    assert corrective.document["quantityList"][0]["quantity"] == 250
    assert corrective.document["eventTime"].startswith(yesterday.isoformat())

    html = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    entries = _timeline_entries(html)
    assert len(entries) == 3  # harvest, the withdrawn shipment, its correction
    shipments = [e for e in entries if "kind-shipping" in e]
    assert len(shipments) == 2
    original = next(e for e in shipments if 'data-testid="corrected-note"' in e)
    correction = next(e for e in shipments if 'data-testid="correction-note"' in e)
    assert "−300 kg" in original and "−250 kg" in correction
    assert 'data-testid="correct-event"' in correction  # a correction may itself be corrected
    assert 'data-testid="correct-event"' not in original


def test_a_correction_that_changes_nothing_or_breaks_the_quantities_is_refused(
    client, coop
) -> None:
    org, user, area, product = coop
    batch, _shipping = _shipped(client, org, user, area, product)
    harvest = db.session.scalar(
        select(EpcisEvent).where(EpcisEvent.organisation_id == org.id)
        .order_by(EpcisEvent.id).limit(1)
    )
    url = f"/batches/{batch.id}/events/{harvest.id}/correct"
    same = client.post(url, data={"reason": "incorrect_data", "quantities-0-quantity": "1000",
                                  "quantities-0-unit": "kg", "at": _today()})
    assert same.status_code == 422
    assert _error_beside(same.get_data(as_text=True), "quantities-0-quantity")

    below = client.post(url, data={"reason": "incorrect_data", "quantities-0-quantity": "200",
                                   "quantities-0-unit": "kg", "at": _today()})
    assert below.status_code == 409  # 300 kg were already shipped from it
    assert batch.lot_code in _error_beside(below.get_data(as_text=True), "quantities-0-quantity")

    for data, field in (
        ({"reason": "incorrect_data", "quantities-0-quantity": "abc"}, "quantities-0-quantity"),
        ({"reason": "incorrect_data", "quantities-0-quantity": "-1"}, "quantities-0-quantity"),
        ({"reason": "oops"}, "reason"),
        ({}, "reason"),
        ({"reason": "incorrect_data", "at": "2999-01-01"}, "at"),
    ):
        response = client.post(url, data={"quantities-0-unit": "kg", "at": _today(), **data})
        assert response.status_code == 422, data
        assert _error_beside(response.get_data(as_text=True), field)
    assert batch_svc.current_quantity(batch.id) == Decimal("700")
    assert db.session.scalar(select(func.count(EpcisEvent.id)).where(
        EpcisEvent.declares_error)) == 0


def test_the_receive_form_prefills_a_large_shipment_as_a_number_it_reads_back(
    client, coop
) -> None:
    org, user, area, product = coop
    batch = _harvest(org, user, area, product, "5000")
    buyer_org = make_org("Công ty Cà phê Lâm Đồng", OrgType.DN)
    buyer = make_user("mua@lamdong.vn", buyer_org)
    shipment = events.record_shipping(actor_of(user, org), batch.id,
                                      to_organisation_id=buyer_org.id,
                                      quantity=Decimal("1250"), unit="kg").shipment
    db.session.commit()
    login(client, buyer.email)
    html = client.get(f"/batches/{batch.id}/events/receive").get_data(as_text=True)
    prefilled = re.search(r'id="quantity"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*id="quantity"',
                          html)
    value = prefilled.group(1) or prefilled.group(2)
    assert value == "1250"  # not "1.250", which the form refuses as ambiguous
    response = client.post(f"/batches/{batch.id}/events/receive", data={
        "shipment_id": str(shipment.id), "quantity": value, "unit": "kg", "at": _today()})
    assert response.status_code == 302


def test_a_split_is_corrected_lot_by_lot(client, coop) -> None:
    org, user, area, product = coop
    batch = _harvest(org, user, area, product)
    split = events.record_split(actor_of(user, org), batch.id, parts=[
        {"quantity": Decimal(300), "unit": "kg"}, {"quantity": Decimal(200), "unit": "kg"}])
    db.session.commit()
    first, second = split.created
    login(client, user.email)
    url = f"/batches/{batch.id}/events/{split.events[0].id}/correct"
    html = client.get(url).get_data(as_text=True)
    rows = re.findall(r'<label for="quantities-(\d)-quantity">([^<]*)</label>', html)
    assert [label.split()[-1] for _n, label in rows] == [
        batch.lot_code, first.lot_code, second.lot_code]  # one row per lot the event names

    response = client.post(url, data={
        "reason": "incorrect_data", "at": _today(),
        "quantities-0-quantity": "450", "quantities-0-unit": "kg",
        "quantities-1-quantity": "300", "quantities-1-unit": "kg",
        "quantities-2-quantity": "150", "quantities-2-unit": "kg",
    })
    assert response.status_code == 302
    assert batch_svc.current_quantity(batch.id) == Decimal("550")
    assert batch_svc.current_quantity(first.id) == Decimal("300")
    assert batch_svc.current_quantity(second.id) == Decimal("150")
    part_page = client.get(f"/batches/{second.id}").get_data(as_text=True)
    assert len(_timeline_entries(part_page)) == 2  # the withdrawn split and its correction


def test_a_harvest_that_did_not_happen_leaves_a_withdrawn_lot(client, coop) -> None:
    org, user, area, product = coop
    batch = _harvest(org, user, area, product)
    login(client, user.email)
    response = client.post(f"/batches/{batch.id}/events/{_first_event_pk(org.id)}/correct",
                           data={"reason": "did_not_occur", "at": _today()})
    assert response.status_code == 302
    assert batch_svc.current_quantity(batch.id) == Decimal("0")
    db.session.refresh(batch)
    assert batch.status == BatchStatus.VOID
    html = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert 'data-testid="action-' not in html  # nothing more is recorded on it
    [entry] = _timeline_entries(html)
    assert 'data-testid="corrected-note"' in entry


def test_ids_no_row_can_have_are_not_found(client, coop) -> None:
    org, user, area, product = coop
    batch = _harvest(org, user, area, product)
    login(client, user.email)
    huge = 10**30
    assert client.get(f"/batches/{huge}").status_code == 404
    assert client.get(f"/batches/{huge}/split").status_code == 404
    assert client.get(f"/batches/{batch.id}/events/{huge}/correct").status_code == 404
    response = client.post(f"/batches/{batch.id}/merge", data={
        "unit": "kg", "at": _today(), "others-0-batch_id": str(huge), "others-0-chosen": "y",
        "others-0-unit": "kg"})
    assert response.status_code == 422
    assert _error_beside(response.get_data(as_text=True), "others-0-quantity")


@pytest.mark.parametrize("typed", ["1e400", "99999999999999999999999999", "0,00001"])
def test_numbers_no_lot_can_hold_are_refused_beside_the_field(client, coop, typed) -> None:
    org, user, area, product = coop
    batch = _harvest(org, user, area, product)
    login(client, user.email)
    response = client.post(f"/batches/{batch.id}/split",
                           data=_split_rows({"parts-0-quantity": typed}))
    assert response.status_code == 422
    assert _error_beside(response.get_data(as_text=True), "parts-0-quantity")
    searched = client.get(f"/batches/{batch.id}/merge?q=%00{typed}")
    assert searched.status_code == 200
    assert _count_batches(org.id) == 1


# --------------------------------------------------------------------------- processes


def _transform_form(product_id: int, **values: str) -> dict[str, str]:
    return {"quantity": "500", "unit": "kg", "product_id": str(product_id),
            "out_quantity": "410", "out_unit": "", "at": _today(), **values}


def test_the_processing_form_offers_the_processes_first(client, coop) -> None:
    org, user, area, product = coop
    batch = _harvest(org, user, area, product)
    login(client, user.email)
    html = client.get(f"/batches/{batch.id}/transform?lang=en").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="process_step".*?</select>', html, re.S)
    assert select_html, "no process select"
    options = dict(re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>',
                              select_html.group(0)))
    assert options[""] == "Not stated"
    assert options["roasting"] == "Roasting" and options["drying"] == "Drying"
    assert re.search(r'<option selected value="">|<option value="" selected>',
                     select_html.group(0))
    assert html.index('name="process_step"') < html.index('name="quantity"')


def test_processing_stores_the_process_and_the_history_names_it(client, coop) -> None:
    org, user, area, product = coop
    roasted = make_product(org, name="Cà phê rang")
    batch = _harvest(org, user, area, product)
    login(client, user.email)
    response = client.post(f"/batches/{batch.id}/transform",
                           data=_transform_form(roasted.id, process_step="roasting"))
    assert response.status_code == 302
    made = db.session.scalar(select(Batch).where(Batch.product_id == roasted.id))
    event = db.session.scalar(select(EpcisEvent).order_by(EpcisEvent.id.desc()))
    assert event.document["htx:process"] == "roasting"
    for lot in (made.id, batch.id):
        html = client.get(f"/batches/{lot}?lang=en").get_data(as_text=True)
        [entry] = [e for e in _timeline_entries(html) if "kind-transformation" in e]
        assert "Processing · Roasting" in entry


def test_processing_without_a_process_keeps_the_plain_label(client, coop) -> None:
    org, user, area, product = coop
    roasted = make_product(org, name="Cà phê rang")
    batch = _harvest(org, user, area, product)
    login(client, user.email)
    response = client.post(f"/batches/{batch.id}/transform", data=_transform_form(roasted.id))
    assert response.status_code == 302
    event = db.session.scalar(select(EpcisEvent).order_by(EpcisEvent.id.desc()))
    assert "htx:process" not in event.document
    html = client.get(f"/batches/{batch.id}?lang=en").get_data(as_text=True)
    [entry] = [e for e in _timeline_entries(html) if "kind-transformation" in e]
    assert re.search(r'<strong class="timeline-kind">Processing</strong>', entry)


def test_an_unknown_process_comes_back_beside_the_field_and_writes_nothing(
    client, coop
) -> None:
    org, user, area, product = coop
    roasted = make_product(org, name="Cà phê rang")
    batch = _harvest(org, user, area, product)
    login(client, user.email)
    response = client.post(f"/batches/{batch.id}/transform",
                           data=_transform_form(roasted.id, process_step="baking"))
    assert response.status_code == 422
    assert _error_beside(response.get_data(as_text=True), "process_step")
    assert db.session.scalar(select(func.count(Batch.id)).where(
        Batch.product_id == roasted.id)) == 0
    assert batch_svc.current_quantity(batch.id) == Decimal("1000")
