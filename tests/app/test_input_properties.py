"""Property tests of the input boundary: whatever JSON value a client puts in any field of a
create request, the API answers 2xx or 4xx, never 5xx, and a refused request writes nothing.

Each case starts from a body the endpoint accepts and replaces one of its fields (top-level
or nested) with an arbitrary JSON value: nulls, booleans, integers far outside any column's
range, floats, strings with NUL bytes, non-ASCII digits, calendar-edge dates, and lists and
objects nested up to a few hundred levels. Generation is derandomised (the same cases on
every run) and bounded per endpoint.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.app.fuzz_support import ApiWorld, build_world, problem_shape_errors, row_counts
from tests.app.test_areas_api import _spray as spray_body

MAX_EXAMPLES = 100

# Values that have broken input boundaries before: column ranges, NULs, digits that are not
# ASCII, dates at the ends of the calendar, numbers as text that round or overflow.
EDGE_INTEGERS = [0, -1, 2**31, -(2**31) - 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30]
EDGE_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "²",
    "٣",
    "１２",
    "0001-01-01",
    "9999-12-31",
    "0000-00-00",
    "2026-02-30",
    "0.00001",
    "1e400",
    "-0",
    "NaN",
    "Infinity",
    "9" * 40,
    "🙂",
    "x" * 6000,
]

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(EDGE_INTEGERS),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),  # no lone surrogates: JSON text cannot carry them
    st.sampled_from(EDGE_STRINGS),
    # Plausible values too, so that cases get past the schema into the services.
    st.integers(min_value=-2, max_value=5000),
    st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=30),
    st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str),
    st.dates().map(date.isoformat),
)


def _nested(depth: int) -> Any:
    value: Any = 1
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


# Scalars on their own too: values nested in containers are mostly refused by type alone.
json_values = st.one_of(
    json_scalars,
    st.recursive(
        json_scalars,
        lambda inner: st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=12,
    ),
    st.integers(min_value=2, max_value=300).map(_nested),
)


Path = tuple[str | int, ...]


def field_paths(body: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every field of a JSON body, nested ones included, as a path of keys and indexes."""
    items: Any = body.items() if isinstance(body, dict) else enumerate(body)
    for key, value in items:
        yield (*prefix, key)
        if isinstance(value, dict | list) and value:
            yield from field_paths(value, (*prefix, key))


def replaced(body: Any, path: Path, value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(body, dict):
        return {**body, head: replaced(body[head], rest, value)}
    copy = list(body)
    copy[head] = replaced(copy[head], rest, value)  # type: ignore[index]
    return copy


@dataclass(frozen=True)
class Create:
    name: str
    url: Callable[[ApiWorld], str]
    # A body the endpoint accepts; ``n`` keeps codes and numbers unique between cases.
    body: Callable[[ApiWorld, int], dict[str, Any]]


CREATES = [
    Create(
        "product",
        lambda w: "/api/products",
        lambda w, n: {"code": f"SP{n}", "name": "Cà phê nhân", "commodity": "coffee"},
    ),
    Create(
        "area",
        lambda w: "/api/areas",
        lambda w, n: {"code": f"LO-{n}", "name": "Cánh đồng A3", "kind": "plot",
                      "area_ha": "1.25"},
    ),
    Create("diary entry", lambda w: f"/api/areas/{w.area_id}/diary", lambda w, n: spray_body()),
    Create(
        "harvest",
        lambda w: "/api/batches",
        lambda w, n: {
            "area_ids": [w.area_id],
            "product_id": w.product_id,
            "quantity": "1000",
            "unit": "kg",
            "harvested_on": "2026-03-01",
            "contributions": [{"member_id": w.member_id, "quantity": "300", "unit": "kg"}],
        },
    ),
    Create(
        "member",
        lambda w: f"/api/organisations/{w.coop.org.id}/members",
        lambda w, n: {"member_type": "official", "member_kind": "household",
                      "display_name": f"Hộ Nguyễn Văn {n}", "household_size": 4},
    ),
    Create(
        "certification",
        lambda w: f"/api/organisations/{w.coop.org.id}/certifications",
        lambda w, n: {"scheme": "vietgap", "number": f"VG-{n}", "issuer": "Trung tâm",
                      "issued_on": "2024-05-10", "expires_on": "2027-05-09"},
    ),
    Create(
        "token", lambda w: "/api/me/tokens", lambda w, n: {"name": f"token {n}"}
    ),
    Create(
        "shipment",
        lambda w: f"/api/batches/{w.batch_id}/events/shipping",
        lambda w, n: {"to_organisation_id": w.buyer.org.id, "quantity": "1", "unit": "kg",
                      "purchase_order": f"PO-{n}"},
    ),
    Create(
        "split",
        lambda w: f"/api/batches/{w.batch_id}/events/split",
        lambda w, n: {"parts": [{"quantity": "1", "unit": "kg"}]},
    ),
]


@pytest.mark.parametrize("create", CREATES, ids=[c.name for c in CREATES])
def test_a_valid_body_is_created(app: Flask, create: Create) -> None:
    """The starting point of the property below is a body the endpoint accepts."""
    client = app.test_client()
    world = build_world(client)
    response = client.post(create.url(world), json=create.body(world, 1), headers=world.headers)
    assert response.status_code == 201, response.get_data(as_text=True)


@pytest.mark.parametrize("create", CREATES, ids=[c.name for c in CREATES])
def test_any_json_value_in_any_field_gives_2xx_or_4xx_and_a_refusal_writes_nothing(
    app: Flask, create: Create
) -> None:
    client = app.test_client()
    world = build_world(client)
    serial = itertools.count(2)
    paths = sorted(field_paths(create.body(world, 0)), key=repr)

    @given(path=st.sampled_from(paths), value=json_values)
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        # The seeded world is shared by the cases on purpose (one transaction per test).
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def one_field_replaced(path: Path, value: Any) -> None:
        body = replaced(create.body(world, next(serial)), path, value)
        before = row_counts()
        response = client.post(create.url(world), json=body, headers=world.headers)
        status = response.status_code
        answer = response.get_data(as_text=True)[:500]
        assert status < 500, f"{path} = {value!r:.200} → {status} {answer}"
        assert 200 <= status < 500, f"{path} = {value!r:.200} → {status} {answer}"
        if status >= 400:
            assert row_counts() == before, f"{path} = {value!r:.200} → {status}, rows written"
            wrong = problem_shape_errors(status, response.content_type, response.get_json())
            assert not wrong, wrong

    one_field_replaced()
