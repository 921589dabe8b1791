"""A review folder: its descriptor, resources and Table Schemas, read safely.

Everything else (loader, rules, DuckDB DDL, templates, data dictionary) derives field lists,
types, codes and keys from the objects here, never from hand-written lists.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmokit.core.errors import CmokitError
from cmokit.core.problems import Problem
from cmokit.package.dialect import Dialect
from cmokit.package.locate import DESCRIPTOR, find_root
from cmokit.package.spec import key_names as _names
from cmokit.package.spec import missing_map as _missing
from cmokit.package.spec import text_of

URL_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
# the realist role a field of a configuration table declares ("cmokit:role"); the engine finds C, M and O by role
ROLES = ("intervention", "context", "mechanism", "outcome", "resource", "other")


@dataclass(frozen=True)
class Field:
    """One column of a Table Schema, with its properties and constraints unpacked.

    ``enum`` and ``categories`` hold the text form of each value (``true``, ``1``); the values as written in the
    schema stay in ``raw``. ``minimum``, ``maximum`` and the exclusive bounds are the schema's values as written
    (a number or a string castable to the field's type). ``missing`` is the field's own ``missingValues``
    ({value: label} pairs), None when the field uses the schema's.
    """

    name: str
    type: str = "any"
    description: str = ""
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    minimum: Any = None
    maximum: Any = None
    min_length: int | None = None
    max_length: int | None = None
    multiple: bool = False
    true_values: tuple[str, ...] = ("true", "True", "TRUE", "1")
    false_values: tuple[str, ...] = ("false", "False", "FALSE", "0")
    format: str = "default"
    exclusive_minimum: Any = None
    exclusive_maximum: Any = None
    decimal_char: str = "."
    group_char: str | None = None
    bare_number: bool = True
    delimiter: str = ","
    item_type: str = "string"
    categories: tuple[str, ...] | None = None
    categories_ordered: bool | None = None
    missing: tuple[tuple[str, str], ...] | None = None
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def coded(self) -> bool:
        """True for a field whose values are codes from the codebook."""
        return self.enum is not None or self.multiple

    @property
    def json_schema(self) -> dict | None:
        """The ``jsonSchema`` constraint, if any."""
        return (self.raw.get("constraints") or {}).get("jsonSchema")

    @property
    def enum_values(self) -> list | None:
        """The ``enum`` constraint's values as written in the schema (JSON values or strings)."""
        return (self.raw.get("constraints") or {}).get("enum")

    @property
    def category_values(self) -> list | None:
        """The ``categories`` values as written in the schema (the ``value`` of each {value, label} object)."""
        cats = self.raw.get("categories")
        if not isinstance(cats, list):
            return None
        return [c.get("value") if isinstance(c, dict) else c for c in cats]

    @property
    def role(self) -> str | None:
        """The field's realist role (``cmokit:role``: one of :data:`ROLES`), or None when it declares none."""
        role = self.raw.get("cmokit:role")
        return str(role) if role is not None else None

    @classmethod
    def from_descriptor(cls, d: dict) -> Field:
        from cmokit.package.spec import strip_fmt

        c = d.get("constraints", {}) or {}
        enum = c.get("enum")
        cats = d.get("categories")
        cat_values = [x.get("value") if isinstance(x, dict) else x for x in cats] if isinstance(cats, list) else None
        item = d.get("itemType", "string")
        mv = d.get("missingValues")
        return cls(
            name=d["name"],
            type=d.get("type", "any"),
            description=d.get("description", "") or "",
            required=c.get("required", False) is True,
            unique=c.get("unique", False) is True,
            enum=tuple(text_of(v) for v in enum) if isinstance(enum, list) else None,
            pattern=c.get("pattern") if isinstance(c.get("pattern"), str) else None,
            minimum=c.get("minimum"),
            maximum=c.get("maximum"),
            min_length=c.get("minLength"),
            max_length=c.get("maxLength"),
            multiple=d.get("cmokit:codes") == "multiple",
            true_values=tuple(d.get("trueValues", cls.true_values)),
            false_values=tuple(d.get("falseValues", cls.false_values)),
            format=strip_fmt(d.get("format", "default")) or "default",
            exclusive_minimum=c.get("exclusiveMinimum"),
            exclusive_maximum=c.get("exclusiveMaximum"),
            decimal_char=d.get("decimalChar", "."),
            group_char=d.get("groupChar"),
            bare_number=d.get("bareNumber", True) is not False,
            delimiter=d.get("delimiter", ","),
            item_type="datetime" if item == "datetme" else item,
            categories=tuple(text_of(v) for v in cat_values) if cat_values is not None else None,
            categories_ordered=d.get("categoriesOrdered"),
            missing=tuple(_missing(mv).items()) if isinstance(mv, list) else None,
            raw=d,
        )

    def codes(self) -> tuple[str, ...] | None:
        """The allowed codes: the enum, or for a multi-code field the alternatives of its pattern."""
        if self.enum is not None:
            return self.enum
        if self.multiple and self.pattern:
            m = re.match(r"^\^\(([^()]*)\)", self.pattern)
            if m:
                return tuple(re.sub(r"\\(.)", r"\1", a) for a in m.group(1).split("|"))
        return None


class SchemaUnsupported(CmokitError):
    """The schemas use what cmokit cannot honour, or what the spec forbids (exit 2): every such issue, listed.

    ``problems`` holds one :class:`~cmokit.core.problems.Problem` per issue (rule ``schema.unsupported`` or
    ``schema.invalid``, the schema file, the field and the property).
    """

    def __init__(self, problems: list[Problem]):
        rule = "schema.unsupported" if any(p.rule == "schema.unsupported" for p in problems) else "schema.invalid"
        head = problems[0]
        more = f" (and {len(problems) - 1} more: run `cmokit validate` for the list)" if len(problems) > 1 else ""
        super().__init__(f"{head.path}: {head.message}{more}", rule=rule, path=head.path)
        self.problems = problems


@dataclass
class Resource:
    """A tabular resource of the review: its CSV path, its schema and how its file is written.

    ``conventions``: cmokit's additions to the standard apply (the review's descriptor has a ``cmokit`` section):
    an empty cell means "not yet extracted" (``extract.blank``) where the schema offers other missing values,
    the ``codebook`` resource is checked against the schemas, and columns are matched by name in any order unless
    the schema declares ``fieldsMatch``.
    """

    name: str
    path: Path
    rel_path: str
    schema_path: Path | None
    schema: dict
    fields: list[Field]
    primary_key: list[str]
    foreign_keys: list[dict]
    missing_values: dict[str, str]  # value -> label (the schema's missingValues)
    descriptor: dict
    unique_keys: list[list[str]] = field(default_factory=list)
    dialect: Dialect = field(default_factory=Dialect)
    conventions: bool = False

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def fields_match(self) -> str:
        """How the file's columns map to the fields: the schema's ``fieldsMatch``; when absent the spec's ``exact``,
        or ``equal`` (by name, any order) in a review that uses cmokit's conventions."""
        declared = self.schema.get("fieldsMatch")
        if declared:
            return declared
        return "equal" if self.conventions else "exact"

    def missing_for(self, f: Field) -> dict[str, str]:
        """The missing values of a field: its own ``missingValues`` if it has them, else the schema's; plus the
        dialect's ``nullSequence``."""
        out = dict(f.missing) if f.missing is not None else dict(self.missing_values)
        if self.dialect.null_sequence is not None:
            out.setdefault(self.dialect.null_sequence, "null (the dialect's nullSequence)")
        return out

    @classmethod
    def from_schema(cls, name: str, schema: dict, *, path: Path | None = None, rel_path: str = "",
                    schema_path: Path | None = None, descriptor: dict | None = None,
                    shown_schema: str = DESCRIPTOR, conventions: bool = False) -> Resource:
        """A resource from a Table Schema (a dict).

        CmokitError (schema.invalid) when the schema is unusable; SchemaUnsupported listing every property cmokit
        cannot honour (schema.unsupported) or the spec forbids (schema.invalid).
        """
        from cmokit.package.dialect import read_dialect
        from cmokit.package.spec import schema_issues

        if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list) or not schema["fields"]:
            raise CmokitError(f"schema of resource '{name}' must be an object with a non-empty 'fields' list.",
                              rule="schema.invalid", path=shown_schema)
        fields = []
        for fd in schema["fields"]:
            if not isinstance(fd, dict) or not fd.get("name"):
                raise CmokitError(f"schema of resource '{name}': every field needs a 'name'.", rule="schema.invalid",
                                  path=shown_schema)
        dialect, dialect_issues = read_dialect(descriptor or {}, name)
        found = [Problem(rule=i.rule, message=i.message, resource=name, path=where, field=i.field, value=i.property)
                 for where, issues in ((shown_schema, schema_issues(schema)), (DESCRIPTOR, dialect_issues))
                 for i in issues]
        if found:
            raise SchemaUnsupported(found)
        fields = [Field.from_descriptor(fd) for fd in schema["fields"]]
        from cmokit.package.values import field_value_issues

        bad = [Problem(rule="schema.invalid", message=f"field '{f.name}': {why}", resource=name, path=shown_schema,
                       field=f.name, value=prop) for f in fields for prop, why in field_value_issues(f)]
        if bad:
            raise SchemaUnsupported(bad)
        pk = _names(schema.get("primaryKey"))
        fks = []
        for fk in schema.get("foreignKeys") or []:
            if not isinstance(fk, dict):
                raise CmokitError(f"schema of resource '{name}': every foreign key must be an object with 'fields' "
                                  "and 'reference'.", rule="schema.invalid", path=shown_schema)
            fk = dict(fk)
            fk["fields"] = _names(fk.get("fields"))
            ref = dict(fk.get("reference") or {})
            ref["fields"] = _names(ref.get("fields"))
            fk["reference"] = ref
            if len(ref["fields"]) != len(fk["fields"]):
                raise CmokitError(f"schema of resource '{name}': a foreign key on {fk['fields']} refers to "
                                  f"{ref['fields']}: the two lists must have the same length.",
                                  rule="schema.invalid", path=shown_schema)
            fks.append(fk)
        uks = [_names(k) for k in schema.get("uniqueKeys") or []]
        names = {f.name for f in fields}
        for key in pk + [k for fk in fks for k in fk["fields"]] + [k for uk in uks for k in uk]:
            if key not in names:
                raise CmokitError(f"schema of resource '{name}': key field '{key}' is not one of its fields.",
                                  rule="schema.invalid", path=shown_schema)
        return cls(name=name, path=path or Path(rel_path), rel_path=rel_path, schema_path=schema_path, schema=schema,
                   fields=fields, primary_key=pk, foreign_keys=fks, missing_values=_missing(schema.get(
                       "missingValues", [""])), descriptor=descriptor or {"name": name}, unique_keys=uks,
                   dialect=dialect, conventions=conventions)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def fields_by_role(self, *roles: str, text: bool = False) -> list[Field]:
        """The fields declaring one of ``roles`` (``cmokit:role``), in schema order; with ``text``, only free-text
        fields (strings that are not codes), e.g. a configuration's context in words rather than its coded effects."""
        return [f for f in self.fields if f.role in roles and not (text and (f.type != "string" or f.coded))]


