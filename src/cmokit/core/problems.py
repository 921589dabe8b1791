"""Problems found in a review, and the report that collects them (the contract every command shares)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One problem: where it is (resource, file, CSV line, field, value), which rule, and how to fix it.

    In a workbook, ``path`` is the workbook, ``line`` the sheet's row, ``sheet`` the sheet and ``cell`` the cell's
    address (``studies!C14``); both are None for a CSV file.
    """

    rule: str
    message: str
    resource: str | None = None
    path: str | None = None
    line: int | None = None
    field: str | None = None
    value: str | None = None
    severity: str = ERROR
    sheet: str | None = None
    cell: str | None = None

    def to_dict(self) -> dict:
        """The stable JSON form (keys: resource, path, sheet, cell, line, field, value, rule, message, severity)."""
        d = asdict(self)
        return {k: d[k] for k in ("resource", "path", "sheet", "cell", "line", "field", "value", "rule", "message",
                                  "severity")}


@dataclass
class Report:
    """All problems of one validation run. ``fatal`` means the input could not be read at all (exit 2)."""

    review: str
    problems: list[Problem] = field(default_factory=list)
    fatal: bool = False
    root: str | None = None  # the review folder
    submission: str | None = None  # the reviewer's folder when a submission was validated
    trusted: bool = True  # False: the review's own rules (validators/) were not run
    rows: dict[str, int] = field(default_factory=dict)  # data rows read per resource

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def valid(self) -> bool:
        return not self.fatal and not self.errors

    @property
    def exit_code(self) -> int:
        """0 valid, 1 invalid, 2 unreadable input."""
        if self.fatal:
            return 2
        return 1 if self.errors else 0

    def summary(self) -> dict:
        """Counts: ``errors``, ``warnings``, ``rules`` ({rule: {"error": n, "warning": n}}), ``files`` ({path: n})."""
        rules: dict[str, dict[str, int]] = {}
        files: dict[str, int] = {}
        for p in self.problems:
            counts = rules.setdefault(p.rule, {ERROR: 0, WARNING: 0})
            counts[p.severity] = counts.get(p.severity, 0) + 1
            if p.path:
                files[p.path] = files.get(p.path, 0) + 1
        return {"errors": len(self.errors), "warnings": len(self.warnings), "rules": dict(sorted(rules.items())),
                "files": files}

    def to_dict(self) -> dict:
        """The stable JSON form of the report (documented in docs/validation.md)."""
        return {
            "valid": self.valid,
            "exit_code": self.exit_code,
            "review": self.review,
            "root": self.root,
            "submission": self.submission,
            "trusted": self.trusted,
            "fatal": self.fatal,
            "rows": dict(self.rows),
            "summary": self.summary(),
            "errors": [p.to_dict() for p in self.problems],
        }
