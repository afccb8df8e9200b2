"""Reading tabular files (CSV, Parquet) into typed columns, with errors that name the column and row.

A column is *numeric* (``float64``, NaN for null) or *categorical* (dictionary-encoded: distinct
labels and one integer code per row, -1 for null). CSV cells are text, so their kind is inferred,
on the distinct cells only: a column whose every non-null cell parses as a finite number is
numeric, one with no parseable cell is categorical, and one that mixes both is an error (a stray
``"?"`` in a numeric column is usually a data bug, and silently treating the column as
categorical would hide it). Callers can force a column's kind, as
``modelmonitor drift`` does with the kinds recorded in the reference profile.

Parquet columns carry types: integers, floats and decimals are numeric; strings go through the
same inference as CSV cells (so both formats agree); booleans are categorical. Parquet needs
``pyarrow`` (the ``parquet`` extra); CSV uses only the standard library.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Kind = Literal["numeric", "categorical"]
KINDS: tuple[Kind, ...] = ("numeric", "categorical")

NULL_TOKENS = frozenset({"", "NA", "N/A", "NaN", "nan", "NULL", "null", "None", "none"})
"""CSV cells read as missing values (what pandas and most exporters write for null)."""

PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})


class TableError(ValueError):
    """A file that cannot be read as a table, or a column that cannot be typed; the message says which."""


@dataclass(frozen=True)
class NumericColumn:
    """A numeric column: ``values`` is float64 with NaN for null."""

    name: str
    values: npt.NDArray[np.float64]
    kind: Literal["numeric"] = "numeric"

    @property
    def nulls(self) -> int:
        return int(np.isnan(self.values).sum())


@dataclass(frozen=True)
class CategoricalColumn:
    """A categorical column, dictionary-encoded: row ``i`` holds ``labels[codes[i]]``, or null when ``codes[i] < 0``.

    Encoding once at read time makes every later step (null counts, category counts, top-K) a
    ``bincount`` over integers instead of a Python loop over strings.
    """

    name: str
    codes: npt.NDArray[np.int64]
    labels: tuple[str, ...]
    kind: Literal["categorical"] = "categorical"

    @classmethod
    def from_values(cls, name: str, values: Iterable[object]) -> CategoricalColumn:
        """Encode ``values`` (``None`` and float NaN are nulls, anything else is taken as ``str``)."""
        index: dict[str, int] = {}
        codes = np.fromiter(
            (
                -1
                if value is None or (isinstance(value, float) and math.isnan(value))
                else index.setdefault(str(value), len(index))
                for value in values
            ),
            dtype=np.int64,
        )
        return cls(name, codes, tuple(index))

    @property
    def values(self) -> npt.NDArray[np.object_]:
        """The rows as an object array of ``str``, ``None`` for null."""
        table = np.array([*self.labels, None], dtype=object)
        return table[self.codes]  # code -1 picks the trailing None

    @property
    def nulls(self) -> int:
        return int((self.codes < 0).sum())

    def label_counts(self) -> npt.NDArray[np.int64]:
        """Non-null rows per label, in ``labels`` order."""
        return np.bincount(self.codes[self.codes >= 0], minlength=len(self.labels)).astype(np.int64)


Column = NumericColumn | CategoricalColumn


@dataclass(frozen=True)
class Table:
    """Typed columns of equal length, in file order."""

    source: str
    rows: int
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column:
        """The column ``name``; :class:`TableError` naming the file when absent."""
        for column in self.columns:
            if column.name == name:
                return column
        raise TableError(f"{self.source}: no column {name!r}")


def read_table(
    path: Path | str,
    *,
    kinds: Mapping[str, Kind] | None = None,
    select: Sequence[str] | None = None,
    exclude: Collection[str] = (),
    allow_empty_columns: bool = False,
) -> Table:
    """Read a CSV or Parquet file into a :class:`Table`.

    Parameters
    ----------
    path
        The file; ``.parquet``/``.pq`` is read as Parquet, anything else as CSV.
    kinds
        Forced kind per column name; other columns are inferred.
    select
        Read only these columns, in this order (an error names any that are missing).
    exclude
        Columns to skip (identifiers, labels, timestamps).
    allow_empty_columns
        Accept columns whose every value is null (current data may legitimately lose a feature);
        by default such a column is an error, since no profile can be built from it.
    """
    path = Path(path)
    if not path.exists():
        raise TableError(f"{path}: no such file")
    if not path.is_file():
        raise TableError(f"{path}: not a regular file")
    kinds = dict(kinds or {})
    for name, kind in kinds.items():
        if kind not in KINDS:
            raise TableError(f"column {name!r}: unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
    if path.suffix.lower() in PARQUET_SUFFIXES:
        available, raw = _read_parquet(path, select, exclude)
    else:
        raw = _read_csv(path, {name for name, kind in kinds.items() if kind == "categorical"})
        available = list(raw)
    unknown = [name for name in exclude if name not in available]
    if unknown:
        raise TableError(f"{path}: cannot exclude missing column(s) {', '.join(map(repr, unknown))}")
    names = available
    if select is not None:
        missing = [name for name in select if name not in available]
        if missing:
            raise TableError(f"{path}: missing column(s) {', '.join(map(repr, missing))}")
        names = list(select)
    names = [name for name in names if name not in exclude]
    if not names:
        raise TableError(f"{path}: no columns left to read")
    rows = len(next(iter(raw.values())))
    if rows == 0:
        raise TableError(f"{path}: no data rows")
    columns = tuple(
        _typed(name, raw[name], kinds.get(name), source=path, allow_empty=allow_empty_columns) for name in names
    )
    return Table(source=str(path), rows=rows, columns=columns)


@dataclass(frozen=True)
class Encoded:
    """A text column as the file gave it: distinct cells (``None`` for a true null) and one code per row."""

    labels: list[str | None]
    codes: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.codes)


# A raw column is either already numbers (typed Parquet columns) or encoded text cells.
RawColumn = npt.NDArray[np.float64] | Encoded


def _encode(cells: Sequence[str | None]) -> Encoded:
    labels = list(dict.fromkeys(cells))
    index = {label: code for code, label in enumerate(labels)}
    return Encoded(labels, np.fromiter(map(index.__getitem__, cells), dtype=np.int64, count=len(cells)))


def _csv_column(cells: Sequence[str], as_text: bool) -> RawColumn:
    """Cells as numbers when every one parses (the common case, parsed in C), else encoded text."""
    if not as_text:
        try:
            return np.array(cells, dtype=np.float64)
        except ValueError:
            pass
    return _encode(cells)


def _read_csv(path: Path, text_columns: Collection[str]) -> dict[str, RawColumn]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            sample = handle.read(64 * 1024)
            handle.seek(0)
            delimiter = "\t" if path.suffix.lower() == ".tsv" or ("\t" in sample and "," not in sample) else ","
            reader = csv.reader(handle, delimiter=delimiter, strict=True)
            header = next(reader, None)
            if header is None:
                raise TableError(f"{path}: empty file (no header row)")
            _check_header(path, header)
            body = list(reader)
    except UnicodeDecodeError as error:
        raise TableError(f"{path}: not UTF-8 text (byte {error.start}); is it a binary file?") from error
    except csv.Error as error:
        raise TableError(f"{path}: malformed CSV: {error}") from error
    except OSError as error:
        raise TableError(f"{path}: cannot read: {error.strerror or error}") from error
    # Trailing blank lines are common and harmless; a blank line inside the data fails the width check below.
    while body and not body[-1]:
        body.pop()
    width = len(header)
    for index, row in enumerate(body):
        if len(row) != width:
            raise TableError(f"{path}: line {index + 2} has {len(row)} fields, the header has {width}")
    if not body:
        return {name: Encoded([], np.empty(0, dtype=np.int64)) for name in header}
    columns = zip(*body, strict=True)
    return {name: _csv_column(cells, name in text_columns) for name, cells in zip(header, columns, strict=True)}


def _check_header(path: Path, header: Sequence[str]) -> None:
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name.strip():
            raise TableError(f"{path}: column {position} has an empty name")
        if name in seen:
            raise TableError(f"{path}: column name {name!r} appears twice")
        seen.add(name)


def _read_parquet(
    path: Path, select: Sequence[str] | None, exclude: Collection[str]
) -> tuple[list[str], dict[str, RawColumn]]:
    """All column names, and the selected, not excluded columns (others are never decoded)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as error:  # pragma: no cover - pyarrow is in the test extra
        raise TableError(f"{path}: reading Parquet needs pyarrow (pip install 'model-monitor[parquet]')") from error
    try:
        # ParquetFile reads one file directly; pq.read_table goes through the dataset layer, which
        # costs ~0.15 s of first-call set-up for nothing here.
        parquet = pq.ParquetFile(path)
        schema = parquet.schema_arrow
        _check_header(path, schema.names)
        wanted = [name for name in (select or schema.names) if name in schema.names and name not in exclude]
        table = parquet.read(columns=wanted)
    except (pa.ArrowException, OSError) as error:
        raise TableError(f"{path}: not a readable Parquet file: {error}") from error
    raw: dict[str, RawColumn] = {}
    for name, chunked in zip(table.column_names, table.columns, strict=True):
        raw[name] = _from_arrow(path, name, chunked, pa)
    return list(schema.names), raw


