"""Reviewers' submissions: a folder of ``<table>.csv`` files and/or Excel workbooks (``*.xlsx``, one sheet per table,
named after it), by convention ``extract/reviewers/<reviewer-id>/``.

One place decides which folder a reviewer id names, which of its files are tables of the review, and what a
submission's content hash is; ``validate --reviewer``, ``compare``, ``reconcile`` and ``template`` all use it.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from cmokit.core.errors import CmokitError
from cmokit.core.problems import Problem
from cmokit.package.model import Resource, Review

REVIEWER_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
REVIEWERS_DIR = "extract/reviewers"


@dataclass
class Submission:
    """One reviewer's submission folder and the review tables it holds."""

    id: str
    path: Path
    files: dict[str, Path]  # resource name -> CSV file, or the workbook holding its sheet
    sha256: str


@dataclass
class FolderScan:
    """What a submission folder holds: table files, files named after no table, links leading outside it, and
    entries named after a table that are not regular files (a pipe, socket or device: opening one could block)."""

    folder: Path
    files: dict[str, Path] = field(default_factory=dict)
    unknown: list[Path] = field(default_factory=list)
    unsafe: list[Path] = field(default_factory=list)
    duplicates: dict[str, list[Path]] = field(default_factory=dict)  # a table in two files: never a silent choice
    unreadable: dict[Path, tuple[str, str]] = field(default_factory=dict)  # workbook -> (rule, message)
    renamed: list[tuple[Path, str, str]] = field(default_factory=list)  # (workbook, sheet, the table it seems to be)
    workbooks: list[Path] = field(default_factory=list)  # every readable workbook, tables or not
    special: list[Path] = field(default_factory=list)


def extraction_resources(review: Review) -> list[Resource]:
    """The tables reviewers extract into (every data resource except the audit log)."""
    return [r for r in review.data_resources if not r.descriptor.get("cmokit:role")]


def looks_like_path(text: str) -> bool:
    """True when a reviewer argument is meant as a folder path rather than an id."""
    return Path(text).is_dir() or os.sep in text or "/" in text or text.startswith(".")


def submission_folder(review: Review, arg: str | os.PathLike[str]) -> Path:
    """The folder a reviewer argument names: an existing folder path as given, else ``extract/reviewers/<id>``."""
    text = str(arg)
    if looks_like_path(text):
        return Path(text)
    return review.root / REVIEWERS_DIR / text


def scan_folder(review: Review, folder: Path) -> FolderScan:
    """The table files of a submission folder (sorted by name), with the files named after no table, the symlinks
    leading outside the folder and the entries that are not regular files (none of them is ever read)."""
    inside = folder.resolve()
    known = {r.name for r in extraction_resources(review)}
    scan = FolderScan(folder=inside)
    for f in sorted(folder.glob("*.csv")):
        if f.stem not in known:
            scan.unknown.append(f)
        elif f.is_symlink() and f.resolve().parent != inside:
            scan.unsafe.append(f)
        elif f.exists() and not f.is_file():
            scan.special.append(f)
        else:
            scan.files[f.stem] = f.resolve()
    _scan_workbooks(folder, inside, known, scan)
    return scan


def _scan_workbooks(folder: Path, inside: Path, known: set[str], scan: FolderScan) -> None:
    """Add the tables held as sheets by the folder's workbooks (Excel's ``~$`` lock files are skipped)."""
    from cmokit.package.xlsx_reader import contents, renamed_table

    for f in sorted(p for p in folder.glob("*.xlsx") if not p.name.startswith("~$")):
        if f.is_symlink() and f.resolve().parent != inside:
            scan.unsafe.append(f)
            continue
        if f.exists() and not f.is_file():  # a pipe or device named like a workbook is never opened
            scan.special.append(f)
            continue
        info = contents(f)
        if info.error:
            scan.unreadable[f.resolve()] = info.error
            continue
        scan.workbooks.append(f.resolve())
        for sheet in info.sheets:
            if sheet in known:
                if sheet in scan.files:
                    scan.duplicates.setdefault(sheet, [scan.files[sheet]]).append(f.resolve())
                else:
                    scan.files[sheet] = f.resolve()
            elif (meant := renamed_table(sheet, known)) and meant not in info.sheets:
                scan.renamed.append((f.resolve(), sheet, meant))


