"""``validate_review``: every problem of a review (or of a reviewer's submission) in one run.

Order of work: open the review (descriptor, schemas, paths: :class:`~cmokit.package.model.Review`), read each CSV
as text (:mod:`cmokit.package.reader`: structure, physical lines), check cells (:mod:`cmokit.validation.cells`),
keys and the codebook (:mod:`cmokit.validation.keys`), then the review's own pandera rules
(:mod:`cmokit.validation.rules`, only when the review is trusted). Nothing is written.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from cmokit.core.errors import CmokitError
from cmokit.core.problems import ERROR, WARNING, Problem, Report
from cmokit.package.model import Resource, Review
from cmokit.package.reader import Table, shown_path
from cmokit.package.submission import extraction_resources, scan_folder, scan_problems, submission_folder
from cmokit.package.xlsx_reader import SUPERSEDING, read_workbook, with_cells


def validate_review(path: str | os.PathLike[str] | Review | None = None, *,
                    submission: str | os.PathLike[str] | None = None, trusted: bool = True) -> Report:
    """Validate a review folder (or its ``datapackage.json``, or an open Review); never raises for bad input.

    ``submission``: a reviewer id (``extract/reviewers/<id>/``) or a folder of ``<resource>.csv`` files (any
    subset) checked against the review's schemas and rules instead of the consensus. ``trusted=False``: do not
    import the review's ``validators/``.
    """
    from cmokit.package.reader import read_table
    from cmokit.validation.cells import check_cells
    from cmokit.validation.keys import check_codebook, check_keys

    try:
        review = path if isinstance(path, Review) else Review.open(path)
    except CmokitError as exc:
        shown = str(path) if path is not None else str(Path.cwd())
        listed = list(getattr(exc, "problems", None) or [])  # every unsupported schema property, one each
        return Report(review=shown, problems=listed or [Problem(rule=exc.rule, message=exc.message, path=exc.path,
                                                                line=exc.line)], fatal=True)
    except ValueError as exc:  # a path holding a NUL byte: no file can have that name
        if "null byte" not in str(exc):
            raise
        shown = "datapackage.json"
        return Report(review=str(path), problems=[Problem(
            rule="path.unsafe", path=shown, message=f"{shown}: a path (of a resource or a schema) contains a NUL byte "
            "(\\x00); no file can have such a name. Remove it from the path.")], fatal=True)
    report = Report(review=review.name, root=str(review.root), trusted=trusted)
    if trusted and (review.root / "validators").is_dir() and _large(review):
        threading.Thread(target=_import_pandera, name="cmokit-import").start()  # while the files are read
    problems: list[Problem] = []
    tables: dict[str, Table] = {}
    checked: dict[str, list[Problem]] = {}  # cell problems of the tables read from CSV
    todo: dict[str, tuple[Resource, Path, str]] = {}
    refs: dict[str, Table | None] = {}
    if submission is None:
        for r in review.resources:
            shown = shown_path(r.path, review.root)
            if r.path.exists() and not r.path.is_file():
                problems.append(Problem(rule="file.unsafe", resource=r.name, path=shown,
                                        message=f"{shown}: is not a regular file (a folder, pipe, socket or device); "
                                        "it was not read. Put the CSV file itself there."))
                report.fatal = True
                continue
            if not r.path.is_file():
                problems.append(Problem(rule="file.missing", resource=r.name, path=shown,
                                        message=f"{shown}: the file of resource '{r.name}' does not exist. Restore it "
                                        f"(git checkout -- {shown}), or create it holding just its header line: "
                                        f"{','.join(r.field_names)}"))
                report.fatal = True
                continue
            todo[r.name] = (r, r.path, shown)
        tables, checked = _read_checked(todo, submission=False)
        refs = dict(tables)
    else:
        folder = submission_folder(review, submission)
        report.submission = shown_path(folder, review.root)
        if not folder.is_dir():
            return _fatal(report, "file.missing", f"{folder}: the submission folder does not exist. Give a "
                          "reviewer id with files in extract/reviewers/<id>/, a folder path, or create blank forms "
                          "with `cmokit template --reviewer ID`.", str(folder))
        scan = scan_folder(review, folder)
        expected = sorted(f"{r.name}.csv" for r in extraction_resources(review))
        for file in scan.unsafe:
            problems.append(Problem(rule="path.unsafe", resource=file.stem, path=shown_path(file, review.root),
                                    message=f"{file.name} is a symlink leading outside the submission folder; "
                                            "it was not read. Put the file itself in the folder."))
            report.fatal = True
        for file in scan.special:
            problems.append(Problem(rule="file.unsafe", resource=file.stem, path=shown_path(file, review.root),
                                    message=f"{file.name} is not a regular file (a folder, pipe, socket or device); "
                                            "it was not read. Put the CSV file itself in the submission folder."))
            report.fatal = True
        todo = {name: (review.resource(name), file, shown_path(file, review.root))
                for name, file in scan.files.items() if file.suffix.lower() != ".xlsx"}
        tables, checked = _read_checked(todo, submission=True)
        for book in scan.workbooks:  # each workbook read once, its sheets named after tables
            held = [review.resource(n) for n, f in scan.files.items() if f == book]
            found, book_problems = read_workbook(held, book, shown_path(book, review.root),
                                                 [r.name for r in extraction_resources(review)])
            tables.update(found)
            problems.extend(book_problems)
        for p in scan_problems(scan, renamed=False):
            problems.append(replace(p, path=shown_path(Path(p.path), review.root) if p.path else None))
            report.fatal = True
        if not tables and not report.fatal:
            return _fatal(report, "file.missing",
                          f"{report.submission}: no extraction file found. A submission holds CSV files named after "
                          f"the tables ({', '.join(expected)}) or Excel workbooks (.xlsx) whose sheets are named "
                          "after them.", report.submission)
        for file in scan.unknown:
            problems.append(Problem(rule="file.unknown", severity=WARNING, path=shown_path(file, review.root),
                                    message=f"{file.name} is not a table of this review and was not checked; "
                                            f"name files after the tables: {', '.join(expected)}."))
        # a header-only file (as `cmokit template` writes it) is "not started": keys resolve against the consensus
        refs = {n: t for n, t in tables.items() if t.frame is None or t.rows > 0}
        targets = {fk["reference"].get("resource") for t in tables.values() for fk in t.resource.foreign_keys}
        for r in review.data_resources:
            if r.name in targets and r.name not in refs and r.path.is_file():
                ref = read_table(r, r.path, shown_path(r.path, review.root))
                refs[r.name] = ref if not ref.problems else None
    for table in tables.values():
        problems.extend(table.problems)
    for name, table in tables.items():
        cells = checked.get(name)
        problems.extend(cells if cells is not None else check_cells(table, submission=submission is not None))

    def keys() -> list[Problem]:
        out = []
        for name, table in tables.items():
            out.extend(check_keys(table, refs))
            if name == "codebook" and submission is None:
                out.extend(check_codebook(review, table))
        return out

    # keys are checked in a thread while the review's rules run (neither needs the other's problems)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cmokit-keys") as pool:
        keyed = pool.submit(keys)
        if trusted:
            _rules(review, tables, problems, report, submission=submission is not None)
        problems.extend(keyed.result())
    if not trusted and (review.root / "validators").is_dir():
        problems.append(Problem(rule="rules.skipped", severity=WARNING, path="validators",
                                message="untrusted mode: the review's own rules (validators/) were not run; only "
                                        "structure, types, Table Schema constraints, keys and the codebook were "
                                        "checked. Validate a folder you trust without --untrusted for the full check."))
    report.problems = _dedupe_and_sort(with_cells(problems, tables.values()), review)
    report.rows = {n: t.rows for n, t in tables.items()}
    return report


def _large(review: Review, size: int = 1 << 24) -> bool:
    """True when the review's files hold more than ``size`` bytes (reading them takes longer than an import)."""
    total = 0
    for r in review.resources:
        try:
            total += r.path.stat().st_size
        except OSError:
            continue
    return total > size


