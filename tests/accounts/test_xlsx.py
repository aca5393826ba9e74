"""Issue 17: `accounts.xlsx` streams a workbook that opens (read back with openpyxl): the static
parts first, the sheet as the rows are read; cells typed, escaped, never a formula."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from openpyxl import load_workbook

from accounts import xlsx


def read(parts) -> list[tuple]:
    return list(load_workbook(io.BytesIO(b"".join(parts))).active.iter_rows(values_only=True))


def test_cells_read_back_typed_escaped_and_never_a_formula(settings):
    settings.TIME_ZONE = "Europe/Paris"
    row = [
        "a<&>b\x07c\x00",  # XML's specials escaped, characters XML 1.0 forbids removed
        "Zürich – 東京 ✓",
        " spaced ",
        '=HYPERLINK("http://x")',
        "-2",
        12,
        1.5,
        Decimal("2.25"),
        True,
        date(2026, 12, 4),
        datetime(2026, 12, 4, 12, 30, tzinfo=UTC),  # aware: in the current time zone
        None,
        "",
        date(1899, 1, 1),  # before Excel's serial dates: text
    ]
    rows = read(xlsx.xlsx_chunks([f"h{n}" for n in range(len(row))], [row], sheet_name="orders"))
    assert rows[0] == tuple(f"h{n}" for n in range(len(row)))
    assert rows[1] == (
        "a<&>bc",
        "Zürich – 東京 ✓",
        " spaced ",
        '\'=HYPERLINK("http://x")',
        "'-2",
        12,
        1.5,
        2.25,
        True,
        datetime(2026, 12, 4),
        datetime(2026, 12, 4, 13, 30),
        None,
        None,
        "1899-01-01",
    )


def test_dates_have_a_date_format_and_the_sheet_its_name():
    sheet = load_workbook(
        io.BytesIO(b"".join(xlsx.xlsx_chunks(["day"], [[date(2026, 1, 31)]], sheet_name="a/b:c[d]")))
    ).active
    assert sheet.title == "abcd"
    assert sheet["A2"].number_format == "yyyy-mm-dd" and sheet["A2"].is_date
    assert sheet["A1"].font.b  # the header in bold


def test_text_is_cut_at_excels_cell_length():
    (_, (value,)) = read(xlsx.xlsx_chunks(["long"], [["x" * 40_000]]))
    assert len(value) == xlsx.MAX_TEXT


@pytest.mark.parametrize(("index", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA")])
def test_column_letters(index, letters):
    assert xlsx.column_letters(index) == letters


def test_static_parts_leave_before_the_first_row_is_read_and_the_sheet_as_rows_come():
    """Rows of random text (the compressor cannot hold them back): parts are yielded while the rows
    are still being read, and the first before any row."""
    read_rows = 0

    def rows():
        nonlocal read_rows
        for _ in range(5000):
            read_rows += 1
            yield [uuid4().hex for _ in range(4)]

    seen = []
    parts = []
    for part in xlsx.xlsx_chunks(["a", "b", "c", "d"], rows()):
        seen.append(read_rows)
        parts.append(part)
    assert seen[0] == 0 and parts[0]
    assert any(0 < count < 5000 for count in seen)  # streamed, not written at the end
    assert len(read(parts)) == 5001


def test_zip_has_data_descriptors_and_no_zip64_records():
    """Excel refuses ZIP64 records in a small package; the entries carry data descriptors (bit 3)."""
    data = b"".join(xlsx.xlsx_chunks(["a"], [["b"]]))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert [info.filename for info in archive.infolist()][0] == "[Content_Types].xml"
    assert "xl/worksheets/sheet1.xml" in archive.namelist()
    for info in archive.infolist():
        assert info.flag_bits & 0x08 and info.compress_type == zipfile.ZIP_DEFLATED
        assert info.extract_version < zipfile.ZIP64_VERSION and not info.extra
    assert b"PK\x06\x06" not in data  # no ZIP64 end of central directory


def test_rows_past_excels_limit_are_left_out(monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 3)
    assert len(read(xlsx.xlsx_chunks(["n"], ([n] for n in range(10))))) == 3


def test_response_is_streamed_with_a_filename():
    response = xlsx.xlsx_response(["a"], [[1]], "list-2026.xlsx")
    assert response.streaming and response["Content-Type"] == xlsx.CONTENT_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="list-2026.xlsx"'
    assert read(response.streaming_content) == [("a",), (1,)]
