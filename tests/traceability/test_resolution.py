"""The resolution service: identifier paths → the finest recorded level, walk-up, errors."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from core.db import db
from core.errors import NotFound, ValidationFailed
from tests.traceability.resolution_world import LOT, SERIAL, World, make_world
from traceability.services.resolution import resolve_path, trace_page_path


@pytest.fixture()
def world() -> World:
    return make_world()


def test_a_lot_resolves_to_its_batch_product_and_producer(world: World) -> None:
    found = resolve_path(f"/01/{world.gtin}/10/{LOT}")
    assert found.level == "lot"
    assert found.batch is not None and found.batch.id == world.lot.id
    assert found.product is not None and found.product.id == world.product.id
    assert found.organisation is not None and found.organisation.id == world.coop.org.id
    assert found.key_path == f"01/{world.gtin}/10/{LOT}"
    assert (found.serial, found.unknown_serial, found.unregistered_lot) == (None, None, None)


def test_a_recorded_serial_resolves_to_the_serial_level(world: World) -> None:
    found = resolve_path(f"/01/{world.gtin}/10/{LOT}/21/{SERIAL}")
    assert found.level == "serial" and found.serial == SERIAL
    assert found.batch is not None and found.batch.id == world.lot.id
    assert found.unknown_serial is None


def test_an_unknown_serial_under_a_known_lot_walks_up_to_the_lot(world: World) -> None:
    found = resolve_path(f"/01/{world.gtin}/10/{LOT}/21/NOPE")
    assert found.level == "lot" and found.unknown_serial == "NOPE" and found.serial is None
    assert found.batch is not None and found.batch.id == world.lot.id


def test_an_unknown_lot_under_a_known_gtin_walks_up_to_the_product(world: World) -> None:
    found = resolve_path(f"/01/{world.gtin}/10/FAKE-LOT/21/1")
    assert found.level == "product" and found.batch is None
    assert found.unregistered_lot == "FAKE-LOT"
    assert found.product is not None and found.product.id == world.product.id
    assert found.key_path == f"01/{world.gtin}/10/FAKE-LOT/21/1"


def test_a_gtin_alone_resolves_to_the_product(world: World) -> None:
    found = resolve_path(f"/01/{world.gtin}")
    assert found.level == "product" and found.unregistered_lot is None


def test_a_zero_suppressed_gtin_is_read_as_its_gtin14(world: World) -> None:
    found = resolve_path(f"/01/{world.gtin[1:]}/10/{LOT}")
    assert found.level == "lot" and found.key_path == f"01/{world.gtin}/10/{LOT}"


def test_an_unknown_gtin_is_not_found(world: World) -> None:
    with pytest.raises(NotFound) as caught:
        resolve_path("/01/09506000134352/10/ABC")
    assert "09506000134352" in str(caught.value.detail)


def test_platform_uris_resolve_like_gs1_ones(world: World) -> None:
    found = resolve_path(f"/p/{world.platform_ref}/10/P-01")
    assert found.level == "lot" and found.batch is not None
    assert found.batch.id == world.platform_lot.id
    assert found.key_path == f"p/{world.platform_ref}/10/P-01"
    walked = resolve_path(f"/p/{world.platform_ref}/10/P-99")
    assert walked.level == "product" and walked.unregistered_lot == "P-99"
    with pytest.raises(NotFound):
        resolve_path(f"/p/{world.coop.org.registration_code}.NOSUCH/10/P-01")
    with pytest.raises(NotFound):
        resolve_path("/p/no-dot-here")


def test_a_platform_lot_still_resolves_after_a_change_of_domain(world: World, app) -> None:  # type: ignore[no-untyped-def]
    old = app.config["PUBLIC_BASE_URL"]
    app.config["PUBLIC_BASE_URL"] = "https://new-domain.example.vn"
    try:
        found = resolve_path(f"/p/{world.platform_ref}/10/P-01")
    finally:
        app.config["PUBLIC_BASE_URL"] = old
    assert found.level == "lot" and found.batch is not None
    assert found.batch.id == world.platform_lot.id


def test_a_place_resolves_by_its_gln(world: World) -> None:
    found = resolve_path(f"/414/{world.gln}")
    assert found.level == "place" and found.area is not None and found.area.id == world.area.id
    assert found.organisation is not None and found.organisation.id == world.coop.org.id
    with pytest.raises(NotFound):
        resolve_path("/414/4012345000009")
    extended = resolve_path(f"/414/{world.gln}/254/PLOT-7")
    assert extended.level == "place" and extended.key_path == f"414/{world.gln}/254/PLOT-7"


def test_party_and_sscc_keys_parse_but_are_unknown(world: World) -> None:
    with pytest.raises(NotFound):
        resolve_path("/417/4012345000009")
    with pytest.raises(NotFound):
        resolve_path("/00/106141411234567897")


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/01/08931234500017", "", "01"),  # check digit
        ("/01/08931234500016/21/S1/10/L1", "", "10"),  # 21 before 10
        ("/01/08931234500016/10/A%20B", "", "10"),  # space is not CSET 82
        ("/01/08931234500016/10/" + "L" * 21, "", "10"),  # too long
        ("/01/08931234500016/10/AB%ZZ", "", "uri"),  # bad percent-encoding
        ("/01/08931234500016/10/L1", "10=L2", "10"),  # key qualifier in the query
        ("/01/08931234500016/10/L1", "17=", "17"),  # empty value
        ("/01/08931234500016/10/L1", "99999=1", "uri"),  # unknown all-digit key
        ("/01/08931234500016/10/%00", "", "10"),  # NUL
        ("/01/08931234500016/../../etc/passwd", "", "uri"),  # traversal
    ],
)
def test_syntax_faults_are_validation_errors_naming_the_ai(
    path: str, query: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        resolve_path(path, query)
    assert field in caught.value.field_errors


def test_non_numeric_unknown_parameters_are_ignored(world: World) -> None:
    found = resolve_path(f"/01/{world.gtin}/10/{LOT}", "foo=bar&linkType=gs1:pip&17=261231")
    assert found.level == "lot"
    assert found.link.data_attributes == {"17": "261231"}


def test_a_trailing_slash_is_tolerated(world: World) -> None:
    assert resolve_path(f"/01/{world.gtin}/10/{LOT}/").level == "lot"


def test_percent_encoded_lots_are_decoded_and_key_paths_re_encoded(world: World) -> None:
    from tests.traceability.resolution_world import harvest_lot

    harvest_lot(world.coop, world.area, world.product, "A/B")
    found = resolve_path(f"/01/{world.gtin}/10/A%2FB")
    assert found.level == "lot" and found.batch is not None and found.batch.lot_code == "A/B"
    assert found.key_path == f"01/{world.gtin}/10/A%2FB"


def test_trace_page_path_is_under_trace() -> None:
    assert trace_page_path("01/08931234500016/10/L1") == "/trace/01/08931234500016/10/L1"


def test_a_serial_costs_two_queries_and_no_lazy_loads(world: World) -> None:
    statements: list[str] = []
    db.session.expunge_all()
    engine = db.session.get_bind()

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        found = resolve_path(f"/01/{world.gtin}/10/{LOT}/21/{SERIAL}")
        assert found.level == "serial"
    finally:
        event.remove(engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2, selects
