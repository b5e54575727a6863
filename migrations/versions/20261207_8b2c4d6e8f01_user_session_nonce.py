"""users.session_nonce: sessions that the server can end

Flask's session is a signed cookie the server cannot take back; from this revision the cookie
also carries the user's session nonce, and a cookie whose nonce is no longer the user's
(signed out, new password) is refused. Existing users get a random nonce each; sessions
opened before this revision carry none and end at once (their users sign in again).

Revision ID: 8b2c4d6e8f01
Revises: 7e1a0b2c3d4f
Create Date: 2026-12-07 10:00:00

"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "8b2c4d6e8f01"
down_revision = "7e1a0b2c3d4f"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_nonce", sa.String(length=64), nullable=True))
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("session_nonce", sa.String))
    connection = op.get_bind()
    # One random value per user, drawn here: SQL has no portable random string.
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(session_nonce=secrets.token_urlsafe(24))
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("session_nonce", existing_type=sa.String(length=64), nullable=False)


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_nonce")
