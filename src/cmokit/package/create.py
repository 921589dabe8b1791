"""``cmokit init``: a new, empty realist review, written from the template shipped inside the package.

The template (``cmokit/package/template/``, package data, so it is in the wheel) holds the descriptor, the generic
Table Schemas of the realist layer and the codebook, generic validators (MMAT 2018, the realist rules, cross-table
keys; age, criteria and search-window rules that are off until configured), starter named queries, a README for the
review team, a ``.gitignore`` and a CI workflow. :func:`init_review` fills in the review's name, title, licence and
contributors, writes a header-only consensus CSV for every table, and never overwrites a file: everything is checked
before the first byte is written, and a failure while writing removes what this run created.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from cmokit.core.errors import CmokitError
from cmokit.package.locate import DESCRIPTOR

NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$")
LICENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]*$")
AUTHOR_RE = re.compile(r"^\s*(?P<title>[^<>]*?)\s*(?:<(?P<email>[^<>\s]+@[^<>\s]+)>)?\s*$")
LICENCES = {
    "CC-BY-4.0": ("https://creativecommons.org/licenses/by/4.0/", "Creative Commons Attribution 4.0"),
    "CC0-1.0": ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0 1.0 Universal"),
    "CC-BY-SA-4.0": ("https://creativecommons.org/licenses/by-sa/4.0/", "Creative Commons Attribution-ShareAlike 4.0"),
    "ODC-BY-1.0": ("https://opendatacommons.org/licenses/by/1-0/", "Open Data Commons Attribution License 1.0"),
    "PDDL-1.0": ("https://opendatacommons.org/licenses/pddl/1-0/", "Open Data Commons Public Domain Dedication"),
}
DEFAULT_LICENCE = "CC-BY-4.0"
# template file names that cannot be package data under their own name (hidden files)
RENAMED = {"gitignore": ".gitignore", "github": ".github"}


@dataclass
class InitResult:
    """The review written: its folder and every file created, in order."""

    root: Path
    files: list[Path] = field(default_factory=list)


def template_root() -> Traversable:
    """The template review inside the installed package."""
    return files("cmokit.package").joinpath("template")


def _walk(node: Traversable, prefix: str = "") -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name == "__pycache__" or child.name.endswith(".pyc"):
            continue
        name = RENAMED.get(child.name, child.name) if not prefix else child.name
        rel = f"{prefix}{name}"
        if child.is_dir():
            out.update(_walk(child, rel + "/"))
        else:
            out[rel] = child.read_bytes()
    return out


def template_files() -> dict[str, bytes]:
    """Every file of the template: relative path in a new review -> content (placeholders not yet filled)."""
    return _walk(template_root())


def slug(text: str) -> str:
    """A package name made from free text: lower case, runs of other characters as '-' ('review' if empty)."""
    s = re.sub(r"[^a-z0-9._-]+", "-", text.strip().lower()).strip("-._")
    return s or "review"


def check_name(name: str) -> str:
    if not NAME_RE.match(name) or len(name) > 100:
        raise CmokitError(f"'{name}' is not a valid package name: use lower-case letters, digits, '.', '_' and '-', "
                          "starting and ending with a letter or digit (e.g. 'school-mentoring-review').",
                          rule="init.name")
    return name


def _licence(licence: str) -> dict[str, str]:
    if not LICENCE_RE.match(licence):
        raise CmokitError(f"'{licence}' is not a licence identifier: give an SPDX id such as CC-BY-4.0, CC0-1.0 or "
                          "ODC-BY-1.0.", rule="init.licence")
    known = {k.lower(): k for k in LICENCES}
    name = known.get(licence.lower(), licence)
    out = {"name": name}
    if name in LICENCES:
        out["path"], out["title"] = LICENCES[name]
    return out


def _contributor(author: str) -> dict:
    m = AUTHOR_RE.match(author)
    if not m or not m.group("title"):
        raise CmokitError(f"'{author}' is not an author: write a name, optionally with an e-mail address, e.g. "
                          "'Ada Lovelace <ada@example.org>'.", rule="init.author")
    out: dict = {"title": m.group("title")}
    if m.group("email"):
        out["email"] = m.group("email")
    out["roles"] = ["creator"]
    return out


def _descriptor(text: bytes, name: str, title: str, licence: str, authors: list[str]) -> bytes:
    d = json.loads(text.decode("utf-8"))
    d["name"], d["title"] = name, title
    d["created"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    d["licenses"] = [_licence(licence)]
    contributors = [_contributor(a) for a in authors]
    if contributors:
        d["contributors"] = contributors
    else:
        d.pop("contributors", None)
    return (json.dumps(d, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _headers(descriptor: bytes, plan: dict[str, bytes]) -> dict[str, bytes]:
    """A header-only CSV for every resource whose file the template does not hold (the consensus tables)."""
    out = {}
    for r in json.loads(descriptor.decode("utf-8"))["resources"]:
        if r["path"] not in plan:
            schema = json.loads(plan[r["schema"]].decode("utf-8"))
            out[r["path"]] = (",".join(f["name"] for f in schema["fields"]) + "\n").encode("utf-8")
    return out


def plan_review(name: str, title: str, licence: str = DEFAULT_LICENCE,
                authors: list[str] | None = None) -> dict[str, bytes]:
    """Every file of a new review (relative path -> content), placeholders filled."""
    from cmokit import __version__

    check_name(name)
    if not title.strip() or "\n" in title:
        raise CmokitError("the title must be one line of text, e.g. --title 'Mentoring and young people's "
                          "wellbeing: a realist review'.", rule="init.title")
    plan = template_files()
    plan[DESCRIPTOR] = _descriptor(plan[DESCRIPTOR], name, title.strip(), licence, list(authors or []))
    fill = {"{{title}}": title.strip(), "{{name}}": name, "{{cmokit_version}}": __version__}
    for rel in ("README.md", ".github/workflows/validate.yml"):
        text = plan[rel].decode("utf-8")
        for key, value in fill.items():
            text = text.replace(key, value)
        plan[rel] = text.encode("utf-8")
    plan.update(_headers(plan[DESCRIPTOR], plan))
    return plan


def _check_target(root: Path, plan: dict[str, bytes], force: bool) -> None:
    if root.exists() and not root.is_dir():
        raise CmokitError(f"{root}: is a file, not a folder. Give the folder for the new review (it is created if "
                          "it does not exist).", rule="init.not_a_folder", path=str(root))
    if root.is_dir():
        entries = sorted(p.name for p in root.iterdir())
        clash = sorted(rel for rel in plan if (root / rel).exists() or (root / rel).is_symlink())
        if clash:
            raise CmokitError(f"{root}: already holds {', '.join(clash[:5])}{' ...' if len(clash) > 5 else ''}; "
                              "nothing was written (cmokit init never overwrites a file). Choose an empty folder.",
                              rule="init.exists", path=str(root))
        if entries and not force:
            shown = ", ".join(entries[:5]) + (" ..." if len(entries) > 5 else "")
            raise CmokitError(f"{root}: is not empty ({shown}); nothing was written. Choose an empty or new folder, "
                              "or add --force to write the review beside what is there (no file is ever "
                              "overwritten).", rule="init.not_empty", path=str(root))
    existing = root
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise CmokitError(f"{existing}: cannot write here (permission denied); nothing was written. Choose a folder "
                          "you can write to.", rule="init.unwritable", path=str(existing))


def init_review(folder: str | os.PathLike[str], *, title: str, name: str | None = None,
                licence: str = DEFAULT_LICENCE, authors: list[str] | None = None, force: bool = False) -> InitResult:
    """Write a new, empty, valid realist review into ``folder`` (created if needed; it must be empty unless
    ``force``, and no file is ever overwritten). CmokitError (exit 2, nothing written) for bad input."""
    from cmokit.core.atomic import write_bytes

    root = Path(folder)
    plan = plan_review(check_name(name) if name is not None else slug(root.resolve().name), title, licence, authors)
    _check_target(root, plan, force)
    made_dirs: list[Path] = []
    written: list[Path] = []
    try:
        for rel, data in plan.items():
            target = root / rel
            missing = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
            for d in reversed(missing):
                d.mkdir()
                made_dirs.append(d)
            if target.exists():  # appeared meanwhile: never overwrite
                raise FileExistsError(f"{target} appeared while the review was written")
            write_bytes(target, data)
            written.append(target)
    except OSError as exc:
        for p in reversed(written):
            p.unlink(missing_ok=True)
        for d in reversed(made_dirs):
            try:
                d.rmdir()
            except OSError:
                pass
        raise CmokitError(f"{root}: the review could not be written ({exc.strerror or exc}); nothing was left "
                          "behind.", rule="init.unwritable", path=str(root)) from None
    return InitResult(root, written)
