"""A resource's CSV dialect (Table Dialect v2) and character encoding, read from its descriptor.

The reader (:mod:`cmokit.package.reader`) reads a file the way its resource declares: ``delimiter``, ``quoteChar``,
``doubleQuote``, ``escapeChar``, ``skipInitialSpace``, ``header``, ``headerRows``/``headerJoin``, ``commentChar``,
``commentRows`` and ``nullSequence`` (a missing value of every field), and ``encoding``. Properties of JSON,
spreadsheet and database dialects (``property``, ``itemType``, ``itemKeys``, ``sheetNumber``, ``sheetName``,
``table``) do not apply to a CSV file and are ignored, as the spec requires; ``caseSensitiveHeader`` and
``csvddfVersion`` were removed from the standard and are ignored too. What cmokit cannot honour is refused
(``schema.unsupported``): a delimiter of several characters, a line terminator other than LF, CRLF or CR, an unknown
encoding, a dialect given as a path.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from typing import Any

from cmokit.package.spec import Issue, misspelling

CSV_PROPERTIES = ("$schema", "header", "headerRows", "headerJoin", "commentRows", "commentChar", "delimiter",
                  "lineTerminator", "quoteChar", "doubleQuote", "escapeChar", "nullSequence", "skipInitialSpace")
OTHER_FORMATS = ("property", "itemType", "itemKeys", "sheetNumber", "sheetName", "table", "caseSensitiveHeader",
                 "csvddfVersion")
UTF8 = ("utf-8", "utf8", "utf_8", "u8")


@dataclass(frozen=True)
class Dialect:
    """How a resource's CSV file is written (the spec's defaults when nothing is declared)."""

    delimiter: str = ","
    quote_char: str = '"'
    double_quote: bool = True
    escape_char: str | None = None
    skip_initial_space: bool = False
    header: bool = True
    header_rows: tuple[int, ...] = (1,)
    header_join: str = " "
    comment_char: str | None = None
    comment_rows: tuple[int, ...] = ()
    null_sequence: str | None = None
    encoding: str | None = None  # the resource's declared encoding (None: UTF-8 expected, cp1252 diagnosed)

    @property
    def python_only(self) -> bool:
        """True when only Python's csv module reads this dialect exactly (escapes, no doubled quotes...)."""
        return self.escape_char is not None or not self.double_quote or self.skip_initial_space

    @property
    def utf8(self) -> bool:
        return self.encoding is None or self.encoding.lower().replace("-", "_") in {u.replace("-", "_") for u in UTF8}

    def csv_args(self) -> dict[str, Any]:
        """Keyword arguments of :func:`csv.reader` for this dialect."""
        return {"delimiter": self.delimiter, "quotechar": self.quote_char, "doublequote": self.double_quote,
                "escapechar": self.escape_char, "skipinitialspace": self.skip_initial_space}


def _rows(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1
                                                           for v in value)


