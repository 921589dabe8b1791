"""Changing a review's form after piloting: ``cmokit add-field`` and ``cmokit add-code``.

:func:`add_field` adds a field to a table: the Table Schema, the codebook (for a coded field) and the CSV header of
the consensus file and of every reviewer's submission under ``extract/reviewers/`` (each existing record gets the
``fill`` value, by default an empty cell: "not yet extracted"). :func:`add_code` adds a code to a coded field: the
schema's ``enum`` (or the pattern of a multi-code field) and the codebook. Every file of one change is written as
one set (:mod:`cmokit.core.fileset`): all or nothing. Everything is checked before anything is written.

Reviewers' Excel workbooks are never rewritten (a workbook is a reviewer's own file, perhaps open in Excel, and
rewriting it with a library could drop what the library does not read): the result lists each workbook holding the
table, and ``cmokit validate --reviewer ID`` reports the missing column until the reviewer adds it (or writes a new
form with ``cmokit template``). CSV files are changed byte for byte only where the new column goes: quoting, line
endings and every existing cell stay as they were.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from cmokit.core.errors import CmokitError
from cmokit.package.model import ROLES, Field, Resource, Review
from cmokit.package.spec import STUDY_PARTS, TYPES, schema_issues
from cmokit.package.submission import REVIEWERS_DIR, scan_folder

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
JOURNAL = ".cmokit/edit.journal"
CODED_TYPES = ("string", "integer")
UNDEFINED = ("Not yet defined: say what the code means and when to use it (schema/codebook.csv, or remove the code "
             "and add it again with cmokit add-code --label --definition).")


@dataclass
class EditResult:
    """What a change wrote (``files``) and the workbooks it left for their reviewers (path, sheet)."""

    files: list[Path] = field(default_factory=list)
    workbooks: list[tuple[Path, str]] = field(default_factory=list)


def _error(message: str, rule: str, path: str | None = None) -> CmokitError:
    return CmokitError(message, rule=rule, path=path)


def _commit(review: Review, files: dict[Path, bytes]) -> None:
    """Write ``files`` as one set; an OSError becomes a message saying what state the review is in."""
    from cmokit.core.fileset import commit

    journal = review.root / JOURNAL
    try:
        commit(files, journal)
    except OSError as exc:
        if journal.exists():
            raise _error(f"the change was interrupted while its files were replaced ({exc.strerror or exc}); the "
                         "next cmokit add-field or add-code completes it first (the journal .cmokit/edit.journal "
                         "lists the files). Fix the cause, then run one of them, e.g. again this one.",
                         "edit.interrupted") from None
        raise _error(f"the files could not be written ({exc.strerror or exc}); nothing was changed.",
                     "edit.write") from None


def _recovered(review: Review) -> Review:
    """The review after finishing a change a dead run left half done (its journal), re-read if anything moved."""
    from cmokit.core.fileset import JournalError, finish

    journal = review.root / JOURNAL
    try:
        finished = finish(journal)
    except JournalError as exc:
        raise _error(f"{JOURNAL}: the journal of an interrupted add-field or add-code cannot be read ({exc}). Check "
                     "the schema, codebook and CSV headers with `cmokit validate` and git, then delete the journal.",
                     "edit.interrupted", str(journal)) from None
    return Review.open(review.root) if finished else review


def _editable(review: Review, table: str) -> Resource:
    if not review.has(table):
        known = ", ".join(r.name for r in review.resources)
        raise _error(f"no table named '{table}' in this review (tables: {known}).", "edit.table")
    res = review.resource(table)
    if table == "codebook" or res.descriptor.get("cmokit:role") == "audit-log":
        raise _error(f"'{table}' is written by cmokit itself (the codebook by add-code, the audit log by reconcile); "
                     "its fields cannot be changed.", "edit.table")
    if res.schema_path is None:
        raise _error(f"the schema of '{table}' is written inside datapackage.json; move it to a file "
                     f"(schema/{table}.schema.json) to change it with cmokit.", "edit.table")
    return res


def parse_codes(text: str, field_type: str, missing: dict[str, str], multiple: bool = False) -> list[str]:
    """The codes of ``--codes a,b,c``; CmokitError for an empty, repeated or malformed code."""
    codes = [c.strip() for c in text.split(",")]
    if not codes or any(not c for c in codes):
        raise _error(f"--codes '{text}': give codes separated by commas, e.g. --codes school,clinic,home (no empty "
                     "code).", "edit.code")
    for c in codes:
        check_code(c, field_type, missing, multiple)
    repeated = sorted({c for c in codes if codes.count(c) > 1})
    if repeated:
        raise _error(f"--codes '{text}': {', '.join(repeated)} is given twice.", "edit.code")
    return codes


def check_code(code: str, field_type: str, missing: dict[str, str], multiple: bool = False) -> None:
    """CmokitError unless ``code`` can be a code of a field of ``field_type``."""
    if field_type == "integer":
        if not re.fullmatch(r"-?[0-9]+", code):
            raise _error(f"code '{code}' is not an integer, and the field is an integer field.", "edit.code")
    elif not CODE_RE.match(code):
        raise _error(f"code '{code}' is not a code: use letters, digits, '_', '-' and '.', starting with a letter or "
                     "digit (e.g. 'home_visit'); no spaces, commas or ';'.", "edit.code")
    if code in missing:
        raise _error(f"code '{code}' is a missing value of the table ({missing[code] or 'missing'}); choose another "
                     "code.", "edit.code")


def multi_pattern(codes: list[str]) -> str:
    """The pattern cmokit writes for a multi-code field (codes separated by '; ')."""
    alts = "|".join(re.escape(c) for c in codes)
    return f"^({alts})(; ?({alts}))*$"


# ------------------------------------------------------------------------------------------------ CSV files

def records(text: str, dialect) -> list[tuple[str, str]]:
    """Split CSV text into (record, line terminator) pairs, honouring quoted line breaks (the last record's
    terminator may be '')."""
    quote, escape = dialect.quote_char, dialect.escape_char
    out: list[tuple[str, str]] = []
    start, i, n, quoted = 0, 0, len(text), False
    while i < n:
        ch = text[i]
        if escape and ch == escape and i + 1 < n:
            i += 2
            continue
        if quote and ch == quote:
            quoted = not quoted
        elif not quoted and ch in "\r\n":
            end = i + 2 if text.startswith("\r\n", i) else i + 1
            out.append((text[start:i], text[i:end]))
            start = i = end
            continue
        i += 1
    if start < n:
        out.append((text[start:], ""))
    return out


def _csv_files(review: Review, res: Resource) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The CSV files holding ``res``: the consensus file and each submission's; and the workbooks holding it."""
    files = [res.path] if res.path.is_file() else []
    books: list[tuple[Path, str]] = []
    base = review.root / REVIEWERS_DIR
    for folder in sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []:
        scan = scan_folder(review, folder)
        held = scan.files.get(res.name)
        if held is None:
            continue
        if held.suffix.lower() == ".xlsx":
            books.append((held, res.name))
        else:
            files.append(held)
    return files, books


