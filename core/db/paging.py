"""Keyset pages, newest first by (created_at, id): a row added meanwhile never shifts a page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import InstrumentedAttribute


def after_row(
    created_at: InstrumentedAttribute[Any],
    ident: InstrumentedAttribute[Any],
    row: tuple[datetime, object],
) -> ColumnElement[bool]:
    """The rows after ``row`` (the last of the page before: its created_at and id) in the order
    ``created_at DESC, id DESC``."""
    last_created, last_id = row
    return or_(created_at < last_created, and_(created_at == last_created, ident < last_id))
