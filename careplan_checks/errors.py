"""Errors that end a command with a clear message and exit status 2.

Every message names the file (and, where it can, the line and column) and never
quotes a cell's value: the data are about children, and an error message is
copied into logs, e-mails and tickets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as we can."""

    file: str
    message: str
    line: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class InputError(Exception):
    """Bad input (an unreadable file, a refused identifier, a bad rule file): exit 2."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("input", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def ident(name: str) -> str:
    """A name as a quoted SQL identifier. An extract's headers are data, not SQL: ``NOTE'S`` or
    ``NOTE"X`` must name a column, never end a string or a name early."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """Text as a quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def safe_message(message: str) -> str:
    """The first line of an error message with every quoted value taken out: DuckDB quotes the cell
    it could not convert (in single quotes; a file or column name in double quotes), and a message is
    copied into logs and tickets."""
    first = (message.strip().splitlines() or [""])[0]
    return re.sub(r"'[^']*'", "'…'", first)
