"""Strict reading of uploaded CSV files, with errors a client can act on."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from modelworks.core.errors import DataError, PayloadTooLarge

csv.field_size_limit(16 * 1024 * 1024)


@dataclass(frozen=True)
class CsvRow:
    """One data row: its 1-based number among data rows, its first physical line, its values."""

    number: int
    line: int
    values: dict[str, str]

    @property
    def where(self) -> str:
        """``row N (line L)`` for error messages."""
        return f"row {self.number} (line {self.line})"


def read_csv(raw: bytes, required: list[str], max_rows: tuple[int, str] | None = None
             ) -> list[CsvRow]:
    """Parse a UTF-8 CSV with a header holding at least ``required``; other columns are kept.

    Raises ``DataError`` for an empty file, text that is not UTF-8, binary content, a header
    without the required columns, and rows whose field count differs from the header's;
    ``PayloadTooLarge`` as soon as a row beyond ``max_rows`` (the cap and the setting that
    sets it) turns up, before the rest is parsed.
    """
    if not raw.strip():
        raise DataError("the file is empty")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"the file is not UTF-8 text (invalid byte at offset {exc.start})") from exc
    if "\x00" in text:
        raise DataError("the file is not a CSV: it contains NUL bytes (binary data?)")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip() for name in next(reader)]
        missing = [name for name in required if name not in header]
        if missing:
            found = ", ".join(repr(h) for h in header[:10]) or "nothing"
            raise DataError(
                f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)} "
                f"(the header has {found}; expected {','.join(required)})",
                field=missing[0],
            )
        if len(set(header)) != len(header):
            raise DataError("the header names a column more than once")
        rows: list[CsvRow] = []
        line = reader.line_num + 1
        for values in reader:
            if not values or (len(values) == 1 and not values[0].strip()):
                line = reader.line_num + 1
                continue
            number = len(rows) + 1
            if max_rows is not None and number > max_rows[0]:
                raise PayloadTooLarge(f"the file has more than {max_rows[0]} rows, the most one "
                                      f"request may carry ({max_rows[1]})", field="file")
            if len(values) != len(header):
                raise DataError(
                    f"row {number} (line {line}) has {len(values)} fields, the header has "
                    f"{len(header)}"
                )
            rows.append(CsvRow(number, line, dict(zip(header, values, strict=True))))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise DataError(f"the file is not a valid CSV: {exc} (line {reader.line_num})") from exc
    if not rows:
        raise DataError("the file has a header but no data rows")
    return rows
