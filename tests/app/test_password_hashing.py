"""Password hashing parameters (``PASSWORD_HASH_*``, app/config.py): argon2-cffi's defaults
unless set, argon2's minimum under ``HTX_ENV=testing`` (the suite signs in thousands of
times), never weaker than OWASP's floor in production. A hash records its parameters, so a
hash made with others still verifies, and is replaced at the next sign-in."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from flask import Flask

from app.auth import services as accounts
from app.config import (
    PASSWORD_HASH_DEFAULTS,
    ConfigError,
    check,
    from_environment,
    password_hash_parameters,
)

SETTINGS = ("PASSWORD_HASH_TIME_COST", "PASSWORD_HASH_MEMORY_COST", "PASSWORD_HASH_PARALLELISM")
_PRODUCTION = {
    "ENV_NAME": "production",
    "SECRET_KEY": "a-real-secret",
    "PERSON_ID_HASH_KEY": "k",
    "SESSION_COOKIE_SECURE": True,
}


def test_argon2_defaults_everywhere_but_under_testing():
    default = PasswordHasher()
    assert (default.time_cost, default.memory_cost, default.parallelism) == PASSWORD_HASH_DEFAULTS
    assert password_hash_parameters({}) == PASSWORD_HASH_DEFAULTS
    assert password_hash_parameters({"ENV_NAME": "production"}) == PASSWORD_HASH_DEFAULTS
    assert password_hash_parameters({"ENV_NAME": "development"}) == PASSWORD_HASH_DEFAULTS
    assert password_hash_parameters({"ENV_NAME": "testing"}) == (1, 8, 1)
    # Each setting overrides its default, whatever the environment.
    given = {"ENV_NAME": "testing", "PASSWORD_HASH_MEMORY_COST": 19456}
    assert password_hash_parameters(given) == (1, 19456, 1)
    given = {"PASSWORD_HASH_TIME_COST": 2, "PASSWORD_HASH_MEMORY_COST": None}
    assert password_hash_parameters(given) == (2, *PASSWORD_HASH_DEFAULTS[1:])


def test_the_settings_are_read_from_the_environment(tmp_path, monkeypatch):
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    assert [from_environment(str(tmp_path))[name] for name in SETTINGS] == [None] * 3
    monkeypatch.setenv("PASSWORD_HASH_TIME_COST", "2")
    monkeypatch.setenv("PASSWORD_HASH_MEMORY_COST", "19456")
    monkeypatch.setenv("PASSWORD_HASH_PARALLELISM", "1")
    assert [from_environment(str(tmp_path))[name] for name in SETTINGS] == [2, 19456, 1]


def test_production_refuses_parameters_weaker_than_owasp_recommends():
    check(_PRODUCTION)  # argon2-cffi's defaults
    check({**_PRODUCTION, "PASSWORD_HASH_TIME_COST": 2, "PASSWORD_HASH_MEMORY_COST": 19456})
    with pytest.raises(ConfigError, match="PASSWORD_HASH"):
        check({**_PRODUCTION, "PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_COST": 8})
    # What argon2 cannot do at all is refused everywhere.
    with pytest.raises(ConfigError, match="PASSWORD_HASH"):
        check({"ENV_NAME": "development", "PASSWORD_HASH_PARALLELISM": 0})
    with pytest.raises(ConfigError, match="PASSWORD_HASH"):
        check({"ENV_NAME": "testing", "PASSWORD_HASH_MEMORY_COST": 4})


def test_new_hashes_use_the_configured_parameters(app: Flask, monkeypatch):
    assert "$m=8,t=1,p=1$" in accounts.hash_password("mat-khau-du-dai")
    monkeypatch.setitem(app.config, "PASSWORD_HASH_TIME_COST", 2)
    monkeypatch.setitem(app.config, "PASSWORD_HASH_MEMORY_COST", 64)
    stored = accounts.hash_password("mat-khau-du-dai")
    assert stored.startswith("$argon2id$") and "$m=64,t=2,p=1$" in stored


def test_a_hash_made_with_other_parameters_verifies_and_is_replaced_at_sign_in():
    user = accounts.create_user("lan@example.vn", None)
    user.password_hash = PasswordHasher().hash("mat-khau-du-dai")  # production's parameters
    assert accounts.authenticate("lan@example.vn", "mat-khau-wrong") is None
    assert f"$m={PASSWORD_HASH_DEFAULTS[1]}," in user.password_hash  # kept as it was
    assert accounts.authenticate("lan@example.vn", "mat-khau-du-dai") == user
    assert "$m=8,t=1,p=1$" in user.password_hash  # rehashed with the app's parameters
    assert accounts.authenticate("lan@example.vn", "mat-khau-du-dai") == user
