"""OCR boxes regrouped into the visual rows of a receipt, each with its amounts."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.reading.extraction.rules.amounts import (
    GROUPED_INT_RE,
    Amount,
    find_amounts,
    find_integer_amounts,
)
from core.reading.extraction.rules.text import fold
from core.reading.ocr.base import OcrLine


@dataclass(slots=True)
class Cell:
    text: str
    left: float
    top: float
    right: float
    bottom: float
    score: float = 1.0  # the OCR's recognition confidence


@dataclass(slots=True)
class Row:
    cells: list[Cell]
    page: int = 0
    text: str = ""
    upper: str = ""
    amounts: list[Amount] = field(default_factory=list)

    @property
    def top(self) -> float:
        return sum(c.top for c in self.cells) / len(self.cells)

    @property
    def bottom(self) -> float:
        return sum(c.bottom for c in self.cells) / len(self.cells)

    def finish(self) -> Row:
        self.cells.sort(key=lambda c: c.left)
        text = " ".join(c.text.strip() for c in self.cells if c.text.strip())
        self.text = unicodedata.normalize("NFKC", text)  # full-width "（RM）" -> "(RM)"
        self.upper = fold(self.text)
        self.amounts = find_amounts(self.upper)
        return self


def _has_geometry(lines: Sequence[OcrLine]) -> bool:
    return any(line.box[2] > line.box[0] or line.box[3] > line.box[1] for line in lines)


def build_rows(lines: Sequence[OcrLine]) -> list[Row]:
    """Group OCR boxes into visual rows (top to bottom, cells left to right)."""
    if not _has_geometry(lines):
        return [
            Row([Cell(part, 0, 0, 0, 0, line.confidence)], line.page).finish()
            for line in lines
            for part in line.text.splitlines()
            if part.strip()
        ]
    ordered = sorted(
        (line for line in lines if line.text.strip()),
        key=lambda ln: (ln.page, (ln.box[1] + ln.box[3]) / 2, ln.box[0]),
    )
    rows: list[Row] = []
    for line in ordered:
        cell = Cell(line.text, *line.box, line.confidence)
        current = rows[-1] if rows else None
        if current is not None and current.page == line.page and _same_row(current, cell):
            current.cells.append(cell)
        else:
            rows.append(Row([cell], line.page))
    return [row.finish() for row in rows]


def use_integer_amounts(rows: Sequence[Row]) -> list[Row]:
    """Switch to cent-less amounts when no row prints cents but several print grouped integers."""
    if any(row.amounts for row in rows):
        return list(rows)
    if sum(len(GROUPED_INT_RE.findall(row.upper)) for row in rows) < 2:
        return list(rows)
    for row in rows:
        row.amounts = find_integer_amounts(row.upper)
    return list(rows)


def _same_row(row: Row, cell: Cell) -> bool:
    top, bottom = row.top, row.bottom
    centre = (cell.top + cell.bottom) / 2
    row_centre = (top + bottom) / 2
    if not (top <= centre <= bottom or cell.top <= row_centre <= cell.bottom):
        return False
    # Two boxes that overlap horizontally are stacked lines, not one row.
    return all(min(c.right, cell.right) - max(c.left, cell.left) <= 2 for c in row.cells)
