"""The authority's own small CSV files: local bank holidays, school terms, compliance targets.

They are typed by a person in a spreadsheet, so they are read the same forgiving way (a byte-order
mark, headers in any case, cells trimmed) and refused the same way: a message naming the file, the
line and the column, never a traceback.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from .errors import InputError, Problem


def rows(path: Path, what: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Each row of ``path`` with its line number, keyed by upper-case header; ``what`` names the
    file in the message when it cannot be read at all ("holiday override", "term-dates")."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            for i, row in enumerate(csv.DictReader(f), start=2):
                yield i, {(k or "").strip().upper(): (v or "").strip() for k, v in row.items()}
    except UnicodeDecodeError:
        raise InputError(Problem(path.name, "is not UTF-8 text; save it as 'CSV UTF-8'")) from None
    except OSError as e:
        raise InputError(Problem(path.name, f"the {what} file cannot be read ({e.strerror})")) from None


def iso_date(path: Path, row: dict[str, str], column: str, line: int) -> dt.date:
    """The cell ``column`` as a yyyy-mm-dd date, or the file refused at that line and column."""
    try:
        return dt.date.fromisoformat(row.get(column, ""))
    except ValueError:
        raise InputError(Problem(path.name, f"{column} is not a yyyy-mm-dd date", line=line,
                                 column=column)) from None
