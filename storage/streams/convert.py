"""Turning caller arrays into Arrow arrays of exactly the stored type, or refusing them.

Everything here runs in the caller's thread, before a batch is queued: a bad batch is refused
whole with ``ValueError`` and the writer never sees it. Casts are Arrow's *safe* casts, so an
out-of-range integer, a fractional or NaN float headed for an integer column, or a null in a
required column is an error instead of a silently different number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from storage.streams.columns import Column, Kind

_NUMPY_KINDS: dict[Kind, str] = {Kind.INTEGER: "iuf", Kind.FLOAT: "iuf", Kind.TIMESTAMP: "M", Kind.TEXT: "UO"}


def column_array(column: Column, values: object, length: int) -> pa.Array:
    """The stored Arrow array for one column; ``values`` None means "all null" or the default."""
    if values is None:
        return _missing(column, length)
    if isinstance(values, pa.Array | pa.ChunkedArray):
        array = _from_arrow(column, values)
    else:
        array = _from_numpy(column, values)
    if len(array) != length:
        raise ValueError(f"column {column.name!r} has {len(array)} values, expected {length}")
    array = _cast(column, array)
    _check_values(column, array)
    return array


def _missing(column: Column, length: int) -> pa.Array:
    if column.default is not None:
        return pa.array(np.full(length, column.default), type=column.arrow_type)
    if not column.nullable:
        raise ValueError(f"column {column.name!r} is required")
    return pa.nulls(length, type=column.arrow_type)


def _from_numpy(column: Column, values: object) -> pa.Array:
    array = values if isinstance(values, np.ndarray) else np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"column {column.name!r} must be one-dimensional, got shape {array.shape}")
    if array.dtype.kind not in _NUMPY_KINDS[column.kind]:
        raise ValueError(f"column {column.name!r} cannot hold {array.dtype} values")
    mask = np.ma.getmaskarray(array) if isinstance(array, np.ma.MaskedArray) else None
    data = np.ma.getdata(array)
    # NaN means "no value" only where the column itself is a float; for an integer column a NaN
    # must stay a NaN so that the safe cast refuses it.
    nan_is_null = column.kind is Kind.FLOAT
    try:
        return pa.array(data, mask=mask, from_pandas=nan_is_null)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as err:
        raise ValueError(f"column {column.name!r}: {err}") from err


def _from_arrow(column: Column, values: pa.Array | pa.ChunkedArray) -> pa.Array:
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if not _arrow_kind_ok(column.kind, array.type):
        raise ValueError(f"column {column.name!r} cannot hold {array.type} values")
    if column.kind is Kind.FLOAT and pa.types.is_floating(array.type):
        array = pc.if_else(pc.is_nan(array), pa.scalar(None, array.type), array)
    return array


def _arrow_kind_ok(kind: Kind, arrow_type: pa.DataType) -> bool:
    if kind is Kind.TIMESTAMP:
        return bool(pa.types.is_timestamp(arrow_type))
    if kind is Kind.TEXT:
        return bool(pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type))
    return bool(pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_null(arrow_type))


def _cast(column: Column, array: pa.Array) -> pa.Array:
    if array.type == column.arrow_type:
        return array
    # A zoned timestamp casts to the naive UTC instant; finer units are truncated to microseconds.
    options = pc.CastOptions(column.arrow_type, allow_time_truncate=column.kind is Kind.TIMESTAMP)
    try:
        return pc.cast(array, options=options)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as err:
        raise ValueError(f"column {column.name!r}: {err}") from err


def _check_values(column: Column, array: pa.Array) -> None:
    if not column.nullable and array.null_count:
        raise ValueError(f"column {column.name!r} has {array.null_count} missing values")
    if column.max_value is not None and len(array):
        highest: Any = pc.max(array).as_py()
        if highest is not None and highest > column.max_value:
            raise ValueError(f"column {column.name!r} holds {highest}, above its maximum {column.max_value}")
