"""Problems found in a review, and the report that collects them (the contract every command shares)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One problem: where it is (resource, file, CSV line, field, value), which rule, and how to fix it."""

    rule: str
    message: str
    resource: str | None = None
    path: str | None = None
    line: int | None = None
    field: str | None = None
    value: str | None = None
    severity: str = ERROR

    def to_dict(self) -> dict:
        """The stable JSON form (keys: resource, path, line, field, value, rule, message, severity)."""
        d = asdict(self)
        return {k: d[k] for k in ("resource", "path", "line", "field", "value", "rule", "message", "severity")}


@dataclass
class Report:
    """All problems of one validation run. ``fatal`` means the input could not be read at all (exit 2)."""

    review: str
    problems: list[Problem] = field(default_factory=list)
    fatal: bool = False

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