def read_dialect(rd: dict, name: str) -> tuple[Dialect, list[Issue]]:
    """The dialect and encoding a resource descriptor declares, and what in them cmokit cannot honour."""
    issues: list[Issue] = []
    d = rd.get("dialect") or {}

    def refuse(prop: str, message: str, rule: str = "schema.unsupported") -> None:
        issues.append(Issue(rule, f"resource '{name}': {message}", None, prop))

    if isinstance(d, str):
        refuse("dialect", "the dialect is given as a path; write it inline in the resource (an object such as "
                          "{\"delimiter\": \";\"}).")
        d = {}
    elif not isinstance(d, dict):
        refuse("dialect", "the dialect must be an object.", "schema.invalid")
        d = {}
    for prop in d:
        if prop not in CSV_PROPERTIES and prop not in OTHER_FORMATS:
            guess = misspelling(prop, CSV_PROPERTIES + OTHER_FORMATS)
            if guess:
                refuse(prop, f"'{prop}' is not a dialect property; did you mean '{guess}'?")
    kw: dict[str, Any] = {}
    for prop, attr in (("delimiter", "delimiter"), ("quoteChar", "quote_char"), ("escapeChar", "escape_char"),
                       ("commentChar", "comment_char"), ("nullSequence", "null_sequence"),
                       ("headerJoin", "header_join")):
        if prop not in d:
            continue
        v = d[prop]
        if not isinstance(v, str) or (not v and prop != "headerJoin"):
            refuse(prop, f"dialect '{prop}' must be a non-empty string, not {v!r}.", "schema.invalid")
        elif prop in ("delimiter", "quoteChar", "escapeChar") and len(v) != 1:
            what = "several characters" if len(v) > 1 else "no character"
            refuse(prop, f"dialect '{prop}' {v!r} has {what}; cmokit reads CSV files whose {prop} is one "
                         "character.")
        else:
            kw[attr] = v
    for prop, attr in (("header", "header"), ("doubleQuote", "double_quote"),
                       ("skipInitialSpace", "skip_initial_space")):
        if prop in d:
            if isinstance(d[prop], bool):
                kw[attr] = d[prop]
            else:
                refuse(prop, f"dialect '{prop}' must be true or false, not {d[prop]!r}.", "schema.invalid")
    for prop, attr in (("headerRows", "header_rows"), ("commentRows", "comment_rows")):
        if prop in d:
            if _rows(d[prop]):
                kw[attr] = tuple(sorted(set(d[prop])))
            else:
                refuse(prop, f"dialect '{prop}' must be an array of row numbers (1, 2, ...).", "schema.invalid")
    lt = d.get("lineTerminator")
    if lt is not None and lt not in ("\r\n", "\n", "\r"):
        refuse("lineTerminator", f"dialect 'lineTerminator' {lt!r}: cmokit reads lines ended by LF, CRLF or CR "
                                 "only.")
    if kw.get("quote_char") is not None and kw.get("quote_char") == kw.get("delimiter", ","):
        refuse("quoteChar", "the quote character and the delimiter must differ.", "schema.invalid")
    enc = rd.get("encoding")
    if enc is not None:
        try:
            codecs.lookup(enc) if isinstance(enc, str) else None
            if not isinstance(enc, str):
                raise LookupError
            kw["encoding"] = enc
        except LookupError:
            refuse("encoding", f"encoding {enc!r} is not a character encoding cmokit knows (e.g. utf-8, "
                               "windows-1252, iso-8859-1, utf-16).")
    for prop in ("compression", "data"):
        if prop in rd:
            refuse(prop, f"'{prop}': cmokit reads one uncompressed CSV file per resource (a 'path').")
    return Dialect(**kw), issues


def declared_encoding(data: bytes, encoding: str, problem) -> bytes:
    """The file decoded with its declared encoding, as UTF-8; a byte that encoding cannot decode is reported."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start:exc.start + 1].hex()
        problem("file.encoding", f"line {line}: byte 0x{bad} is not valid {encoding}, the encoding the resource "
                                 "declares. Save the file in that encoding, or correct the resource's 'encoding'.",
                line=line, value=f"0x{bad}")
        text = data.decode(encoding, errors="replace")
    return text.lstrip("\ufeff").encode("utf-8")


def apply_dialect(data: bytes, resource: Any) -> tuple[bytes, int]:
    """The bytes with comment lines emptied (line numbers kept) and one header line: the dialect's header rows
    joined, or the schema's field names when the file has no header. Returns (bytes, lines to move numbers by)."""
    d = resource.dialect
    lines = data.split(b"\n")
    comment = d.comment_char.encode("utf-8") if d.comment_char is not None else None
    for i, line in enumerate(lines):
        if (i + 1) in d.comment_rows or (comment is not None and line.startswith(comment)):
            lines[i] = b"\r" if line.endswith(b"\r") else b""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=d.delimiter, quotechar=d.quote_char, lineterminator="\n")
    if not d.header:
        writer.writerow(resource.field_names)
        return buf.getvalue().encode("utf-8") + b"\n".join(lines), -1
    last = max(d.header_rows)
    rows = [next(csv.reader([lines[r - 1].decode("utf-8", errors="replace").rstrip("\r")], **d.csv_args()), [])
            if r <= len(lines) else [] for r in d.header_rows]
    width = max((len(r) for r in rows), default=0)
    filled = []
    for r in rows:  # a merged cell of a header row covers the columns to its right (the spec's "fruit" example)
        cells, prev = [], ""
        for i in range(width):
            prev = r[i] if i < len(r) and r[i] != "" else prev
            cells.append(prev)
        filled.append(cells)
    header = [d.header_join.join(x for x in col if x) for col in zip(*filled, strict=True)]
    writer.writerow(header)
    return buf.getvalue().encode("utf-8") + b"\n".join(lines[last:]), last - 1
