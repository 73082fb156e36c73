"""Alembic environment: uses the connection handed over by `store.migrate`, or the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from store.models import Base, UtcDateTime

target_metadata = Base.metadata
config = context.config


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Renders project column types as plain SQLAlchemy types, so migrations never import app code."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


OPTIONS = {"target_metadata": target_metadata, "render_as_batch": True, "render_item": render_item}


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.connect() as conn:
        context.configure(connection=conn, **OPTIONS)
        with context.begin_transaction():
            context.run_migrations()


run()
