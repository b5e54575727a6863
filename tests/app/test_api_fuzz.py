"""Schema-driven fuzzing: every operation of /api/openapi.json, as published, against the app.

Schemathesis generates valid and invalid requests from the app's own OpenAPI document and
fails on any 5xx, any response whose status, media type, headers or body the document does
not describe, and any error that is not an RFC 9457 problem+json. It runs inside the test's
rolled-back transaction (tests/conftest.py), as an org admin of a seeded cooperative whose
records (tests/app/fuzz_support.py) the cases name in their paths: every boundary case,
except in the path parameter it probes, and some of the generated ones; the valid boundary
bodies name them in their id fields too. So valid and boundary bodies reach the services
rather than stopping at a 404.

It is bounded, being about a third of ``make test``'s CPU on SQLite and PostgreSQL:
derandomised generation from a fixed seed (the same requests on every run and machine of the
same code: Hypothesis also draws from the literals of the app's own modules, so an edit there
may change them), the schema's boundary cases plus at most ``MAX_EXAMPLES`` generated cases
per operation, no stateful phase. The operations are dealt round-robin into ``SHARDS``
tests, so that pytest-xdist spreads the fuzzing (about 11,400 requests, a minute of CPU on
a 2-core machine) over its workers; together the shards cover every operation, each in a
subtest of its own.

Where that minute goes: the app answering (about half; resolving the bearer token took a
fifth of the whole until it became one statement), Hypothesis and schemathesis generating
the cases (about a quarter), schemathesis sending and checking them, and building the world
and the schema per shard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import strategies as st
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.core.failures import Failure
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.hypothesis.builder import (
    HypothesisTestConfig,
    HypothesisTestMode,
    create_test,
)
from schemathesis.generation.meta import TestPhase
from schemathesis.generation.modes import GenerationMode
from schemathesis.hooks import HookContext
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.app.fuzz_support import ApiWorld, build_world, problem_shape_errors

SEED = 2026
# Generated cases per operation, on top of the coverage phase's boundary cases (about 75 per
# operation, every scenario of every parameter). Hypothesis spends more CPU drawing these
# than the app spends answering them: with 100 operations, 25 cases cost 23 s of CPU and 10
# cost 9 s, against 19 s for the whole coverage phase. Ten is still positive and negative
# cases for every operation, and the same ten on every run (fixed seed).
MAX_EXAMPLES = 10
# Three or four seconds of CPU each: fine enough for two workers to finish together.
SHARDS = 8


def errors_are_problems(ctx: CheckContext, response: Any, case: schemathesis.Case) -> None:
    if response.status_code < 400:
        return
    content_type = (response.headers.get("content-type") or [None])[0]
    try:
        body = response.json()
    except Exception:  # not JSON at all: reported as such below
        body = None
    wrong = problem_shape_errors(response.status_code, content_type, body)
    if wrong:
        raise Failure(
            operation=case.operation.label,
            title="Error response is not an application/problem+json problem",
            message="\n".join(wrong),
        )


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    errors_are_problems,
]


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "deterministic": True,
                "max-examples": MAX_EXAMPLES,
                "database": "none",
                # The token is sent on every call; random Authorization values would only
                # test that unknown tokens act as anonymous.
                "with-security-parameters": False,
            },
        }
    )


def operation_test(operation: Any, check: Callable[[schemathesis.Case], None]) -> Any:
    """The Hypothesis test of one operation, as ``schemathesis.pytest`` builds it: every
    boundary case the schema defines (coverage), then ``MAX_EXAMPLES`` generated ones, valid
    and invalid (fuzzing). Built here because ``@schema.parametrize()`` of schemathesis
    4.32 does not run under pytest 9.2 (it reads ``request.node._nodeid``, now gone)."""
    config = operation.schema.config
    return create_test(
        operation=operation,
        test_func=check,
        config=HypothesisTestConfig(
            project=config,
            modes=[HypothesisTestMode.COVERAGE, HypothesisTestMode.FUZZING],
            settings=config.get_hypothesis_settings(operation=operation, phase="fuzzing"),
            seed=config.seed,
        ),
    )


@pytest.fixture()
def api_world(app: Flask) -> ApiWorld:
    # Built again for each shard (a third of a second, mostly publishing figures), in the
    # shard's own rolled-back transaction. Built once per module, it would save 2 s of CPU
    # but make the shards one xdist group (tests/xdist_groups.py): all on one worker.
    return build_world(app.test_client())


@pytest.fixture()
def api_schema(app: Flask, api_world: ApiWorld) -> schemathesis.BaseSchema:
    # Loaded again for each shard too (a few hundredths of a second): a schema remembers
    # which (path, unlisted method) pairs its coverage phase has probed, and probes each
    # once; shared by the shards, it would skip the probes of a path whose operations are in
    # several shards after the first, and so send other requests.
    loaded = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=_config())

    @loaded.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
        if not path_parameters:
            return st.just(path_parameters)
        # Generated ids rarely exist: also try the seeded records, to reach past the 404s.
        return st.fixed_dictionaries(
            {
                name: st.sampled_from([value, *api_world.path_values.get(name, [])])
                for name, value in path_parameters.items()
            }
        )

    @loaded.hook
    def map_case(context: HookContext, case: schemathesis.Case) -> schemathesis.Case:
        # The coverage phase's cases are built from the schema alone, not drawn through the
        # strategies ``flatmap_path_parameters`` shapes: they name record 0 (or 1, or the
        # largest id), so the body cases of an operation with path parameters, valid ones
        # included, would all end in its 404 and never reach the service.
        return with_body_records(with_world_path_values(case, api_world), api_world)

    @loaded.hook
    def filter_case(context: HookContext, case: schemathesis.Case) -> bool:
        # The coverage phase's near-boundary token id is 1: on SQLite, the acting admin's own
        # token. Revoked, it left every later request of its shard a 401 (1,400 of them).
        return not revokes_acting_token(case, api_world)

    return loaded


def revokes_acting_token(case: schemathesis.Case, world: ApiWorld) -> bool:
    if case.method.upper() != "DELETE" or case.operation.path != "/api/me/tokens/{token_id}":
        return False
    named = str((case.path_parameters or {}).get("token_id", ""))
    # As the URL converter reads it: "0001" names token 1 too.
    return named.isascii() and named.isdigit() and int(named) in world.acting_token_ids


def with_world_path_values(case: schemathesis.Case, world: ApiWorld) -> schemathesis.Case:
    """A coverage-phase case naming the world's records in its path, except the parameter
    that the case's scenario is about (an invalid or boundary id: the point of the case)."""
    meta = case.meta
    if meta is None or meta.phase.name != TestPhase.COVERAGE or not case.path_parameters:
        return case
    data = meta.phase.data
    subject = data.parameter if data.parameter_location == ParameterLocation.PATH else None
    replaced = dict(case.path_parameters)
    for name in replaced:
        value = world.path_value(case.operation.path, name)
        if name != subject and value is not None:
            replaced[name] = value
    # Assigned, not edited in place: schemathesis then re-validates the path against the
    # schema, so a case stays negative only for what is still invalid in it.
    case.path_parameters = replaced
    return case


