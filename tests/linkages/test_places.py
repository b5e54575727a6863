"""Places: the shipped snapshot, its loader and the look-ups other modules rely on."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select, update

from core.db import db
from core.errors import NotFound, ValidationFailed
from linkages.models.places import (
    Commune,
    LegacyProvince,
    Province,
    Region,
    RegionMembership,
    RegionScheme,
)
from linkages.services import places

LEGACY_SCHEME = "VN6_2021_2030"
PROVISIONAL_SCHEME = "VN6_2025_PROVISIONAL"


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_snapshot_loads_34_provinces_and_3321_communes():
    assert count(Province) == 34
    assert count(Commune) == 3321
    kinds = dict(
        db.session.execute(select(Commune.kind, func.count()).group_by(Commune.kind)).all()
    )
    assert kinds == {"xã": 2621, "phường": 687, "đặc khu": 13}


def test_every_commune_belongs_to_a_loaded_province():
    orphans = select(func.count()).select_from(Commune).where(
        Commune.province_code.not_in(select(Province.code))
    )
    assert db.session.scalar(orphans) == 0


def test_every_one_of_the_63_legacy_provinces_maps_to_an_existing_2025_province():
    assert count(LegacyProvince) == 63
    targets = set(db.session.scalars(select(LegacyProvince.new_province_code)))
    assert targets == set(db.session.scalars(select(Province.code)))


def test_ha_giang_was_merged_into_tuyen_quang():
    assert places.new_province_code_for_legacy("02") == "08"
    tuyen_quang = places.get_province("08", with_legacy=True)
    assert [lp.short_name for lp in tuyen_quang.legacy_provinces] == ["Hà Giang", "Tuyên Quang"]


def test_unknown_legacy_code_is_not_found():
    with pytest.raises(NotFound):
        places.new_province_code_for_legacy("99")


def test_snapshot_files_are_compact_and_agree_with_their_counts():
    total = 0
    for path in places.SNAPSHOT_DIR.glob("*.json"):
        total += path.stat().st_size
        document = json.loads(path.read_text(encoding="utf-8"))
        assert document["meta"]["count"] == len(document["items"])
    assert total < 400_000


def test_reloading_changes_nothing_and_restores_an_edited_name():
    original = places.get_commune("00004").name
    db.session.execute(update(Commune).where(Commune.code == "00004").values(name="Sửa tay"))
    db.session.execute(update(Province).where(Province.code == "08").values(name_en="X"))

    report = places.load_places()

    assert report["communes"].updated == 1
    assert report["communes"].inserted == 0
    assert report["provinces"].updated == 1
    assert places.get_commune("00004").name == original
    assert places.get_province("08").name_en == "Tuyen Quang Province"
    assert count(Commune) == 3321 and count(Province) == 34

    again = places.load_places()
    assert not again.changed
    assert again["communes"].total == 3321


def test_reloading_restores_a_deleted_row_and_keeps_rows_not_in_the_snapshot():
    db.session.execute(RegionMembership.__table__.delete().where(
        RegionMembership.province_code == "02"
    ))
    db.session.add(Commune(code="99999", name="Xã Thử", kind="xã", province_code="01"))
    db.session.flush()

    report = places.load_places()

    assert report["region_memberships"].inserted == 1
    assert report["communes"].stale == 1
    assert db.session.get(Commune, "99999") is not None
    assert places.region_of("02", LEGACY_SCHEME).code == "TDMNPB"


def test_loader_refreshes_place_objects_already_in_the_session():
    province = places.get_province("01")
    province.short_name = "Tạm"
    db.session.flush()
    places.load_places()
    assert province.short_name == "Hà Nội"


def test_get_province_and_commune_raise_not_found_for_unknown_codes():
    with pytest.raises(NotFound):
        places.get_province("00")
    with pytest.raises(NotFound):
        places.get_commune("00000")


def test_get_commune_loads_its_province():
    commune = places.get_commune(" 00004 ")
    assert commune.name == "Phường Ba Đình"
    assert commune.kind == "phường"
    assert commune.province.short_name == "Hà Nội"


def test_check_address_accepts_a_commune_of_the_given_province():
    assert places.check_address("00004", "01") == ("00004", "01")


def test_check_address_derives_the_province_from_the_commune():
    assert places.check_address("00004") == ("00004", "01")
    assert places.check_address("00004", "") == ("00004", "01")


def test_check_address_allows_no_commune_but_checks_a_given_province():
    assert places.check_address(None, "08") == (None, "08")
    assert places.check_address("", None) == (None, None)
    with pytest.raises(ValidationFailed) as caught:
        places.check_address(None, "03")
    assert set(caught.value.field_errors) == {"province_code"}


def test_check_address_rejects_an_unknown_commune_on_commune_code():
    with pytest.raises(ValidationFailed) as caught:
        places.check_address("00000", "01")
    assert set(caught.value.field_errors) == {"commune_code"}


def test_check_address_rejects_a_commune_of_another_province_on_commune_code():
    with pytest.raises(ValidationFailed) as caught:
        places.check_address("00004", "08")
    assert set(caught.value.field_errors) == {"commune_code"}
    assert "Hà Nội" in caught.value.field_errors["commune_code"][0]


def test_check_address_rejects_an_unknown_province_on_province_code():
    with pytest.raises(ValidationFailed) as caught:
        places.check_address("00004", "03")
    assert set(caught.value.field_errors) == {"province_code"}


def test_check_address_field_names_can_be_nested():
    with pytest.raises(ValidationFailed) as caught:
        places.check_address("00000", field_prefix="address.")
    assert set(caught.value.field_errors) == {"address.commune_code"}


def test_region_of_the_official_scheme_uses_legacy_codes():
    # Bắc Giang (24) was in the northern midlands; Bắc Ninh (27) in the Red River delta.
    assert places.region_of("24", LEGACY_SCHEME, on=date(2024, 6, 1)).code == "TDMNPB"
    assert places.region_of("27", LEGACY_SCHEME, on=date(2024, 6, 1)).code == "DBSH"
    assert places.region_of("80", LEGACY_SCHEME).code == "DBSCL"  # Long An
    assert places.region_of("24", LEGACY_SCHEME, on=date(2020, 12, 31)) is None


def test_region_of_the_provisional_scheme_uses_2025_codes():
    region = places.region_of("24", PROVISIONAL_SCHEME, on=date(2025, 7, 1))
    assert (region.code, region.name) == ("DBSH", "Đồng bằng sông Hồng")
    assert region.name_en == "Red River Delta"
    assert places.region_of("80", PROVISIONAL_SCHEME).code == "DNB"  # new Tây Ninh
    assert places.region_of("24", PROVISIONAL_SCHEME, on=date(2025, 6, 30)) is None


def test_region_of_an_unknown_scheme_is_not_found():
    with pytest.raises(NotFound):
        places.region_of("01", "NO_SUCH_SCHEME")


def test_region_schemes_cover_their_whole_province_set():
    official = places.get_region_scheme(LEGACY_SCHEME)
    assert not official.provisional and official.province_set == "legacy"
    assert "81/2023/QH15" in official.source
    assert [r.code for r in official.regions] == [
        "TDMNPB", "DBSH", "BTB_DHMT", "TN", "DNB", "DBSCL",
    ]
    assert {m.province_code for m in official.memberships} == set(
        db.session.scalars(select(LegacyProvince.code))
    )
    provisional = places.get_region_scheme(PROVISIONAL_SCHEME)
    assert provisional.provisional and provisional.province_set == "2025"
    assert {m.valid_from for m in provisional.memberships} == {date(2025, 7, 1)}
    assert {m.province_code for m in provisional.memberships} == set(
        db.session.scalars(select(Province.code))
    )
    assert count(RegionScheme) == 2 and count(Region) == 12


def test_memberships_on_a_date_group_provinces_by_region_in_sql():
    stmt = places.memberships_on(LEGACY_SCHEME, date(2024, 1, 1)).subquery()
    rows = db.session.execute(
        select(stmt.c.region_code, func.count()).group_by(stmt.c.region_code)
    ).all()
    per_region = {region: n for region, n in rows}
    assert per_region == {
        "TDMNPB": 14, "DBSH": 11, "BTB_DHMT": 14, "TN": 5, "DNB": 6, "DBSCL": 13,
    }


def test_commune_search_ignores_accents_and_case():
    found = db.session.scalars(places.communes_query("01", q="ba dinh")).all()
    assert [c.code for c in found] == ["00004"]
    assert db.session.scalars(places.communes_query("01", q="BA ĐÌNH")).all() == found
    assert db.session.scalars(places.communes_query("08", q="ba dinh")).all() == []


def test_commune_search_treats_like_wildcards_literally():
    assert db.session.scalars(places.communes_query(q="%")).all() == []


def test_commune_list_filters_by_kind():
    special = db.session.scalars(places.communes_query(kinds=["đặc khu"])).all()
    assert len(special) == 13
    assert {c.kind for c in special} == {"đặc khu"}


def test_fold_strips_vietnamese_diacritics():
    assert places.fold("  Đặc khu  Phú Quốc ") == "dac khu phu quoc"