@dataclass
class Review:
    """A review folder (``datapackage.json`` + ``schema/`` + ``extract/`` + ``validators/``)."""

    root: Path
    descriptor_path: Path
    descriptor: dict
    resources: list[Resource]

    @property
    def params(self) -> dict[str, Any]:
        """The review's rule parameters (age bands, search window...), from the descriptor's ``cmokit`` section."""
        return self.descriptor.get("cmokit", {}) or {}

    @property
    def name(self) -> str:
        return self.descriptor.get("name", self.root.name)

    @property
    def version(self) -> str:
        return str(self.descriptor.get("version", ""))

    def resource(self, name: str) -> Resource:
        for r in self.resources:
            if r.name == name:
                return r
        known = ", ".join(r.name for r in self.resources)
        raise CmokitError(f"{self.descriptor_path.name}: no resource named '{name}' (known: {known}).",
                          rule="resource.unknown")

    def has(self, name: str) -> bool:
        return any(r.name == name for r in self.resources)

    @property
    def data_resources(self) -> list[Resource]:
        """Resources holding extracted data (everything but the codebook)."""
        return [r for r in self.resources if r.name != "codebook"]

    def codebook(self) -> list[dict[str, str]]:
        """Rows of the codebook resource (empty when the review has none), read by the one CSV reader.

        CmokitError (exit 2) when the file cannot be read as a table: ``cmokit validate`` says why.
        """
        if not self.has("codebook"):
            return []
        from cmokit.package.reader import read_table, shown_path

        res = self.resource("codebook")
        table = read_table(res, res.path, shown_path(res.path, self.root))
        broken = [p for p in table.problems if p.severity == "error"]
        if table.frame is None or broken:
            first = broken[0] if broken else None
            raise CmokitError(f"{table.path}: the codebook cannot be read ({first.message if first else 'no table'}). "
                              "Run `cmokit validate` for every problem.", rule=first.rule if first else "file.empty",
                              path=table.path, line=first.line if first else None)
        return table.frame.select(table.columns()).to_dicts()

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None) -> Review:
        """Open a review: its ``datapackage.json``, a folder holding one, or any folder below such a folder
        (default: the current folder); raise CmokitError with a fix if it cannot be read."""
        p = Path(path) if path is not None else Path.cwd()
        if p.is_dir():
            found = find_root(p)
            if found is None:
                raise CmokitError(
                    f"{p / DESCRIPTOR}: not found, nor in any folder above {p}. Run cmokit inside a review folder "
                    f"(or any folder below it), or name one with -C DIR (a folder with a {DESCRIPTOR}).",
                    rule="descriptor.missing", path=str(p / DESCRIPTOR))
            root, descriptor_path = found, found / DESCRIPTOR
        else:
            descriptor_path, root = p, p.parent
        if not descriptor_path.exists():
            raise CmokitError(
                f"{descriptor_path}: not found. Run cmokit inside a review folder or give the path of one "
                f"(a folder with a {DESCRIPTOR}).",
                rule="descriptor.missing",
                path=str(descriptor_path),
            )
        try:
            text = descriptor_path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CmokitError(f"{descriptor_path}: cannot be read ({exc}). Save it as UTF-8 text.",
                              rule="descriptor.unreadable", path=str(descriptor_path)) from None
        try:
            descriptor = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CmokitError(
                f"{descriptor_path.name}, line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg}). "
                "Fix the syntax (a missing comma or quote is the usual cause).",
                rule="descriptor.json", path=str(descriptor_path), line=exc.lineno,
            ) from None
        if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
            raise CmokitError(f"{descriptor_path.name}: must be a JSON object with a 'resources' list.",
                              rule="descriptor.resources", path=str(descriptor_path))
        root = root.resolve()
        resources = []
        seen: set[str] = set()
        unsupported: list[Problem] = []
        conventions = "cmokit" in descriptor
        for i, rd in enumerate(descriptor["resources"]):
            try:
                resources.append(_resource(root, descriptor_path, i, rd, seen, conventions))
            except SchemaUnsupported as exc:  # every resource's issues in one report
                unsupported += exc.problems
        if unsupported:
            raise SchemaUnsupported(unsupported)
        review = cls(root=root, descriptor_path=descriptor_path, descriptor=descriptor, resources=resources)
        for r in resources:
            for fk in r.foreign_keys:
                target = (fk.get("reference") or {}).get("resource", "")
                if target and not review.has(target):
                    raise CmokitError(
                        f"{_rel(r.schema_path, root)}: foreign key of '{r.name}' refers to resource '{target}', "
                        f"which the descriptor does not declare. Declare it or fix the name.",
                        rule="resource.unknown", path=_rel(r.schema_path, root))
        return review


