"""A harvest pooled from several member households through the HTML form: a row per
household (member, quantity, unit, area), "Add a row" without JavaScript, the lot's total
added up when left empty, messages beside the row's field, and the member's statement."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from app.web.batches import CONTRIBUTION_ROWS, MAX_CONTRIBUTION_ROWS
from core.clock import local_today
from core.db import db
from core.errors import ValidationFailed
from tests.app.test_web_batches import _harvest_form
from tests.app.web_support import coffee_coop, error_beside, login
from tests.factories import actor_of
from tests.traceability.batch_factories import make_area, make_member
from traceability.models.batches import Batch, BatchContribution
from traceability.services import recording as events


@pytest.fixture()
def coop():  # type: ignore[no-untyped-def]
    return coffee_coop()


@pytest.fixture()
def households(coop):  # type: ignore[no-untyped-def]
    org = coop[0]
    return [make_member(org, name) for name in ("Hộ Lê Văn Ba", "Hộ Phạm Thị Tư", "Hộ Y Bhiơr")]


def _form(area: Any, product: Any, rows: list[dict[str, str]], **fields: str) -> dict[str, str]:
    """The harvest form as a browser posts it: every row shown, empty or not."""
    data = _harvest_form(area, product, quantity="", member_id="0")
    shown = max(len(rows), CONTRIBUTION_ROWS)
    for n in range(shown):
        row = rows[n] if n < len(rows) else {}
        for name, blank in (("member_id", "0"), ("quantity", ""), ("unit", ""), ("area_id", "0")):
            data[f"contributions-{n}-{name}"] = row.get(name, blank)
    data.update(fields)
    return data


def _row(member: Any, quantity: str, area: Any = None, unit: str = "") -> dict[str, str]:
    return {
        "member_id": str(member.id),
        "quantity": quantity,
        "unit": unit,
        "area_id": str(area.id) if area else "0",
    }


def _batches(org_id: int) -> list[Batch]:
    return list(db.session.scalars(select(Batch).where(Batch.organisation_id == org_id)))


def _contributions(batch: Batch) -> dict[int, tuple[Decimal, int | None]]:
    rows = db.session.scalars(
        select(BatchContribution).where(BatchContribution.batch_id == batch.id)
    )
    return {c.member_id: (c.quantity_kg, c.area_id) for c in rows}


def _value(html: str, name: str) -> str | None:
    found = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', html)
    return found.group(1) if found else None


def _selected(html: str, name: str) -> str | None:
    select_html = re.search(rf'<select[^>]*name="{re.escape(name)}".*?</select>', html, re.S)
    assert select_html, f"no select {name}"
    found = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected',
                      select_html.group(0))
    return next((g for g in found.groups() if g), None) if found else None


def test_a_harvest_pooled_from_three_households_records_each_and_adds_up_the_total(
    client, coop, households
) -> None:
    org, user, area, product = coop
    second_area = make_area(org, code="LO2")
    ba, tu, bhior = households
    login(client, user.email)
    page = client.get("/batches/harvest").get_data(as_text=True)
    assert page.count('data-testid="contribution-row"') == CONTRIBUTION_ROWS

    response = client.post("/batches/harvest", data=_form(area, product, [
        _row(ba, "120", area),
        _row(tu, "80,5", second_area),
        _row(bhior, "1", unit="ta"),  # 1 tạ = 100 kg
    ]))

    assert response.status_code == 302, response.get_data(as_text=True)
    [batch] = _batches(org.id)
    assert batch.quantity_kg == Decimal("300.5")  # the total was left empty: the sum
    assert {a.area_id for a in batch.areas} == {area.id, second_area.id}
    assert _contributions(batch) == {
        ba.id: (Decimal("120"), area.id),
        tu.id: (Decimal("80.5"), second_area.id),
        bhior.id: (Decimal("100"), None),
    }
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert all(h.display_name in html for h in households)


@pytest.mark.parametrize("total", ["200", "150"])
def test_a_total_given_beside_the_rows_is_kept_when_the_rows_fit_in_it(
    client, coop, households, total
) -> None:
    org, user, area, product = coop
    login(client, user.email)
    response = client.post("/batches/harvest", data=_form(
        area, product, [_row(households[0], "100"), _row(households[1], "50")], quantity=total
    ))
    assert response.status_code == 302
    [batch] = _batches(org.id)
    assert batch.quantity_kg == Decimal(total)
    assert len(_contributions(batch)) == 2


def test_rows_adding_up_to_more_than_the_total_say_so_beside_the_total(
    client, coop, households
) -> None:
    org, user, area, product = coop
    login(client, user.email)
    response = client.post("/batches/harvest", data=_form(
        area, product, [_row(households[0], "100"), _row(households[1], "50")], quantity="140"
    ))
    assert response.status_code == 422
    assert "150" in error_beside(response.get_data(as_text=True), "quantity")
    assert _batches(org.id) == []


def test_add_a_row_shows_one_more_row_keeping_what_was_typed(client, coop, households) -> None:
    org, user, area, product = coop
    ba, tu, bhior = households
    login(client, user.email)
    typed = _form(area, product, [_row(ba, "12,5", area), _row(tu, "7")], grade="A")
    response = client.post("/batches/harvest", data={**typed, "add_row": "Thêm dòng"})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('data-testid="contribution-row"') == CONTRIBUTION_ROWS + 1
    assert _selected(html, "contributions-0-member_id") == str(ba.id)
    assert _selected(html, "contributions-0-area_id") == str(area.id)
    assert _value(html, "contributions-0-quantity") == "12,5"
    assert _selected(html, "contributions-1-member_id") == str(tu.id)
    assert _value(html, "contributions-1-quantity") == "7"
    assert _value(html, "grade") == "A"
    assert 'name="contributions-3-member_id"' in html
    assert 'class="field-error"' not in html  # nothing was checked yet
    assert _batches(org.id) == []

    # The fourth row, once filled, is recorded like the others.
    filled = _form(area, product, [_row(ba, "12,5"), _row(tu, "7"), {}, _row(bhior, "3")])
    assert client.post("/batches/harvest", data=filled).status_code == 302
    [batch] = _batches(org.id)
    assert batch.quantity_kg == Decimal("22.5")
    assert set(_contributions(batch)) == {ba.id, tu.id, bhior.id}


def test_add_a_row_stops_at_the_cap(client, coop, households) -> None:
    _org, user, area, product = coop
    login(client, user.email)
    full = _form(area, product, [{}] * MAX_CONTRIBUTION_ROWS)
    html = client.post("/batches/harvest", data={**full, "add_row": "1"}).get_data(as_text=True)
    assert html.count('data-testid="contribution-row"') == MAX_CONTRIBUTION_ROWS
    assert 'name="add_row"' not in html


def test_empty_rows_are_ignored(client, coop, households) -> None:
    org, user, area, product = coop
    login(client, user.email)
    response = client.post("/batches/harvest", data=_form(
        area, product, [{}, _row(households[1], "40"), {}, {}]
    ))
    assert response.status_code == 302
    [batch] = _batches(org.id)
    assert batch.quantity_kg == Decimal("40")
    assert _contributions(batch) == {households[1].id: (Decimal("40"), None)}


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"quantity": "abc"}, "quantity", "120"),  # "Enter a number, e.g. 120 or 12,5."
        ({"quantity": ""}, "quantity", ""),  # a member without a quantity
        ({"member_id": "0"}, "member_id", ""),  # a quantity without a member
    ],
)
def test_a_bad_row_shows_its_message_beside_that_rows_field_and_writes_nothing(
    client, coop, households, row, field, message
) -> None:
    org, user, area, product = coop
    login(client, user.email)
    bad = {**_row(households[2], "5"), **row}
    response = client.post("/batches/harvest", data=_form(
        area, product, [_row(households[0], "10"), {}, bad]
    ))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in error_beside(html, f"contributions-2-{field}")
    assert 'id="contributions-0-quantity-error"' not in html
    assert _value(html, "contributions-0-quantity") == "10"
    assert _batches(org.id) == []
    assert db.session.scalar(select(func.count(BatchContribution.id))) == 0


def test_the_services_refusal_of_a_row_lands_beside_that_row(client, coop, households) -> None:
    """A member who left is refused by the service: its message goes to the row it was
    typed in, though the service numbers only the filled rows."""
    org, user, area, product = coop
    gone = households[1]
    login(client, user.email)
    data = _form(area, product, [{}, _row(households[0], "10"), {}, _row(gone, "5")])
    gone.left_on = local_today()
    db.session.commit()
    response = client.post("/batches/harvest", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert error_beside(html, "contributions-3-member_id")
    assert _batches(org.id) == []


def test_no_total_and_no_rows_asks_for_the_quantity(client, coop, households) -> None:
    org, user, area, product = coop
    login(client, user.email)
    response = client.post("/batches/harvest", data=_form(area, product, []))
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), "quantity")
    assert _batches(org.id) == []


def test_the_member_statement_sums_each_households_share(client, coop, households) -> None:
    org, user, area, product = coop
    ba, tu, _bhior = households
    login(client, user.email)
    for rows in ([_row(ba, "120"), _row(tu, "80")], [_row(tu, "30,5"), _row(ba, "15")]):
        assert client.post("/batches/harvest", data=_form(area, product, rows)).status_code == 302
    lots = {b.lot_code for b in _batches(org.id)}
    assert len(lots) == 2

    for member, total in ((ba, "135"), (tu, "110,5")):
        html = client.get(f"/members/{member.id}/statement").get_data(as_text=True)
        found = re.search(r'data-testid="statement-total">([^<]*)<', html)
        assert found and found.group(1) == total
        assert all(lot in html for lot in lots)


def test_the_service_adds_up_a_pooled_lot_in_its_own_unit_never_below_the_deliveries(
    coop, households
) -> None:
    org, user, area, product = coop
    actor = actor_of(user, org)
    batch = events.record_harvest(
        actor, area_ids=[area.id], product_id=product.id, quantity=None, unit="ta",
        harvested_on=local_today(),
        contributions=[
            {"member_id": households[0].id, "quantity": Decimal("33.33333"), "unit": "kg"},
            {"member_id": households[1].id, "quantity": Decimal("0.5"), "unit": "ta"},
        ],
    )
    assert batch.quantity == Decimal("0.8334")  # 83.33333 kg, rounded up to 0.0001 tạ
    assert batch.quantity_kg >= Decimal("83.3333")
    with pytest.raises(ValidationFailed) as refused:
        events.record_harvest(
            actor, area_ids=[area.id], product_id=product.id, quantity=None, unit="kg",
            harvested_on=local_today(),
        )
    assert set(refused.value.field_errors) == {"quantity"}
