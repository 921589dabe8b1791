"""Read a resource's CSV file as text: structure checks and the physical line of every record.

Every cell is read as a string (polars, ``infer_schema=False``); types are checked afterwards, cell by cell,
in :mod:`cmokit.validation.cells`. The physical line of each record (header = line 1) is found with a vectorised scan of
the bytes (quote parity, then unquoted newlines and commas), which is exact even when quoted cells hold
newlines. The same scan counts the cells of every record, which polars cannot do (it pads short rows silently).
When the scan and polars disagree (stray quotes, lone carriage returns...), the file is re-read with Python's
``csv`` module, which is slower but authoritative.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from cmokit.core.problems import Problem
from cmokit.package.dialect import Dialect, apply_dialect, declared_encoding
from cmokit.package.header import header_problems
from cmokit.package.model import Resource

if TYPE_CHECKING:
    import polars as pl

    from cmokit.package.survey import Survey

csv.field_size_limit(2**31 - 1)  # a cell may be as long as the file: the csv module's default stops at 128 KiB

LINE = "__line"
RAGGED = "__ragged"
BOM = b"\xef\xbb\xbf"
CHUNK = 1 << 24  # bytes per step of the scan (bounds its memory)


@dataclass
class Table:
    """One resource's CSV, read as text.

    ``frame`` has one String column per schema field found in the header (named by the field; cells never null:
    an empty cell is ""), plus ``__line`` (physical CSV line of the record) and ``__ragged`` (the record had
    more or fewer cells than the header). ``frame`` is None when the file could not be read as a table at all.
    """

    resource: Resource
    path: str  # as shown to users (relative to the review folder when inside it)
    frame: pl.DataFrame | None = None
    header: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return self.frame is not None

    @property
    def rows(self) -> int:
        return 0 if self.frame is None else self.frame.height

    def columns(self) -> list[str]:
        """Schema fields present in the file (in schema order)."""
        if self.frame is None:
            return []
        have = set(self.frame.columns)
        return [f for f in self.resource.field_names if f in have]


def shown_path(path: Path, root: Path) -> str:
    """A file's path as shown to users: relative to the review folder when inside it, else as given."""
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def read_table(resource: Resource, file: Path, shown: str, *, data: bytes | None = None,
               first_line: int = 1) -> Table:
    """Read ``file`` as the CSV of ``resource``; report structure problems; never raise for bad content.

    ``data``: the bytes to read instead of the file's (e.g. a file whose first lines are not part of the table);
    ``first_line``: the physical line of the header in the file, so that every line number reported is the file's.
    """
    table, moved = _read(resource, file, shown, data)
    if first_line != 1 or moved:
        shift = first_line - 1 + moved
        table.problems = [replace(p, line=p.line + shift) if p.line is not None else p for p in table.problems]
        if table.frame is not None:
            import polars as pl

            table.frame = table.frame.with_columns(pl.col(LINE) + shift)
    return table