def _rel(p: Path | None, root: Path) -> str:
    if p is None:
        return DESCRIPTOR
    try:
        return p.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(p)


def safe_path(root: Path, rel: Any, what: str) -> Path:
    """Resolve ``rel`` inside ``root``; refuse absolute, ``..``, URL, ``~``, ``$VAR`` paths and symlinks leading out."""
    if not isinstance(rel, str) or not rel.strip():
        raise CmokitError(f"{DESCRIPTOR}: {what} has no path (a relative path such as 'extract/consensus/x.csv').",
                          rule="path.unsafe", path=DESCRIPTOR)
    why = None
    if URL_RE.match(rel):
        why = "is a URL; cmokit reads only files inside the review folder"
    elif rel.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", rel):
        why = "is absolute; use a path relative to the review folder"
    elif ".." in re.split(r"[\\/]", rel):
        why = "climbs out of the review folder ('..')"
    elif rel.startswith("~") or "$" in rel:
        why = "uses '~' or '$'; use a plain relative path"
    if why is None:
        candidate = root / rel
        real = candidate.resolve()
        try:
            real.relative_to(root)
        except ValueError:
            why = "is a symlink leading outside the review folder"
        else:
            return real
    raise CmokitError(f"{DESCRIPTOR}: {what} path '{rel}' {why}. It was not read.", rule="path.unsafe", path=DESCRIPTOR)


