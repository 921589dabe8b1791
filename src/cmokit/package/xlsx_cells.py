"""Cells of a workbook as CSV text: openpyxl's worksheet parser with a cell reader of cmokit's own, and the
conversion of each cell to the text a CSV file would hold, with the problems only a spreadsheet has (see
:mod:`cmokit.package.xlsx_reader`, which reads sheets with them)."""

from __future__ import annotations

import datetime as dt
import re

from cmokit.core.problems import ERROR, WARNING, Problem
from cmokit.package.model import Field, Resource


def quote_sheet(name: str) -> str:
    """A sheet name as Excel writes it in a reference (quoted when it is not a plain word)."""
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name) else "'" + name.replace("'", "''") + "'"


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    out = ""
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def parser_class():
    """openpyxl's worksheet parser with a cell reader of its own: saved values and formulas both, and inline
    strings (what XlsxWriter writes in constant-memory mode) read directly rather than through openpyxl's rich-text
    objects, which made a 100,000-row workbook three times slower."""
    from openpyxl.utils.cell import column_index_from_string
    from openpyxl.utils.datetime import from_excel, from_ISO8601
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser
    from openpyxl.xml.constants import SHEET_MAIN_NS

    text_tag, run_tag, inline_tag = (f"{{{SHEET_MAIN_NS}}}{t}" for t in ("t", "r", "is"))
    escaped = re.compile("_x([0-9A-Fa-f]{4})_")
    columns: dict[str, int] = {}

    class _Parser(WorkSheetParser):
        def parse_cell(self, element):
            data_type = element.get("t", "n")
            ref = element.get("r")
            style_id = int(element.get("s", 0))
            if ref:
                digits = len(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
                letters = ref[:len(ref) - digits]
                column = columns.get(letters) or columns.setdefault(letters, column_index_from_string(letters))
                row = int(ref[len(letters):])
                self.col_counter = column
            else:
                self.col_counter += 1
                row, column = self.row_counter, self.col_counter
            value = formula = inline = None
            for sub in element:  # <v>, <f>, <is>: one look at the cell's children
                tag = sub.tag
                if tag == VALUE_TAG:
                    value = sub.text or None
                elif tag == FORMULA_TAG:
                    formula = sub
                elif tag == inline_tag:
                    inline = sub
            if data_type == "inlineStr":
                value = None
                if inline is not None:
                    data_type = "s"
                    parts = []
                    for t in inline:
                        if t.tag == text_tag:
                            parts.append(t.text or "")
                        elif t.tag == run_tag:
                            parts += [x.text or "" for x in t if x.tag == text_tag]
                    value = "".join(parts)
                    if "_x" in value:  # Excel's escapes of control characters (_x0001_; _x005F_ escapes '_')
                        value = escaped.sub(lambda m: chr(int(m.group(1), 16)), value)
            elif value is not None:
                if data_type == "n":
                    value = float(value) if "." in value or "E" in value or "e" in value else int(value)
                    if style_id in self.date_formats:
                        data_type = "d"
                        try:
                            value = from_excel(value, self.epoch, timedelta=style_id in self.timedelta_formats)
                        except (OverflowError, ValueError):
                            data_type, value = "e", "#VALUE!"
                elif data_type == "s":
                    value = self.shared_strings[int(value)]
                elif data_type == "b":
                    value = bool(int(value))
                elif data_type == "str":
                    data_type = "s"
                elif data_type == "d":
                    value = from_ISO8601(value)
            cell = {"row": row, "column": column, "value": value, "data_type": data_type, "style_id": style_id}
            if formula is not None:
                cell["formula"] = "=" + formula.text if formula.text else "(a formula shared with the cell above)"
            return cell

    return _Parser


def cell_kind(f: Field) -> str:
    if f.type in ("integer", "number", "year", "date", "datetime", "time", "boolean"):
        return f.type
    return "coded" if f.coded else "string"


def _number_text(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    import numpy as np

    return np.format_float_positional(value, trim="-")


class Sheet:
    """Reads one sheet into columns of text, collecting its problems."""

    def __init__(self, resource: Resource, shown: str, sheet: str):
        self.resource, self.shown, self.sheet = resource, shown, sheet
        self.problems: list[Problem] = []

    def problem(self, rule: str, message: str, line: int | None = None, fld: str | None = None,
                value: str | None = None, cell: str | None = None, severity: str = ERROR) -> None:
        self.problems.append(Problem(rule=rule, message=message, resource=self.resource.name, path=self.shown,
                                     line=line, field=fld, value=value, severity=severity, sheet=self.sheet,
                                     cell=f"{quote_sheet(self.sheet)}!{cell}" if cell else None))

    def text(self, f: Field, kind: str, cell: dict, line: int, letter: str) -> str:
        """The CSV text of a cell of field ``f``; problems reported on the way."""
        value, dtype = cell["value"], cell["data_type"]
        where = f"{letter}{line}"
        if "formula" in cell:
            shown = "no saved result" if value is None else f"shows {value!r}"
            self.problem("xlsx.formula", f"the cell holds a formula ({cell['formula'][:80]}; {shown}); a form holds "
                         "typed values only, and a formula's result is never taken as the value. Type the value "
                         "itself (copy the cell, then Paste Special > Values).", line, f.name, cell["formula"], where)
            if value is None:
                return ""
            if dtype == "e" or isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
                return str(value)  # the formula is the cell's one report
        if value is None:
            return ""
        if dtype == "e":
            self.problem("xlsx.error_value", f"the cell shows the error {value}, not a value. Type the value (or NR "
                         "when the study does not report it).", line, f.name, str(value), where)
            return str(value)
        if isinstance(value, bool):
            if kind == "boolean":
                return (f.true_values if value else f.false_values)[0]
            return "TRUE" if value else "FALSE"
        if isinstance(value, int | float):
            return _number_text(value)
        if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
            return self._date(f, kind, value, line, where)
        text = str(value)
        if text.startswith("'") and kind not in ("string",) and len(text) > 1:
            self.problem("xlsx.apostrophe", f"the cell's text starts with an apostrophe ({text[:40]!r}): Excel "
                         "hides an apostrophe typed first, but this cell holds it as a character (a column formatted "
                         "as Text keeps it). Delete the apostrophe.", line, f.name, text, where)
        return text

    def _date(self, f: Field, kind: str, value, line: int, where: str) -> str:
        midnight = isinstance(value, dt.datetime) and value.time() == dt.time(0)
        if kind == "date" and (midnight or type(value) is dt.date):
            return value.date().isoformat() if midnight else value.isoformat()
        if (kind == "datetime" and isinstance(value, dt.datetime)) or (kind == "time" and isinstance(value, dt.time)):
            return value.isoformat()
        iso = value.date().isoformat() if midnight else str(value) if isinstance(value, dt.timedelta) \
            else value.isoformat()
        if kind == "year" or (kind == "integer" and "year" in f.name):
            hint = f"type the year as a number ({getattr(value, 'year', '')})"
        elif kind == "date":
            hint = "type the date alone (YYYY-MM-DD), without a time"
        else:
            hint = "format the column as Text and type the value again as it is written in the study"
        expected = {"coded": "a code", "string": "text", "integer": "an integer"}.get(kind, f"a {f.type}")
        self.problem("xlsx.date", f"Excel stored a date or time here ({iso}) where {f.name} expects {expected}: "
                     f"{hint}.", line, f.name, iso, where)
        return iso

    def code(self, f: Field, codes: dict[str, str], text: str, line: int, letter: str) -> str:
        """A code in the codebook's case (LibreOffice's dropdowns accept any case), with a warning."""
        if f.multiple:
            parts = [p.strip() for p in text.split(";")]
            fixed = [codes.get(p.casefold(), p) if p not in codes.values() else p for p in parts]
            new = "; ".join(fixed) if fixed != parts else text
        else:
            new = codes.get(text.casefold(), text) if text not in codes.values() else text
        if new != text:
            self.problem("xlsx.code_case", f"'{text}' was read as '{new}': codes are written as in the codebook "
                         "(a spreadsheet's dropdown may accept another case). Write it as shown.", line, f.name, text,
                         f"{letter}{line}", WARNING)
        return new


def case_map(f: Field, resource: Resource) -> dict[str, str] | None:
    """casefolded -> codebook spelling of the values a coded or yes/no field takes (with NR, NA), or None."""
    codes = list(f.codes() or ())
    if f.type == "boolean":
        codes += list(f.true_values) + list(f.false_values)
    if not codes:
        return None
    codes += [m for m in resource.missing_values if m]
    out: dict[str, str] = {}
    for c in codes:
        out.setdefault(c.casefold(), c)
    return out


def header_texts(cells: list[dict]) -> list[str]:
    by_col = {c["column"]: c["value"] for c in cells if c["value"] is not None}
    width = max(by_col, default=0)
    return [("" if by_col.get(i) is None else _number_text(by_col[i]) if isinstance(by_col[i], int | float)
             and not isinstance(by_col[i], bool) else str(by_col[i])) for i in range(1, width + 1)]


def header_problem(reader: Sheet, header_row: int, rule: str, message: str, line=None, fld=None, value=None):
    col = None
    m = re.match(r"column (\d+)", message)
    if m:
        col = column_letter(int(m.group(1)))
        message = f"column {col}" + message[m.end():]
    reader.problem(rule, message, header_row, fld, value, f"{col}{header_row}" if col else None)