def _read(resource: Resource, file: Path, shown: str, given: bytes | None) -> tuple[Table, int]:
    """The table and how many lines its line numbers must move (a dialect's header rows or absent header)."""
    table = Table(resource=resource, path=shown)
    dialect = resource.dialect

    def problem(rule: str, message: str, line: int | None = None, fld: str | None = None,
                value: str | None = None) -> None:
        table.problems.append(Problem(rule=rule, message=message, resource=resource.name, path=shown, line=line,
                                      field=fld, value=value))

    if given is None and file.exists() and not file.is_file():  # a pipe or device could block forever: never read
        problem("file.unsafe", f"{shown}: is not a regular file (a folder, pipe, socket or device); it was not read. "
                               "Put the CSV file itself there.")
        return table, 0
    if given is None:
        surveyed = _read_surveyed(file, resource, dialect, problem)
        if surveyed is not None:
            table.header, table.frame = surveyed
            return table, 0
    try:
        data = file.read_bytes() if given is None else given
    except OSError as exc:
        problem("file.missing", f"{shown}: cannot be read ({exc.strerror or exc}).")
        return table, 0
    if not dialect.utf8:  # the resource declares its encoding: decode it, then read UTF-8
        data = declared_encoding(data, dialect.encoding or "utf-8", problem)
        given = data
    bom = data.startswith(BOM)
    if bom:
        data = data[len(BOM):]
    if re.search(rb"[^\s]", data) is None:
        problem("file.empty", f"{shown}: the file is empty; it needs at least the header line "
                              f"({','.join(resource.field_names[:4])},...). Run `cmokit template` for a blank form.")
        return table, 0
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        problem("file.encoding", f"{shown}: the file is UTF-16 text (Excel's 'Unicode text'). "
                                 "Save it as 'CSV UTF-8 (comma delimited)', or declare \"encoding\": \"utf-16\" "
                                 "in the resource.", line=1)
        return table, 0
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        problem("file.nul", f"{shown}, line {line}: the file contains NUL bytes, so it is not a text CSV (a "
                            "spreadsheet or a UTF-16 file saved with a .csv name?). "
                            "Save it as 'CSV UTF-8 (comma delimited)'.", line=line)
        return table, 0
    # polars parses the bytes already read (as fast as reading the file itself): handing it the path would map the
    # file a second time beside them, a second copy of the file in the peak memory
    source: Path | bytes = data
    if bom:
        if not data.isascii():
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                data, source = _reencode(data, problem)
    moved = 0
    if dialect.comment_char is not None or dialect.comment_rows or not dialect.header or dialect.header_rows != (1,):
        data, moved = apply_dialect(data, resource)
        source = data
    header, header_lines = _header(data, dialect)
    if not header or (len(header) == 1 and not header[0].strip() and header_lines <= 1):
        problem("file.empty", f"{shown}: no header line. The first line must name the columns "
                              f"({','.join(resource.field_names[:4])},...).", line=1)
        return table, moved
    names = set(resource.field_names)
    if len(header) == 1 and len(names) > 1:
        for sep, what in ((",", "commas"), (";", "semicolons"), ("\t", "tabs")):
            parts = [p.strip().strip('"') for p in header[0].split(sep)]
            if sep != dialect.delimiter and sep in header[0] and names.intersection(parts):
                declared = "commas" if dialect.delimiter == "," else f"'{dialect.delimiter}'"
                problem("file.delimiter",
                        f"{shown}: the columns are separated by {what}, not {declared} (Excel with European settings "
                        "saves CSV with semicolons). Save it as 'CSV UTF-8 (comma delimited)', or set the list "
                        "separator to ',' before saving; or declare the resource's dialect "
                        f"({{\"delimiter\": \"{sep.encode('unicode_escape').decode()}\"}}).",
                        line=1, value=header[0][:80])
                if dialect.utf8 and not data.isascii():  # the same file is often not UTF-8 either: say it now
                    try:
                        data.decode("utf-8")
                    except UnicodeDecodeError:
                        _reencode(data, problem)
                return table, moved
    table.header = header
    keep = header_problems(header, resource, problem)
    table.frame = _records(data, source, header, header_lines, keep, problem, dialect)
    return table, moved


def _header(data: bytes, dialect: Dialect) -> tuple[list[str], int]:
    """The header record and the number of physical lines it spans."""
    quote = dialect.quote_char.encode("utf-8")
    end = 0
    # the header rarely holds quoted newlines; take enough bytes for it
    for _ in range(64):
        nxt = data.find(b"\n", end)
        end = len(data) if nxt < 0 else nxt + 1
        chunk = data[:end]
        if chunk.count(quote) % 2 == 0 or end >= len(data):
            break
    text = data[:end].decode("utf-8", errors="replace")
    rows = list(csv.reader(io.StringIO(text, newline=""), **dialect.csv_args()))
    if not rows:
        return [], 0
    return rows[0], max(1, text.count("\n"))