def _resource(root: Path, descriptor_path: Path, i: int, rd: Any, seen: set[str], conventions: bool) -> Resource:
    if not isinstance(rd, dict) or not rd.get("name"):
        raise CmokitError(f"{descriptor_path.name}: resource #{i + 1} needs a 'name'.", rule="descriptor.resources",
                          path=DESCRIPTOR)
    name = rd["name"]
    if name in seen:
        raise CmokitError(f"{descriptor_path.name}: resource '{name}' is declared twice.", rule="descriptor.resources",
                          path=DESCRIPTOR)
    seen.add(name)
    rel = rd.get("path")
    if isinstance(rel, list):
        raise CmokitError(f"{descriptor_path.name}: resource '{name}' has several paths; cmokit needs one CSV file.",
                          rule="descriptor.resources", path=DESCRIPTOR)
    path = safe_path(root, rel, f"resource '{name}'")
    schema = rd.get("schema")
    schema_path = None
    if isinstance(schema, str):
        schema_path = safe_path(root, schema, f"schema of resource '{name}'")
        if not schema_path.exists():
            raise CmokitError(
                f"{descriptor_path.name}: the schema file '{schema}' of resource '{name}' does not exist. "
                "Restore it (git checkout) or fix the path.", rule="schema.missing", path=schema)
        try:
            schema = json.loads(schema_path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as exc:
            raise CmokitError(f"{schema}, line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg}).",
                              rule="schema.json", path=schema, line=exc.lineno) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CmokitError(f"{schema}: cannot be read ({exc}).", rule="schema.json", path=schema) from None
    return Resource.from_schema(name, schema, path=path, rel_path=rel, schema_path=schema_path, descriptor=rd,
                                shown_schema=rd["schema"] if isinstance(rd.get("schema"), str) else DESCRIPTOR,
                                conventions=conventions)
