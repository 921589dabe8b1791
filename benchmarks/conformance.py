"""On demand: cmokit and frictionless on the Table Schema v2 conformance corpus; every disagreement classified.

    .venv/bin/python benchmarks/conformance.py            # prints the summary; --write updates docs/conformance.md

The corpus is tests/_conformance.py (cases written from the spec's text, each row tagged valid or invalid, or
ambiguous with cmokit's choice). Each case's package is validated by cmokit (``validate_review``) and by
frictionless (``Package(...).validate()``, errors mapped to rows by ``rowNumber``; an error with no row, such as a
label error, makes every row of that package invalid; a descriptor frictionless refuses, by an exception or a
schema/field error, is "refused"). A row where the two tools differ, or where either differs from the spec, is
classified: **cmokit wrong** (cmokit differs from a spec-defined verdict), **frictionless wrong per the spec**
(frictionless differs from it), **spec ambiguous** (the spec does not settle the value; cmokit's choice and its
reason are in the case). Not part of the test run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from _conformance import AMBIGUOUS_PACKAGES, Case, all_cases, write_package  # noqa: E402

DOC = ROOT / "docs" / "conformance.md"
BEGIN, END = "<!-- conformance-table:begin -->", "<!-- conformance-table:end -->"
DESCRIPTOR_ERRORS = {"schema-error", "field-error", "resource-error", "package-error", "dialect-error",
                     "check-error", "source-error", "scheme-error", "format-error", "encoding-error"}


def cmokit_verdict(case: Case, folder: Path) -> tuple[str, list[bool]]:
    from cmokit.validation import validate_review

    report = validate_review(folder)
    if report.fatal:
        return "refused", []
    bad = {p.line for p in report.errors}
    if case.kind == "package":
        return ("invalid" if report.errors else "valid"), []
    return ("invalid" if report.errors else "valid"), [(i + 2) not in bad for i in range(len(case.expected()))]


def frictionless_verdict(case: Case, folder: Path) -> tuple[str, list[bool]]:
    import frictionless

    try:
        package = frictionless.Package(str(folder / "datapackage.json"))
        report = package.validate()
    except Exception:  # noqa: BLE001 - frictionless refuses the descriptor
        return "refused", []
    errors = [e for task in report.tasks for e in task.errors if task.name == "t"] + list(report.errors)
    if any(e.type in DESCRIPTOR_ERRORS for e in errors):
        return "refused", []
    rows = {getattr(e, "row_number", None) for e in errors}
    whole = None in rows
    n = len(case.expected()) if case.kind != "package" else 0
    return ("invalid" if errors else "valid"), [not whole and (i + 2) not in rows for i in range(n)]


def run() -> list[dict]:
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, case in enumerate(all_cases()):
            folder = write_package(case, Path(tmp) / f"c{k}")
            cv, crow = cmokit_verdict(case, folder)
            fv, frow = frictionless_verdict(case, folder)
            if case.kind == "package":
                if case.verdict == "refused" and fv == "invalid":
                    fv = "refused"  # frictionless rejects the package as invalid data: it still refuses it
                out.append({"case": case, "value": "(package)", "spec": case.verdict, "defined":
                            not case.ambiguous_verdict, "cmokit": cv, "frictionless": fv})
                continue
            for i, (text, ok, defined) in enumerate(case.expected()):
                fr = frow[i] if frow else None
                out.append({"case": case, "value": text, "spec": "valid" if ok else "invalid", "defined": defined,
                            "cmokit": "valid" if crow[i] else "invalid",
                            "frictionless": fv if fr is None else ("valid" if fr else "invalid")})
    return out


def classify(r: dict) -> str | None:
    if not r["defined"]:
        return "spec ambiguous" if r["cmokit"] != r["frictionless"] else None
    if r["cmokit"] != r["spec"]:
        return "cmokit wrong"
    if r["frictionless"] != r["spec"]:
        return "frictionless wrong per the spec"
    return None


def cell(text: str) -> str:
    shown = text if len(text) <= 40 else text[:37] + "..."
    return "`" + shown.replace("|", "\\|").replace("`", "'") + "`" if shown else "(empty)"


def table(results: list[dict]) -> str:
    packages = [r for r in results if r["value"] == "(package)"]
    rows = [r for r in results if r["value"] != "(package)"]
    defined = [r for r in rows if r["defined"]]
    lines = [
        f"{len({r['case'].id for r in results})} cases: {len(rows)} rows ({len(defined)} with a spec-defined verdict, "
        f"{len(rows) - len(defined)} ambiguous) and {len(packages)} whole packages (dialect, encoding, fieldsMatch, "
        "descriptors to refuse).",
        "",
        "| | spec-defined rows right | packages right |",
        "| --- | ---: | ---: |",
    ]
    for tool in ("cmokit", "frictionless"):
        pk = [r for r in packages if r["defined"]]
        lines.append(f"| {tool} | {sum(r[tool] == r['spec'] for r in defined)} / {len(defined)} | "
                     f"{sum(r[tool] == r['spec'] for r in pk)} / {len(pk)} |")
    lines += ["", "Every disagreement (with the spec, or between the two tools on an ambiguous value):", "",
              "| case | value | spec | cmokit | frictionless | classification |",
              "| --- | --- | --- | --- | --- | --- |"]
    for r in results:
        c = classify(r)
        if c is None:
            continue
        spec = r["spec"] if r["defined"] else f"ambiguous (cmokit: {r['cmokit']})"
        lines.append(f"| {r['case'].id} | {cell(r['value'])} | {spec} | {r['cmokit']} | {r['frictionless']} | {c} |")
    counts: dict[str, int] = {}
    for r in results:
        c = classify(r)
        if c:
            counts[c] = counts.get(c, 0) + 1
    lines += ["", "Totals: " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) + "."]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="write the table into docs/conformance.md")
    args = ap.parse_args()
    import frictionless

    results = run()
    text = table(results)
    print(f"frictionless {frictionless.__version__}")
    print(text)
    assert set(AMBIGUOUS_PACKAGES) <= {c.id for c in all_cases()}
    if args.write:
        doc = DOC.read_text(encoding="utf-8")
        a, b = doc.index(BEGIN) + len(BEGIN), doc.index(END)
        DOC.write_text(doc[:a] + "\n" + text + "\n" + doc[b:], encoding="utf-8")
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 1 if any(classify(r) == "cmokit wrong" for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