def _cell(value: str, dialect) -> str:
    """``value`` as a CSV cell (quoted when it holds the delimiter, a quote or a line break)."""
    q = dialect.quote_char or '"'
    if any(c in value for c in (dialect.delimiter, q, "\r", "\n")):
        return q + value.replace(q, q + q) + q
    return value


def check_fill(fill: str, fd: dict, codes: list[str], missing: dict[str, str], multiple: bool) -> None:
    """CmokitError unless ``fill`` can stand in every existing row of a new field (described by ``fd``)."""
    if fill == "" or fill in missing:
        return
    typ = fd["type"]
    what = f"--fill '{fill}'"
    if codes:
        parts = [p.strip() for p in fill.split(";")] if multiple else [fill]
        bad = [p for p in parts if p not in codes]
        if bad:
            raise _error(f"{what}: {', '.join(bad)} is not one of the codes ({', '.join(codes)}) nor a missing "
                         f"value ({', '.join(repr(m) for m in missing)}).", "edit.fill")
    elif typ == "integer" and not re.fullmatch(r"-?[0-9]+", fill):
        raise _error(f"{what} is not an integer.", "edit.fill")
    elif typ == "number" and not re.fullmatch(r"-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?", fill):
        raise _error(f"{what} is not a number.", "edit.fill")
    elif typ == "boolean" and fill not in ("true", "false"):
        raise _error(f"{what}: a boolean field takes true or false (or a missing value).", "edit.fill")
    elif typ not in ("string", "integer", "number", "boolean"):
        raise _error(f"{what}: a {typ} field can be filled only with a missing value "
                     f"({', '.join(repr(m) for m in missing)}).", "edit.fill")
    if "\n" in fill or "\r" in fill:
        raise _error(f"{what}: the value must be one line.", "edit.fill")