def _scan(data: bytes, sep: int = 44, quote: int = 34) -> tuple[list[int], list[int], list[bool], bool]:
    """Per record (header included): first physical line, number of cells, blank line; and whether a quote is
    left open at the end of the file.

    Vectorised over chunks of bytes: the state "inside quotes" is the running parity of '"' bytes; record
    ends are unquoted newlines, cell separators unquoted commas.
    """
    import numpy as np

    arr = np.frombuffer(data, dtype=np.uint8)
    n = arr.size
    ends: list = []
    fields: list = []
    nl_all: list = []
    carry = 0
    pending = 0
    for s in range(0, n, CHUNK):
        a = arr[s:s + CHUNK]
        par = np.bitwise_xor.accumulate((a == quote).view(np.uint8))
        if carry:
            par ^= 1
        carry = int(par[-1])
        out = par == 0
        is_nl = a == 10
        nl_all.append(np.flatnonzero(is_nl) + s)
        nl = np.flatnonzero(is_nl & out)
        cm = np.flatnonzero((a == sep) & out)
        if nl.size:
            k = np.searchsorted(cm, nl)
            per = np.diff(k, prepend=0)
            per[0] += pending
            pending = int(cm.size - k[-1])
            ends.append(nl + s)
            fields.append(per + 1)
        else:
            pending += int(cm.size)
    end = np.concatenate(ends) if ends else np.zeros(0, dtype=np.int64)
    cnt = np.concatenate(fields) if fields else np.zeros(0, dtype=np.int64)
    last = int(end[-1]) + 1 if end.size else 0
    if last < n and data[last:].strip(b"\r\n"):
        end = np.append(end, n)
        cnt = np.append(cnt, pending + 1)
    starts = np.concatenate(([0], end[:-1] + 1)) if end.size else end
    alln = np.concatenate(nl_all) if nl_all else np.zeros(0, dtype=np.int64)
    lines = np.searchsorted(alln, starts) + 1
    length = end - starts
    blank = (cnt == 1) & ((length == 0) | ((length == 1) & (arr[np.minimum(starts, n - 1)] == 13)))
    return lines.tolist(), cnt.tolist(), blank.tolist(), bool(carry)


def _read_surveyed(file: Path, resource: Resource, dialect: Dialect, problem
                   ) -> tuple[list[str], pl.DataFrame] | None:
    """(header, records) of a large file of the usual kind, read by polars from the disk after a survey
    (:mod:`cmokit.package.survey`); None when the file must be read into memory first (anything unusual)."""
    from cmokit.package import survey as sv

    try:
        if not sv.surveyable(dialect) or file.stat().st_size <= sv.SURVEY_BYTES:
            return None
        s = sv.survey(file, dialect.delimiter.encode())
    except OSError:  # the whole read reports it
        return None
    if s.nul or s.blank or s.head.startswith((BOM, b"\xff\xfe", b"\xfe\xff")):
        return None
    header, header_lines = _header(s.head, dialect)
    if len(header) <= 1 or s.head.count(b"\n") <= header_lines:  # one column, or a header beyond the first bytes
        return None
    keep = header_problems(header, resource, problem)
    return header, _records(None, file, header, header_lines, keep, problem, dialect, survey=s)


def _records(data: bytes | None, source: Path | bytes, header: list[str], header_lines: int, keep: dict[int, str],
             problem, dialect: Dialect, survey: Survey | None = None) -> pl.DataFrame:
    """The data records as a frame of strings, with physical lines; report ragged records.

    Fast path: polars reads the file; the line of record i is ``1 + header lines + i + newlines inside the cells
    of records before it``; the total must match the file's line count. Records whose last cell is empty may be
    short (polars pads them silently): their cells are counted from the separators that end their last line
    (:func:`_short_or_empty`). Anything odd (a long record, stray quotes, a mismatch) switches to the exact
    vectorised scan of the bytes. ``data`` None: polars reads the
    file ``source`` (whose ``survey`` says what the bytes would), and its bytes are read only if a slower path
    needs them.
    """
    import polars as pl

    width = len(header)
    positional = [f"c{i}" for i in range(width)]
    frame = None if dialect.python_only else _fast(data, source, width, header_lines, positional, dialect, survey)
    if data is None and (frame is None or isinstance(frame, str)):
        data = Path(source).read_bytes()
    if frame is None:
        frame = _scanned(data, width, header_lines, positional, dialect)
    if isinstance(frame, str):  # polars found invalid UTF-8 that the cheap check let through
        return _records(*_reencode(data, problem), header, header_lines, keep, problem, dialect)
    frame = frame.select([pl.col(f"c{i}").fill_null("").alias(name) for i, name in keep.items()]
                         + [pl.col(LINE), pl.col(RAGGED), pl.col("__cells")])
    open_quote = frame.height and frame.get_column("__cells")[-1] == -1
    if open_quote:
        problem("row.quote", "a quote (\") opened in this record is never closed, so everything from here to the end "
                             "of the file was read as one cell. Close the quote, or double quotes inside a quoted "
                             "cell (\"\").", frame.get_column(LINE)[-1])
    ragged = frame.filter(pl.col(RAGGED) & (pl.col("__cells") >= 0)).select(LINE, "__cells")
    for line, n in ragged.iter_rows():
        more = "more" if n > width else "fewer"
        problem("row.ragged", f"this record has {n} cells but the header has {width} ({more} cells than columns; an "
                              "unquoted comma or a missing cell?). Quote cells that contain commas, and give every row "
                              "one cell per column. Its cells were not checked.", line)
    return frame.drop("__cells")


