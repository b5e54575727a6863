"""Alembic environment, driven by Flask-Migrate (``flask db ...``) inside ``create_app``.

The URL and the metadata come from the running app, so migrations always target the
database the app is configured for (``DATABASE_URL``) and see every model ``create_app``
imports. Autogenerate compares column types, and batch mode is on (``create_app`` passes
``render_as_batch=True``) so the generated scripts also ALTER tables on SQLite.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import TypeDecorator

config = context.config

# alembic.ini's logging only when nobody configured logging yet: `create_app` already did for
# `flask db ...` (LOG_LEVEL), and pytest has its capture handlers when tests call
# `flask_migrate.upgrade()`; reconfiguring would override (or silence) theirs.
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


def get_engine_url():
    return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")


config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def _render_item(type_, obj, autogen_context):
    """Write the database type of the project's TypeDecorators (UtcDateTime, the orjson
    event document) into revisions, so they only need ``sa`` and never import the app."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def _configure_args() -> dict:
    args = dict(current_app.extensions["migrate"].configure_args)
    args.setdefault("compare_type", True)
    args.setdefault("render_as_batch", True)
    args.setdefault("render_item", _render_item)
    return args


def run_migrations_offline():
    """Emit SQL to stdout (``flask db upgrade --sql``) instead of running it."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=get_metadata(),
        literal_binds=True,
        **_configure_args(),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    # An autogenerate that finds nothing writes no empty revision file.
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = _configure_args()
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    with get_engine().connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _foreign_keys_off(connection)
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                _refuse_dangling_references(connection)
        if sqlite:
            # Never back to the pool without enforcement: a new connection turns it on.
            connection.invalidate()


def _foreign_keys_off(connection):
    """Batch migrations rebuild a SQLite table (copy, DROP, rename): with foreign keys
    enforced, dropping a table that other rows reference fails, so every database holding
    data could not be upgraded. SQLite's own advice is to turn enforcement off around such
    changes; the pragma is ignored inside a transaction, hence on the raw connection first."""
    cursor = connection.connection.cursor()
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.close()


def _refuse_dangling_references(connection):
    """What enforcement would have caught, checked once at the end (rolled back if any)."""
    dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if dangling:
        raise RuntimeError(f"the migration leaves rows referring to nothing: {dangling[:5]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
