"""Render a validation :class:`~cmokit.core.problems.Report` as text (people), JSON (machines) or GitHub
annotations (CI)."""

from __future__ import annotations

import json
from pathlib import Path

from cmokit.core.problems import ERROR, Problem, Report

FORMATS = ("text", "json", "github")
VALUE_WIDTH = 60
MAX_LISTED = 50  # problems listed on the terminal by commands that refuse to go on (build, compare, reconcile)


def _value(v: str | None) -> str:
    if v is None:
        return ""
    s = v.replace("\r", "\\r").replace("\n", "\\n")
    return s if len(s) <= VALUE_WIDTH else s[:VALUE_WIDTH - 3] + "..."


def _counts(errors: int, warnings: int) -> str:
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def _verdict(report: Report) -> str:
    s = report.summary()
    if report.fatal:
        return f"NOT READABLE (exit 2): {_counts(s['errors'], s['warnings'])}. Fix the problems marked above first."
    if report.errors:
        return f"INVALID (exit 1): {_counts(s['errors'], s['warnings'])}."
    return f"VALID: {_counts(s['errors'], s['warnings'])}."


def _where(p: Problem) -> str:
    """Where a problem is: ``line 14``, or in a workbook ``studies!C14`` (or ``sheet studies``)."""
    if p.cell:
        return p.cell
    if p.sheet:
        return f"sheet {p.sheet}" + (f", row {p.line}" if p.line is not None else "")
    return f"line {p.line}" if p.line is not None else "file"


def text(report: Report) -> str:
    """Problems grouped by file (every one of them), then a short summary."""
    what = f"submission {report.submission} of review {report.review}" if report.submission else \
        f"review {report.review}"
    out = [f"cmokit validate: {what}" + (f" ({report.root})" if report.root else "")]
    groups: dict[str, list[Problem]] = {}
    for p in report.problems:
        groups.setdefault(p.path or "(review)", []).append(p)
    for path, problems in groups.items():
        out += ["", path]
        for p in problems:
            where = _where(p)
            cell = f"  {p.field} = '{_value(p.value)}'" if p.field and p.value is not None else \
                (f"  {p.field}" if p.field else "")
            out.append(f"  {where}{cell}  [{p.severity} {p.rule}]")
            out.append(f"      {p.message}")
    s = report.summary()
    out += ["", "Summary"]
    if report.rows:
        out.append("  rows read: " + ", ".join(f"{k} {v}" for k, v in report.rows.items()))
    if s["rules"]:
        out.append("  by rule:")
        for rule, c in s["rules"].items():
            out.append(f"    {rule:<26} {_counts(c.get('error', 0), c.get('warning', 0))}")
    if len(s["files"]) > 1:
        out.append("  by file:")
        for path, n in s["files"].items():
            out.append(f"    {path}: {n}")
    if not report.trusted:
        out.append("  the review's own rules (validators/) were not run (--untrusted).")
    out.append(_verdict(report))
    return "\n".join(out) + "\n"


def as_json(report: Report) -> str:
    """The stable JSON object (keys documented in docs/validation.md)."""
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def repo_prefix(root: str | None) -> str:
    """The review folder relative to the enclosing git repository ('' when it is the repository root or none)."""
    if not root:
        return ""
    here = Path(root).resolve()
    for parent in (here, *here.parents):
        if (parent / ".git").exists():
            rel = here.relative_to(parent).as_posix()
            return "" if rel == "." else rel + "/"
    return ""


def github(report: Report) -> str:
    """GitHub Actions workflow commands (``::error file=...,line=...,title=RULE::message``), then a summary."""
    prefix = repo_prefix(report.root)
    out = []
    for p in report.problems:
        props = []
        if p.path:
            path = p.path if Path(p.path).is_absolute() else prefix + p.path
            props.append(f"file={_escape_prop(path)}")
        if p.line is not None:
            props.append(f"line={p.line}")
        props.append(f"title={_escape_prop(p.rule)}")
        cell = f"{p.field} = '{_value(p.value)}': " if p.field and p.value is not None else \
            (f"{p.field}: " if p.field else "")
        level = "error" if p.severity == ERROR else "warning"
        at = f"{_where(p)}: " if p.sheet else ""
        out.append(f"::{level} {','.join(props)}::{_escape_data(at + cell + p.message)}")
    out.append(f"cmokit validate: {_verdict(report)}")
    return "\n".join(out) + "\n"


def one_line(p: Problem) -> str:
    """A problem on one line: ``path:line: field='value' [rule] message``."""
    where = ":".join(str(x) for x in (p.path, p.line) if x is not None) or "(review)"
    if p.sheet:
        where = f"{p.path}, {_where(p)}"
    cell = f" {p.field}={_value(p.value)!r}" if p.field and p.value is not None else (f" {p.field}" if p.field else "")
    return f"{where}:{cell} [{p.rule}] {p.message}"


def render(report: Report, fmt: str = "text") -> str:
    if fmt == "json":
        return as_json(report)
    if fmt == "github":
        return github(report)
    return text(report)