def _import_pandera() -> None:
    """Import pandera (the reporter of failing rules, 0.1-0.5 s) in a thread while the files are read: on a large
    review some rule nearly always fails somewhere; on a small one reading is quicker than the import, which is
    then left to the first failing rule (a valid small review never imports pandera)."""
    try:
        import pandera.polars  # noqa: F401
    except Exception:  # noqa: BLE001 - the rules import it again and report what went wrong
        pass


def _rules(review: Review, tables: dict[str, Table], problems: list[Problem], report: Report, *,
           submission: bool) -> None:
    """Run the review's rules on the usable tables; cells already invalid (type, constraint) are null for them."""
    from cmokit.validation.rules import run_validators

    invalid: dict[str, dict[str, set[int]]] = {}
    for p in problems:
        if p.resource and p.field and p.line and p.rule.startswith(("type.", "constraint.")) \
                and p.rule not in ("constraint.required", "constraint.unique"):
            invalid.setdefault(p.resource, {}).setdefault(p.field, set()).add(p.line)
    usable = {n: t for n, t in tables.items() if t.frame is not None}
    found, fatal = run_validators(review, usable, submission=submission, invalid=invalid)
    problems.extend(found)
    report.fatal = report.fatal or fatal


def _read_checked(todo: dict[str, tuple[Resource, Path, str]], *, submission: bool
                  ) -> tuple[dict[str, Table], dict[str, list[Problem]]]:
    """Read each CSV and check its cells, several files at once (largest first); tables in ``todo``'s order.

    polars and the file reads release the GIL, so the threads overlap: one file's cell checks run while another
    is parsed, which keeps both cores busy where one file at a time left one idle half of the time.
    """
    from cmokit.package.reader import read_table
    from cmokit.validation.cells import check_cells

    def one(name: str) -> tuple[Table, list[Problem]]:
        resource, file, shown = todo[name]
        table = read_table(resource, file, shown)
        return table, check_cells(table, submission=submission)

    def size(name: str) -> int:
        try:
            return todo[name][1].stat().st_size
        except OSError:
            return 0

    order = sorted(todo, key=size, reverse=True)
    workers = min(len(order), max(2, min(4, os.cpu_count() or 1)))
    if workers < 2:
        done = {name: one(name) for name in order}
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cmokit-read") as pool:
            done = dict(zip(order, pool.map(one, order), strict=True))
    return {n: done[n][0] for n in todo}, {n: done[n][1] for n in todo}


