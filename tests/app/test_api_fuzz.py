"""Schema-driven fuzzing: every operation of /api/openapi.json, as published, against the app.

Schemathesis generates valid and invalid requests from the app's own OpenAPI document and
fails on any 5xx, any response whose status, media type, headers or body the document does
not describe, and any error that is not an RFC 9457 problem+json. It runs inside the test's
rolled-back transaction (tests/conftest.py), as an org admin of a seeded cooperative.

It is bounded so that ``make test`` stays within a minute on SQLite and PostgreSQL:
derandomised generation from a fixed seed (the same requests on every run and machine of the
same code: Hypothesis also draws from the literals of the app's own modules, so an edit there
may change them), the schema's boundary cases plus at most ``MAX_EXAMPLES`` generated cases
per operation, no stateful phase. The operations are dealt round-robin into ``SHARDS``
tests, so that pytest-xdist spreads the fuzzing (about 11,000 requests, a minute of CPU)
over its workers; together the shards cover every operation, each in a subtest of its own.

Where that minute goes: the app answering (half of it; resolving the bearer token alone a
fifth), Hypothesis and schemathesis generating the cases (a quarter), schemathesis sending
and checking them, and building the world and the schema per shard.
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
from schemathesis.generation.hypothesis.builder import (
    HypothesisTestConfig,
    HypothesisTestMode,
    create_test,
)
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

    return loaded


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
