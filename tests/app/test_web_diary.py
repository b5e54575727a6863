"""The cultivation diary of a production area in the HTML UI: the diary form, the diary on
the area page and the pre-harvest-interval status it leads to."""

from __future__ import annotations

from datetime import timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import func, select

from app.auth.services import create_user
from core.actor import PlatformRole
from core.clock import local_today
from core.db import db
from tests.app.web_support import PASSWORD, coffee_coop, error_beside, login, make_user
from tests.factories import HANOI
from tests.traceability.batch_factories import spray
from traceability.models.areas import DiaryEntry, DiaryKind


@pytest.fixture()
def coop():  # type: ignore[no-untyped-def]
    return coffee_coop()


def _entries(area_id: int) -> int:
    return db.session.scalar(
        select(func.count(DiaryEntry.id)).where(DiaryEntry.area_id == area_id)
    )


def _pesticide(**overrides: str) -> dict[str, str]:
    data = {
        "kind": "pesticide",
        "occurred_on": local_today().isoformat(),
        "input_name": "Regent 800WG",
        "active_ingredient": "Fipronil",
        "phi_days": "7",
        "dose": "1,5",
        "dose_unit": "g/bình",
        "operator": "Hộ Nguyễn Văn Tâm",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_a_pesticide_application_shows_when_the_area_is_safe_to_harvest(client, coop) -> None:
    _org, user, area, _product = coop
    login(client, user.email)
    page = client.get(f"/areas/{area.id}/diary/new")
    assert page.status_code == 200
    assert f'value="{local_today().isoformat()}"' in page.get_data(as_text=True)
    response = client.post(f"/areas/{area.id}/diary/new", data=_pesticide())
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.location == f"/areas/{area.id}"
    safe = local_today() + timedelta(days=7)

    vi = client.get(f"/areas/{area.id}").get_data(as_text=True)
    assert f"An toàn để thu hoạch từ {format_date(safe, locale='vi')}" in vi
    assert "Regent 800WG (Fipronil)" in vi and "1,5 g/bình" in vi
    en = client.get(f"/areas/{area.id}", headers={"Accept-Language": "en"})
    assert f"Safe to harvest from {format_date(safe, locale='en')}" in en.get_data(as_text=True)
    # … and on the list, beside the area.
    listed = client.get("/areas", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"Safe to harvest from {format_date(safe, locale='en')}" in listed


def test_an_area_outside_any_interval_is_safe_to_harvest(client, coop) -> None:
    _org, user, area, _product = coop
    spray(area, local_today() - timedelta(days=10), 7)  # over since three days
    login(client, user.email)
    html = client.get(f"/areas/{area.id}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "No pre-harvest interval is running: safe to harvest." in html
    assert "Safe to harvest from" not in html


@pytest.mark.parametrize(
    ("kind", "input_name"),
    [("planting", ""), ("feeding", "Cám con cò"), ("vaccination", "Vắc-xin lở mồm long móng")],
)
def test_planting_feeding_and_vaccination_are_recorded(client, coop, kind, input_name) -> None:
    _org, user, area, _product = coop
    login(client, user.email)
    data = {"kind": kind, "occurred_on": local_today().isoformat(), "input_name": input_name,
            "notes": "Đợt 1"}
    response = client.post(f"/areas/{area.id}/diary/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    entry = db.session.scalar(select(DiaryEntry).where(DiaryEntry.area_id == area.id))
    assert entry is not None and entry.kind == DiaryKind(kind)
    html = client.get(f"/areas/{area.id}").get_data(as_text=True)
    assert html.count('data-testid="diary-entry"') == 1
    assert "Đợt 1" in html


def test_a_refused_entry_shows_the_reason_beside_the_field_and_writes_nothing(
    client, coop
) -> None:
    _org, user, area, _product = coop
    login(client, user.email)
    no_ingredient = client.post(
        f"/areas/{area.id}/diary/new", data=_pesticide(active_ingredient="")
    )
    assert no_ingredient.status_code == 422
    assert error_beside(no_ingredient.get_data(as_text=True), "active_ingredient")
    bad_days = client.post(f"/areas/{area.id}/diary/new", data=_pesticide(phi_days="bảy"))
    assert bad_days.status_code == 422
    assert error_beside(bad_days.get_data(as_text=True), "phi_days")
    future = (local_today() + timedelta(days=1)).isoformat()
    later = client.post(f"/areas/{area.id}/diary/new", data=_pesticide(occurred_on=future))
    assert later.status_code == 422
    assert error_beside(later.get_data(as_text=True), "occurred_on")
    assert _entries(area.id) == 0


def test_the_diary_is_paginated_newest_first(client, coop) -> None:
    _org, user, area, _product = coop
    for n in range(25):
        spray(area, local_today() - timedelta(days=n + 100), 1)
    login(client, user.email)
    first = client.get(f"/areas/{area.id}").get_data(as_text=True)
    second = client.get(f"/areas/{area.id}?page=2").get_data(as_text=True)
    assert first.count('data-testid="diary-entry"') == 20
    assert second.count('data-testid="diary-entry"') == 5
    newest = format_date(local_today() - timedelta(days=100), locale="vi")
    oldest = format_date(local_today() - timedelta(days=124), locale="vi")
    assert newest in first and oldest in second
    assert f'href="/areas/{area.id}?page=2"' in first


def test_an_authority_reads_the_diary_but_may_not_record(client, coop) -> None:
    _org, _user, area, _product = coop
    spray(area, local_today(), 3)
    create_user("so@hanoi.gov.vn", PASSWORD, platform_role=PlatformRole.AUTHORITY,
                province_code=HANOI)
    db.session.commit()
    login(client, "so@hanoi.gov.vn")
    html = client.get(f"/areas/{area.id}").get_data(as_text=True)
    assert 'data-testid="diary-entry"' in html
    assert 'data-testid="new-diary-entry"' not in html
    assert client.get(f"/areas/{area.id}/diary/new").status_code == 403
    refused = client.post(f"/areas/{area.id}/diary/new", data=_pesticide())
    assert refused.status_code == 403
    assert _entries(area.id) == 1


def _record_then_open_area(client, area) -> DiaryEntry:  # type: ignore[no-untyped-def]
    assert client.post(f"/areas/{area.id}/diary/new", data=_pesticide()).status_code == 302
    return db.session.scalars(select(DiaryEntry).where(DiaryEntry.area_id == area.id)).one()


def test_the_author_corrects_an_entry_on_the_day_it_was_recorded(client, coop) -> None:
    _org, user, area, _product = coop
    login(client, user.email)
    entry = _record_then_open_area(client, area)
    html = client.get(f"/areas/{area.id}").get_data(as_text=True)
    link = f'href="/areas/{area.id}/diary/{entry.id}/correct"'
    assert link in html
    form = client.get(f"/areas/{area.id}/diary/{entry.id}/correct",
                      headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Correct a diary entry" in form
    assert 'value="Regent 800WG"' in form and 'value="7"' in form and 'value="1.5"' in form
    fixed = client.post(f"/areas/{area.id}/diary/{entry.id}/correct",
                        data=_pesticide(phi_days="14"))
    assert fixed.status_code == 302, fixed.get_data(as_text=True)
    db.session.expire_all()
    assert _entries(area.id) == 1
    assert db.session.get(DiaryEntry, entry.id).phi_days == 14
    safe = format_date(local_today() + timedelta(days=14), locale="vi")
    assert f"An toàn để thu hoạch từ {safe}" in client.get(f"/areas/{area.id}").get_data(
        as_text=True
    )


def test_a_correction_is_validated_like_a_new_entry(client, coop) -> None:
    _org, user, area, _product = coop
    login(client, user.email)
    entry = _record_then_open_area(client, area)
    refused = client.post(f"/areas/{area.id}/diary/{entry.id}/correct",
                          data=_pesticide(active_ingredient=""))
    assert refused.status_code == 422
    assert error_beside(refused.get_data(as_text=True), "active_ingredient")
    db.session.expire_all()
    assert db.session.get(DiaryEntry, entry.id).active_ingredient == "Fipronil"


def test_after_its_day_an_entry_is_kept_as_recorded(client, coop) -> None:
    _org, user, area, _product = coop
    login(client, user.email)
    entry = _record_then_open_area(client, area)
    entry.created_at = entry.created_at - timedelta(days=2)
    db.session.commit()
    html = client.get(f"/areas/{area.id}").get_data(as_text=True)
    assert 'data-testid="correct-diary-entry"' not in html
    refused = client.post(f"/areas/{area.id}/diary/{entry.id}/correct",
                          data=_pesticide(phi_days="14"), headers={"Accept-Language": "en"})
    assert refused.status_code == 409
    assert "record a new entry that corrects this one" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(DiaryEntry, entry.id).phi_days == 7


def test_a_colleague_who_is_not_the_author_may_not_correct(client, coop) -> None:
    org, user, area, _product = coop
    login(client, user.email)
    entry = _record_then_open_area(client, area)
    client.post("/logout")
    colleague = make_user("binh@caudat.vn", org)
    login(client, colleague.email)
    html = client.get(f"/areas/{area.id}").get_data(as_text=True)
    assert 'data-testid="diary-entry"' in html
    assert 'data-testid="correct-diary-entry"' not in html
    refused = client.post(f"/areas/{area.id}/diary/{entry.id}/correct",
                          data=_pesticide(phi_days="14"))
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(DiaryEntry, entry.id).phi_days == 7