def scan_problems(scan: FolderScan, *, renamed: bool = True) -> list[Problem]:
    """What makes a submission folder unusable as it is: a table submitted twice (a CSV and a sheet, or two
    sheets), a workbook that cannot be read, and (``renamed``) a sheet named almost like a table."""
    out = []
    for name, paths in scan.duplicates.items():
        where = " and ".join(f"{p.name} (sheet '{name}')" if p.suffix.lower() == ".xlsx" else p.name for p in paths)
        out.append(Problem(rule="submission.duplicate_table", resource=name, path=str(paths[-1]),
                           message=f"table '{name}' is submitted twice: {where}. Keep one of them (delete the CSV "
                                   "file or the sheet, or move one out of the folder); cmokit never chooses."))
    for path, (rule, message) in scan.unreadable.items():
        out.append(Problem(rule=rule, path=str(path), message=f"{path.name}: {message}"))
    if renamed:
        for path, sheet, meant in scan.renamed:
            out.append(Problem(rule="xlsx.sheet_renamed", resource=meant, path=str(path), value=sheet, sheet=sheet,
                               message=f"{path.name}: sheet '{sheet}' seems to hold table '{meant}', but sheets are "
                                       f"read only under the table's exact name: rename the sheet '{meant}'."))
    return out


def submission_hash(files: dict[str, Path]) -> str:
    """SHA-256 over the submission's table files (name and bytes, in name order)."""
    h = hashlib.sha256()
    for name in sorted(files):
        with open(files[name], "rb") as fh:  # in chunks: a file is never held whole in memory
            size = os.fstat(fh.fileno()).st_size
            h.update(f"{name}.csv\0{size}\0".encode())
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def resolve_submission(review: Review, arg: str | os.PathLike[str], *, hashed: bool = True) -> Submission:
    """A reviewer id (``extract/reviewers/<id>``) or a folder path -> Submission; CmokitError (exit 2) if unusable.

    ``hashed=False`` leaves ``sha256`` empty (``compare`` hashes in a background thread meanwhile).
    """
    text = str(arg)
    folder = submission_folder(review, text)
    if looks_like_path(text):
        if not folder.is_dir():
            raise CmokitError(f"{text}: no such submission folder. Give a reviewer id or the path of a folder "
                              f"of <table>.csv files.", rule="submission.missing", path=text)
    else:
        if not REVIEWER_ID_RE.match(text):
            raise CmokitError(f"'{text}' is not a reviewer id (lower-case letters, digits, '-' and '_') nor a folder.",
                              rule="submission.missing")
        if not folder.is_dir():
            raise CmokitError(f"{REVIEWERS_DIR}/{text}: no such submission folder. Create it with "
                              f"`cmokit template --reviewer {text}`, or give the path of a folder.",
                              rule="submission.missing", path=f"{REVIEWERS_DIR}/{text}")
    scan = scan_folder(review, folder)
    known = sorted(r.name for r in extraction_resources(review))
    if scan.unknown:
        f = scan.unknown[0]
        raise CmokitError(
            f"{f}: '{f.name}' is not a table of the review (tables: {', '.join(known)}). Rename it to "
            "the table it holds, or move it out of the submission folder.", rule="submission.unknown_file",
            path=str(f))
    if scan.unsafe:
        f = scan.unsafe[0]
        raise CmokitError(f"{f}: is a link to a file outside the submission folder; copy the file instead.",
                          rule="path.unsafe", path=str(f))
    if scan.special:
        f = scan.special[0]
        raise CmokitError(f"{f}: is not a regular file (a folder, pipe, socket or device); it was not read. Put the "
                          "CSV file itself in the submission folder.", rule="file.unsafe", path=str(f))
    broken = scan_problems(scan)
    if broken:
        raise CmokitError(broken[0].message, rule=broken[0].rule, path=broken[0].path)
    if not scan.files:
        raise CmokitError(f"{scan.folder}: holds no table files (expected some of: "
                          f"{', '.join(f'{n}.csv' for n in known)}, or a workbook with sheets named so).",
                          rule="submission.empty",
                          path=str(scan.folder))
    return Submission(id=scan.folder.name, path=scan.folder, files=scan.files,
                      sha256=submission_hash(scan.files) if hashed else "")