def with_body_records(case: schemathesis.Case, world: ApiWorld) -> schemathesis.Case:
    """A valid coverage-phase body naming the world's records (``ApiWorld.body_values``)
    in its id fields, at any depth, where it has a value of the same shape: built from the
    schema alone, its ids name nothing, so it stopped at the service's first look-up. An
    invalid body is left as it is: its point is the value it was given."""
    meta = case.meta
    if (meta is None or meta.phase.name != TestPhase.COVERAGE
            or meta.generation.mode != GenerationMode.POSITIVE
            or not isinstance(case.body, dict | list)):
        return case
    case.body = _named_records(case.body, world.body_values)
    return case


def _named_records(value: Any, records: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_named_records(item, records) for item in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        record = records.get(key)
        if record is not None and _same_shape(item, record):
            out[key] = record
        else:
            out[key] = _named_records(item, records)
    return out


def _same_shape(value: Any, record: Any) -> bool:
    """An int id for an int id (not a bool), a non-empty list of them for a list."""
    def an_id(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    if isinstance(record, list):
        return isinstance(value, list) and bool(value) and all(an_id(v) for v in value)
    return an_id(value)


@pytest.mark.parametrize("shard", range(SHARDS), ids=lambda shard: f"shard {shard + 1} of {SHARDS}")
def test_every_operation_answers_as_its_published_contract_says(
    app: Flask,
    api_world: ApiWorld,
    api_schema: schemathesis.BaseSchema,
    subtests: Any,
    shard: int,
) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 60  # every operation of the document, not a filtered few
    # A path parameter the world names no record for would send every case of its
    # operations to the 404 (a new one needs a record in fuzz_support.build_world).
    named = {parameter.name for op in operations for parameter in op.path_parameters}
    unnamed = named - api_world.path_values.keys()
    assert not unnamed, f"no seeded record for path parameters {sorted(unnamed)}"
    # Operation i goes to shard i % SHARDS: the shards partition the document's operations,
    # and neighbours (often the costly writes of one resource) go to different shards.
    mine = operations[shard::SHARDS]
    assert mine
    client = app.test_client()

    def call_and_check(case: schemathesis.Case) -> None:
        response = case.call(session=client, headers=api_world.headers)
        case.validate_response(response, checks=CHECKS)

    for operation in mine:
        with subtests.test(msg=operation.label):
            operation_test(operation, call_and_check)()
