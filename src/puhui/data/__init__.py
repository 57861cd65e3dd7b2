"""Data model: table schemas, readers and validation (`puhui.data`).

>>> import puhui
>>> sorted(puhui.data.SCHEMAS)
['basis', 'claims', 'costs', 'expenses', 'index_series', 'payments', 'policies', 'prices',
 'yields']
"""

from __future__ import annotations

from .io import load, read_table
from .schema import SCHEMAS, Column, Schema, schema
from .validate import validate

__all__ = ["SCHEMAS", "Column", "Schema", "load", "read_table", "schema", "validate"]