def _read(path: Path, shown: str) -> tuple[str, bool]:
    """A CSV file's text and whether it starts with a byte-order mark; CmokitError when it is not UTF-8."""
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        return raw[3 if bom else 0:].decode("utf-8"), bom
    except UnicodeDecodeError:
        raise _error(f"{shown}: is not UTF-8 text; run `cmokit validate` and save it as UTF-8 first.",
                     "edit.encoding", shown) from None


def _with_column(path: Path, res: Resource, name: str, review: Review, fill: str = "") -> bytes:
    """The file's bytes with a last column ``name``: the header gets the name, every record the cell ``fill``
    (empty by default: not yet extracted)."""
    d = res.dialect
    shown = path.relative_to(review.root).as_posix() if path.is_relative_to(review.root) else str(path)
    if not d.header or d.header_rows != (1,) or d.comment_rows or d.comment_char or not d.utf8:
        raise _error(f"{shown}: its dialect (no header, several header rows, comment rows or a non-UTF-8 "
                     "encoding) is not one cmokit edits; add the column by hand.", "edit.dialect", shown)
    text, bom = _read(path, shown)
    recs = records(text, d)
    if not recs:
        recs = [(",".join(res.field_names), "\n")]
    header = next(csv.reader(io.StringIO(recs[0][0]), **d.csv_args()), [])
    if name in header:
        raise _error(f"{shown}: already has a column '{name}' (not in the schema); rename or remove it first.",
                     "edit.exists", shown)
    cell = _cell(fill, d)
    out = [recs[0][0] + d.delimiter + name + (recs[0][1] or "\n")]
    out += [rec + (d.delimiter + cell if rec.strip() else "") + end for rec, end in recs[1:]]
    return (b"\xef\xbb\xbf" if bom else b"") + "".join(out).encode("utf-8")


# ------------------------------------------------------------------------------------------------ codebook

def _codebook_rows(review: Review, rows: list[tuple[str, str, str, str, str]]) -> tuple[Path, bytes]:
    """The codebook file with ``rows`` (table, field, code, label, definition) inserted after the last row of
    their field (at the end when the field has none)."""
    book = review.resource("codebook")
    text, bom = _read(book.path, book.rel_path)
    recs = records(text, book.dialect)
    lines = []
    for r in rows:
        b = io.StringIO()
        csv.writer(b, lineterminator="").writerow(r)
        lines.append(b.getvalue())
    table, fld = rows[0][0], rows[0][1]
    last = None
    for i, (rec, _) in enumerate(recs[1:], 1):
        cells = next(csv.reader(io.StringIO(rec)), [])
        if cells[:2] == [table, fld]:
            last = i
    if last is None:
        while recs and not recs[-1][0].strip():
            recs.pop()
        last = len(recs) - 1
    end = recs[last][1] or "\n"
    recs[last] = (recs[last][0], end)
    new = recs[:last + 1] + [(line, end) for line in lines] + recs[last + 1:]
    if new and not new[-1][1]:
        new[-1] = (new[-1][0], end)
    return book.path, (b"\xef\xbb\xbf" if bom else b"") + "".join(rec + e for rec, e in new).encode("utf-8")


# ------------------------------------------------------------------------------------------------ add-field