def _fatal(report: Report, rule: str, message: str, path: str | None) -> Report:
    report.problems.append(Problem(rule=rule, message=message, path=path))
    report.fatal = True
    return report


def _dedupe_and_sort(problems: list[Problem], review: Review) -> list[Problem]:
    """Drop an ``extract.blank`` where a more specific rule reported the same cell; sort by file, line, field."""
    specific = {(p.path, p.line, p.field) for p in problems if p.rule != "extract.blank" and p.field is not None}
    kept = [p for p in problems if not (p.rule == "extract.blank" and (p.path, p.line, p.field) in specific)]
    # a spreadsheet cell reported for what Excel made of it (a formula, a date...) gets no other report
    sheet_cells = {(p.path, p.resource, p.line, p.field) for p in kept if p.rule in SUPERSEDING}
    kept = [p for p in kept if p.rule.startswith("xlsx.") or (p.path, p.resource, p.line, p.field) not in sheet_cells]
    order = {r.name: i for i, r in enumerate(review.resources)}
    fields = {r.name: {f: i for i, f in enumerate(r.field_names)} for r in review.resources}

    def key(p: Problem) -> tuple:
        return (0 if p.resource is None else 1, order.get(p.resource or "", -1), p.path or "", p.line or 0,
                fields.get(p.resource or "", {}).get(p.field or "", -1), p.severity != ERROR, p.rule, p.message)

    return sorted(kept, key=key)