def _from_arrow(path: Path, name: str, chunked: Any, pa: Any) -> RawColumn:
    kind = chunked.type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
        chunked = chunked.cast(kind)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return np.asarray(chunked.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    if pa.types.is_boolean(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind):
        # Arrow's dictionary encoding runs in C; true nulls get code -1 via a trailing None label.
        encoded = chunked.cast(pa.string()).combine_chunks().dictionary_encode()
        labels: list[str | None] = [*encoded.dictionary.to_pylist(), None]
        codes = encoded.indices.fill_null(len(labels) - 1).to_numpy(zero_copy_only=False).astype(np.int64)
        return Encoded(labels, codes)
    raise TableError(f"{path}: column {name!r} has type {kind}, which is neither numeric nor text; exclude it")


def _typed(name: str, raw: RawColumn, kind: Kind | None, *, source: Path, allow_empty: bool) -> Column:
    where = f"{source}: column {name!r}"
    if not isinstance(raw, Encoded):
        if kind == "categorical":
            return _check_empty(CategoricalColumn.from_values(name, _numbers_as_text(raw)), where, allow_empty)
        _check_finite(raw, where)
        return _check_empty(NumericColumn(name, raw), where, allow_empty)
    # Decide on the distinct cells only: a column of 100,000 rows has a handful of labels, or is numeric.
    is_null = [label is None or label in NULL_TOKENS for label in raw.labels]
    kept = [label for label, null in zip(raw.labels, is_null, strict=True) if not null and label is not None]
    remap = np.full(len(raw.labels) + 1, -1, dtype=np.int64)  # the extra slot maps code -1 (none here) to null
    remap[[i for i, null in enumerate(is_null) if not null]] = np.arange(len(kept))
    codes = remap[raw.codes]
    if kind == "categorical":
        return _check_empty(CategoricalColumn(name, codes, tuple(kept)), where, allow_empty)
    numbers = _parse_numbers(kept)
    if numbers is not None:
        values = np.append(numbers, np.nan)[codes]  # code -1 picks the trailing NaN
        _check_finite(values, where)
        return _check_empty(NumericColumn(name, values), where, allow_empty)
    text_codes = [i for i, label in enumerate(kept) if not _parses(label)]
    first_text = int(np.argmax(np.isin(codes, text_codes))) + 1
    example = kept[codes[first_text - 1]]
    if kind == "numeric":
        raise TableError(f"{where} should be numeric but row {first_text} holds {example!r}")
    numeric_like = sorted(label for label in kept if _parses(label))
    if numeric_like:
        raise TableError(
            f"{where} mixes numbers (e.g. {numeric_like[0]!r}) and text (e.g. {example!r} "
            f"in row {first_text}); fix the data or force the column to be categorical"
        )
    return _check_empty(CategoricalColumn(name, codes, tuple(kept)), where, allow_empty)


def _parse_numbers(cells: Sequence[str]) -> npt.NDArray[np.float64] | None:
    """All cells as floats, or ``None`` when any of them is not a number."""
    try:
        return np.array(cells, dtype=object).astype(np.float64)
    except (ValueError, TypeError):
        return None


def _parses(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _check_finite(numbers: npt.NDArray[np.float64], where: str) -> None:
    infinite = np.isinf(numbers)
    if infinite.any():
        row = int(np.argmax(infinite)) + 1
        raise TableError(f"{where} has an infinite value in row {row}; numeric columns must be finite")


def _numbers_as_text(numbers: npt.NDArray[np.float64]) -> list[str | None]:
    """Numbers as category labels: integral values without a trailing ``.0``, as they were written."""
    return [
        None if math.isnan(number) else str(int(number)) if number.is_integer() else repr(number)
        for number in numbers.tolist()
    ]


def _check_empty(column: Column, where: str, allow_empty: bool) -> Column:
    if not allow_empty and column.nulls == len(
        column.codes if isinstance(column, CategoricalColumn) else column.values
    ):
        raise TableError(f"{where} is empty: every value is null")
    return column