def _reencode(data: bytes, problem) -> tuple[bytes, bytes]:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start:exc.start + 1].hex()
        problem("file.encoding",
                f"line {line}: the file is not UTF-8 (byte 0x{bad} is not valid UTF-8; probably Latin-1 / "
                "Windows-1252 from Excel). Save it as UTF-8 ('CSV UTF-8' in Excel, or re-encode it: "
                "iconv -f WINDOWS-1252 -t UTF-8). The rest of the file was checked as Windows-1252.",
                line=line, value=f"0x{bad}")
        data = data.decode("cp1252", errors="replace").encode("utf-8")
    return data, data


def _fast(data: bytes | None, source: Path | bytes, width: int, header_lines: int,
          positional: list[str], dialect: Dialect, survey: Survey | None = None) -> pl.DataFrame | str | None:
    """polars read + line numbers from embedded newlines; None when the exact scan is needed. ``data`` None: the
    ``survey`` of the file ``source`` gives its lines."""
    import polars as pl

    try:
        frame = pl.read_csv(source, has_header=True, new_columns=positional, infer_schema=False, raise_if_empty=False,
                            quote_char=dialect.quote_char, separator=dialect.delimiter)
    except Exception as exc:  # noqa: BLE001 - long records, unclosed quotes, bad UTF-8...
        return "utf8" if "utf-8" in str(exc).lower() or "utf8" in str(exc).lower() else None
    if frame.width != width:
        return None
    n = frame.height
    total_lines = survey.lines if data is None else data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if n == 0:
        return frame.with_columns(pl.lit(None, pl.Int64).alias(LINE), pl.lit(False).alias(RAGGED),
                                  pl.lit(width, pl.Int64).alias("__cells")) if total_lines == header_lines else None
    first = pl.int_range(pl.len(), dtype=pl.Int64) + 1 + header_lines
    if total_lines == header_lines + n:  # no line breaks inside cells: record i is on line header_lines + 1 + i
        frame = frame.with_columns(first.alias(LINE), pl.lit(0, pl.Int64).alias("__emb"))
    else:
        emb = pl.sum_horizontal([pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in positional])
        frame = frame.with_columns((first + emb.cum_sum().shift(1, fill_value=0)).alias(LINE), emb.alias("__emb"))
    last_line, last_emb = frame.select(pl.col(LINE).last(), pl.col("__emb").last()).row(0)
    if last_line + last_emb != total_lines:
        return None
    cells = _short_or_empty(frame, positional, survey, data, dialect) if width > 1 else {}
    if cells is None:
        return None
    frame = frame.drop("__emb")
    counts = pl.col(LINE).replace_strict(list(cells), list(cells.values()), default=width, return_dtype=pl.Int64) \
        if cells else pl.lit(width, pl.Int64)
    frame = frame.with_columns(counts.alias("__cells"))
    frame = frame.with_columns((pl.col("__cells") != width).alias(RAGGED))
    blank = frame.get_column("__cells") == 0
    return frame.filter(~blank) if blank.any() else frame


