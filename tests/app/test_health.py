from sqlalchemy import select

from app.auth.models import User
from core.db import db


def test_healthz_answers_without_touching_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_rows_written_in_one_test_are_rolled_back_before_the_next():
    db.session.add(User(email="ghost@example.vn", full_name="x"))
    db.session.commit()
    assert db.session.scalar(select(User).where(User.email == "ghost@example.vn"))


def test_previous_tests_rows_are_gone():
    assert db.session.scalar(select(User).where(User.email == "ghost@example.vn")) is None