def _schema_bytes(res: Resource, schema: dict) -> bytes:
    issues = schema_issues(schema)
    if issues:
        raise _error(f"the new field would make {res.name}'s schema invalid: {issues[0].message}", "edit.invalid")
    Resource.from_schema(res.name, schema, shown_schema=str(res.schema_path), conventions=res.conventions)
    return (json.dumps(schema, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def add_field(review: Review, table: str, name: str, *, type: str, codes: str | None = None,
              multiple: bool = False, role: str | None = None, title: str | None = None,
              description: str | None = None, fill: str = "") -> EditResult:
    """Add field ``name`` to ``table``: its schema, its codes (codebook) and the header of every CSV holding the
    table, whose existing rows get ``fill`` (default empty: not yet extracted). CmokitError (exit 2, nothing
    written) for a name that exists, an unknown type, bad codes, role or fill value."""
    review = _recovered(review)
    res = _editable(review, table)
    if not NAME_RE.match(name) or len(name) > 63:
        raise _error(f"'{name}' is not a field name: use lower-case letters, digits and '_', starting with a letter "
                     "(e.g. 'setting' or 'follow_up_months').", "edit.name")
    if name in res.field_names:
        raise _error(f"{table} already has a field '{name}'; choose another name (or add a code to it with "
                     "cmokit add-code).", "edit.exists", str(res.schema_path))
    if type not in TYPES:
        raise _error(f"'{type}' is not a Table Schema type; the types are {', '.join(TYPES)}.", "edit.type")
    fd: dict = {"name": name}
    if title:
        fd["title"] = title
    fd["type"] = type
    if description:
        fd["description"] = description
    code_list: list[str] = []
    if multiple and (codes is None or type != "string"):
        raise _error("--multiple needs --codes and --type string (several codes in one cell, separated by '; ').",
                     "edit.code")
    if codes is not None:
        if type not in CODED_TYPES:
            raise _error(f"--codes: a {type} field cannot have codes; codes need --type string or integer.",
                         "edit.code")
        code_list = parse_codes(codes, type, res.missing_values, multiple)
        if multiple:
            fd["constraints"] = {"pattern": multi_pattern(code_list)}
            fd["cmokit:codes"] = "multiple"
        else:
            fd["constraints"] = {"enum": [int(c) for c in code_list] if type == "integer" else code_list}
    config = any(f.role for f in res.fields)
    if config:
        if role not in ROLES:
            raise _error(f"{table} holds configurations: every field names its realist role. Give --role, one of "
                         f"{', '.join(ROLES)}" + (f" (not '{role}')." if role else "."), "edit.role")
        fd["cmokit:role"] = role
    elif role is not None:
        if table != "studies" or role not in STUDY_PARTS:
            allowed = (f"for studies, one of {', '.join(STUDY_PARTS)}" if table == "studies"
                       else "only a configuration table's fields and the studies fields take a role")
            raise _error(f"--role '{role}': {allowed}.", "edit.role")
        if role in ("grouping", "inclusion", "intervention") and not code_list:
            raise _error(f"--role {role} needs a coded field (--codes).", "edit.role")
        fd["cmokit:study"] = role
    check_fill(fill, fd, code_list, res.missing_values, multiple)
    schema = json.loads(res.schema_path.read_text(encoding="utf-8-sig"))
    schema["fields"].append(fd)
    out: dict[Path, bytes] = {res.schema_path: _schema_bytes(res, schema)}
    if code_list and review.has("codebook"):
        path, data = _codebook_rows(review, [(table, name, c, c, UNDEFINED) for c in code_list])
        out[path] = data
    csvs, books = _csv_files(review, res)
    for p in csvs:
        out[p] = _with_column(p, res, name, review, fill)
    _commit(review, out)
    return EditResult(list(out), books)


# ------------------------------------------------------------------------------------------------ add-code

def _coded(res: Resource, name: str) -> Field:
    if name not in res.field_names:
        raise _error(f"{res.name} has no field '{name}' (fields: {', '.join(res.field_names)}).", "edit.field")
    f = res.field(name)
    if f.enum is None and not f.multiple:
        raise _error(f"{res.name}.{name} is not a coded field (no enum, not a multi-code field); add a coded field "
                     "with cmokit add-field --codes.", "edit.field")
    return f


def add_code(review: Review, table: str, field_name: str, code: str, *, label: str,
             definition: str) -> EditResult:
    """Add ``code`` to a coded field: the schema's enum (or a multi-code field's pattern) and the codebook."""
    review = _recovered(review)
    res = _editable(review, table)
    f = _coded(res, field_name)
    check_code(code, f.type, res.missing_values, f.multiple)
    codes = list(f.codes() or ())
    if code in codes:
        raise _error(f"{table}.{field_name} already has the code '{code}'.", "edit.exists", str(res.schema_path))
    if not label.strip() or not definition.strip() or "\n" in label:
        raise _error("--label (one line) and --definition must both say something: the codebook needs them.",
                     "edit.code")
    schema = json.loads(res.schema_path.read_text(encoding="utf-8-sig"))
    fd = next(d for d in schema["fields"] if d.get("name") == field_name)
    constraints = fd.setdefault("constraints", {})
    if f.multiple:
        if constraints.get("pattern") != multi_pattern(codes):
            raise _error(f"the pattern of {table}.{field_name} is not the list of codes cmokit writes "
                         f"({multi_pattern(codes)}); add the code to the pattern and the codebook by hand.",
                         "edit.pattern", str(res.schema_path))
        constraints["pattern"] = multi_pattern(codes + [code])
    elif isinstance(constraints.get("enum"), list):
        constraints["enum"].append(int(code) if f.type == "integer" else code)
    else:
        raise _error(f"{table}.{field_name} takes its codes from 'categories'; add the code there by hand.",
                     "edit.field", str(res.schema_path))
    out = {res.schema_path: _schema_bytes(res, schema)}
    if review.has("codebook"):
        path, data = _codebook_rows(review, [(table, field_name, code, label.strip(), definition.strip())])
        out[path] = data
    _commit(review, out)
    return EditResult(list(out))