def _short_or_empty(frame: pl.DataFrame, positional: list[str], survey: Survey | None, data: bytes | None,
                    dialect: Dialect) -> dict[int, int] | None:
    """Cells of the records whose last cell polars read as null (0 for a blank line), by their first line; None
    when the survey cannot say (the exact scan decides).

    polars reads an empty last cell and a missing one (a short record, which it pads) alike. A record of ``c``
    cells whose last ``e`` cells are empty ends with ``e`` separators; polars gives it ``e + width - c`` trailing
    nulls. So from the trailing nulls ``k`` of each such record and the separators ``t`` that end its last line
    (:func:`cmokit.package.survey.scan`), ``c = width - k + t`` (``t + 1`` when every cell is null).
    """
    import io

    import numpy as np
    import polars as pl

    from cmokit.package import survey as sv

    trailing = pl.col(positional[-1]).is_null()
    k = trailing.cast(pl.Int64)
    for c in reversed(positional[:-1]):
        trailing = trailing & pl.col(c).is_null()
        k = k + trailing.cast(pl.Int64)
    cand = frame.filter(pl.col(positional[-1]).is_null()).select(
        LINE, (pl.col(LINE) + pl.col("__emb")).alias("_end"), k.alias("_k"),
        (pl.col(positional[0]).str.strip_chars() == "").fill_null(True).alias("_blank"))
    if not cand.height:
        return {}
    if survey is None:  # the bytes are in memory
        survey = sv.scan(io.BytesIO(data), dialect.delimiter.encode())
    end = cand.get_column("_end").to_numpy()
    if end.max() > survey.lines:  # the file changed since it was looked through
        return None
    t = survey.trailing[end - 1].astype(np.int64)
    if (t >= sv.CAP).any():
        return None
    width, nulls, blank = len(positional), cand.get_column("_k").to_numpy(), cand.get_column("_blank").to_numpy()
    c = np.where(nulls < width, width - nulls + t, np.where(t > 0, t + 1, 0))
    c = np.where((c == 1) & blank, 0, c)
    return dict(zip(cand.get_column(LINE).to_list(), c.tolist(), strict=True))


def _scanned(data: bytes, width: int, header_lines: int, positional: list[str], dialect: Dialect) -> pl.DataFrame:
    """Exact path: vectorised scan for lines and cell counts, polars (or the csv module) for the cells."""
    import polars as pl

    frame = None
    sep, quote = ord(dialect.delimiter), ord(dialect.quote_char)
    lines, counts, blank, open_quote = _scan(data, sep, quote) if not dialect.python_only else ([], [], [], False)
    if lines and counts[0] == width and not open_quote and sep < 128 and quote < 128:
        lines, counts, blank = lines[1:], counts[1:], blank[1:]
        try:
            frame = pl.read_csv(data, has_header=True, new_columns=positional, infer_schema=False,
                                truncate_ragged_lines=True, raise_if_empty=False, quote_char=dialect.quote_char,
                                separator=dialect.delimiter)
        except Exception:  # noqa: BLE001 - polars refuses what the csv module can still read
            frame = None
        if frame is not None and (frame.width != width or frame.height != len(lines)):
            frame = None
    if frame is None:
        cols, lines, counts, blank, open_quote = _slow(data, width, header_lines, dialect)
        frame = pl.DataFrame({c: cols[i] for i, c in enumerate(positional)}, schema={c: pl.String for c in positional})
    cells = [-1 if open_quote and i == len(counts) - 1 else (0 if b else c)
             for i, (c, b) in enumerate(zip(counts, blank, strict=True))]
    frame = frame.with_columns(pl.Series(LINE, lines, dtype=pl.Int64), pl.Series("__cells", cells, dtype=pl.Int64))
    frame = frame.with_columns((pl.col("__cells") != width).alias(RAGGED))
    return frame.filter(pl.col("__cells") != 0)


def _slow(data: bytes, width: int, header_lines: int, dialect: Dialect
          ) -> tuple[list[list[str]], list[int], list[int], list[bool], bool]:
    """Authoritative but slower read with the csv module: cells, first line, cell count, blank flag per record,
    and whether the last record ends inside an unclosed quote."""
    text = data.decode("utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), **dialect.csv_args())
    cols: list[list[str]] = [[] for _ in range(width)]
    lines: list[int] = []
    counts: list[int] = []
    blank: list[bool] = []
    prev = 0
    first = True
    try:
        for row in reader:
            start = prev + 1
            prev = reader.line_num
            if first:
                first = False
                continue
            lines.append(start)
            counts.append(len(row) if row else 1)
            blank.append(not row)
            for i in range(width):
                cols[i].append(row[i] if i < len(row) else "")
    except csv.Error:
        pass  # a malformed end of file: keep what was read
    # a quote left open: an odd number of quotes in the file, and the last record does not parse strictly
    # (a stray quote inside an unquoted cell, 5" tall, is read as a literal, as Excel does)
    open_quote = False
    if lines and not dialect.python_only and _scan(data, ord(dialect.delimiter), ord(dialect.quote_char))[3]:
        buf = io.StringIO(text, newline="")
        for _ in range(lines[-1] - 1):
            buf.readline()
        try:
            for _ in csv.reader(buf, strict=True, **dialect.csv_args()):
                pass
        except csv.Error:
            open_quote = True
    return cols, lines, counts, blank, open_quote
