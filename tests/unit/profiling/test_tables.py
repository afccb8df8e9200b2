"""Reading CSV and Parquet files into typed columns.

We test these aspects:
- type inference: numbers are numeric, text is categorical, null tokens are nulls in both kinds;
- forced kinds: a numeric-looking column read as categorical keeps its text; numbers forced categorical
  from Parquet lose no information ("1", not "1.0");
- clear errors naming file, column and row: missing file, directory, binary file, empty file, header only,
  ragged line, duplicate or empty column names, empty column, mixed numbers and text, infinite values,
  text in a column forced numeric, select/exclude of missing columns, unsupported Parquet types;
- CSV and Parquet give the same table for the same data; select, exclude and allow_empty_columns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelmonitor.profiling.tables import CategoricalColumn, NumericColumn, TableError, read_table


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_infers_numeric_and_categorical(tmp_path: Path) -> None:
    path = write(tmp_path, "amount,country,flag\n1.5,FR,1\n2,DE,0\n,NA,1\n-3e2,FR,\n")
    table = read_table(path)
    assert table.rows == 4
    assert table.names == ["amount", "country", "flag"]
    amount = table.column("amount")
    assert isinstance(amount, NumericColumn)
    np.testing.assert_array_equal(amount.values, [1.5, 2.0, np.nan, -300.0])
    assert amount.nulls == 1
    country = table.column("country")
    assert isinstance(country, CategoricalColumn)
    assert country.values.tolist() == ["FR", "DE", None, "FR"]
    flag = table.column("flag")
    assert isinstance(flag, NumericColumn)
    assert flag.nulls == 1


@pytest.mark.parametrize("token", ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"])
def test_null_tokens(tmp_path: Path, token: str) -> None:
    table = read_table(write(tmp_path, f"x,y\n1,a\n{token},{token}\n"))
    assert table.column("x").nulls == 1
    assert table.column("y").nulls == 1


def test_forced_categorical_keeps_text(tmp_path: Path) -> None:
    path = write(tmp_path, "zip,x\n01234,1\n75001,2\n")
    table = read_table(path, kinds={"zip": "categorical"})
    zip_codes = table.column("zip")
    assert isinstance(zip_codes, CategoricalColumn)
    assert zip_codes.values.tolist() == ["01234", "75001"]


def test_tsv_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "data.tsv"
    path.write_bytes("\ufeffa\tb\n1\tx\n2\ty\n".encode())
    table = read_table(path)
    assert table.names == ["a", "b"]
    assert isinstance(table.column("a"), NumericColumn)


def test_select_exclude_and_order(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b,c\n1,2,3\n")
    assert read_table(path, select=["c", "a"]).names == ["c", "a"]
    assert read_table(path, exclude=["b"]).names == ["a", "c"]


def test_allow_empty_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\n1,\n2,\n")
    with pytest.raises(TableError, match=r"column 'b' is empty"):
        read_table(path)
    table = read_table(path, allow_empty_columns=True)
    assert table.column("b").nulls == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"empty file"),
        ("a,b\n", r"no data rows"),
        ("a,b\n1,2\n3\n", r"line 3 has 1 fields, the header has 2"),
        ("a,b\n1,2\n\n3,4\n", r"line 3 has 0 fields, the header has 2"),
        ("a,a\n1,2\n", r"column name 'a' appears twice"),
        ("a,\n1,2\n", r"column 2 has an empty name"),
        ("a,b\n1,\n2,\n", r"column 'b' is empty: every value is null"),
        ("a\n1\n2\n?\n4\n", r"column 'a' mixes numbers \(e\.g\. '1'\) and text \(e\.g\. '\?' in row 3\)"),
        ("a\n1\ninf\n", r"column 'a' has an infinite value in row 2"),
        ('a\n"unterminated\n', r"malformed CSV"),
    ],
)
def test_csv_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(TableError, match=message):
        read_table(write(tmp_path, text))


def test_error_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "a\n1\nx\n")
    with pytest.raises(TableError) as caught:
        read_table(path)
    assert str(caught.value).startswith(str(path))


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(TableError, match=r"no such file"):
        read_table(tmp_path / "absent.csv")
    with pytest.raises(TableError, match=r"not a regular file"):
        read_table(tmp_path)


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x00")
    with pytest.raises(TableError, match=r"not UTF-8"):
        read_table(path)


def test_forced_numeric_with_text(tmp_path: Path) -> None:
    with pytest.raises(TableError, match=r"column 'a' should be numeric but row 2 holds 'x'"):
        read_table(write(tmp_path, "a\n1\nx\n"), kinds={"a": "numeric"})


def test_unknown_kind_and_missing_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "a\n1\n")
    with pytest.raises(TableError, match=r"unknown kind 'text'"):
        read_table(path, kinds={"a": "text"})  # type: ignore[dict-item]
    with pytest.raises(TableError, match=r"missing column\(s\) 'b'"):
        read_table(path, select=["a", "b"])
    with pytest.raises(TableError, match=r"cannot exclude missing column\(s\) 'b'"):
        read_table(path, exclude=["b"])
    with pytest.raises(TableError, match=r"no columns left"):
        read_table(path, exclude=["a"])
    with pytest.raises(TableError, match=r"no column 'b'"):
        read_table(path).column("b")


def test_parquet_matches_csv(tmp_path: Path) -> None:
    csv_path = write(tmp_path, "x,n,c,b\n1.5,3,FR,true\n,4,,false\n2.25,5,DE,true\n")
    parquet_path = tmp_path / "data.parquet"
    pq.write_table(
        pa.table(
            {
                "x": pa.array([1.5, None, 2.25]),
                "n": pa.array([3, 4, 5], type=pa.int32()),
                "c": pa.array(["FR", None, "DE"]).dictionary_encode(),
                "b": pa.array([True, False, True]),
            }
        ),
        parquet_path,
    )
    from_csv, from_parquet = read_table(csv_path), read_table(parquet_path)
    assert from_csv.names == from_parquet.names
    for a, b in zip(from_csv.columns, from_parquet.columns, strict=True):
        assert a.kind == b.kind, a.name
        np.testing.assert_array_equal(a.values, b.values)


def test_parquet_numbers_forced_categorical(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    pq.write_table(pa.table({"code": pa.array([1, 20, None]), "ratio": pa.array([0.5, 2.0, 1.25])}), path)
    table = read_table(path, kinds={"code": "categorical", "ratio": "categorical"})
    assert table.column("code").values.tolist() == ["1", "20", None]
    assert table.column("ratio").values.tolist() == ["0.5", "2", "1.25"]


def test_parquet_select_reads_only_those(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    pq.write_table(pa.table({"a": [1.0], "when": pa.array([0], type=pa.timestamp("s"))}), path)
    assert read_table(path, select=["a"]).names == ["a"]
    assert read_table(path, exclude=["when"]).names == ["a"]
    with pytest.raises(TableError, match=r"column 'when' has type timestamp\[\w+\], which is neither numeric nor text"):
        read_table(path)


def test_corrupt_parquet(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(TableError, match=r"not a readable Parquet file"):
        read_table(path)
