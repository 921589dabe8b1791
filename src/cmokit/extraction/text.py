"""The comparison as text for people: who extracted what, agreement per field, and the conflicts."""

from __future__ import annotations

from cmokit.extraction.results import Comparison


def _fmt(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def render_text(cmp: Comparison, limit: int = 20) -> str:
    """The report for people."""
    d = cmp.to_dict()
    out = [f"Review {cmp.review.name}: " + ", ".join(f"{s.id} ({s.path})" for s in cmp.submissions), ""]
    for sid, studies in cmp.studies_only.items():
        if studies:
            more = f" … and {len(studies) - limit} more" if len(studies) > limit else ""
            out.append(f"Studies only {sid} extracted ({len(studies)}): {', '.join(studies[:limit])}{more}")
    for key, what in (("only", "carried into the consensus"), ("unmatched", "no partner: a (row) conflict")):
        items = d[key]
        if items:
            out.append(f"Rows only one reviewer has ({what}): {len(items)}")
            for it in items[:limit]:
                out.append(f"  {it['table']}: {it['key']} — only {it['reviewer']}")
            if len(items) > limit:
                out.append(f"  … and {len(items) - limit} more")
    tables = d["tables"]
    for p, ov in zip(cmp.pairs, d["overall"], strict=True):
        out += ["", f"{p.a.id} vs {p.b.id}", ""]
        out.append(f"{'table':<16} {'field':<26} {'kind':<6} {'n':>7} {'agree':>6} {'kappa':>6}  label")
        for t in p.tables:
            for s in t.stats:
                label = s.kappa_label or ""
                out.append(f"{s.table:<16} {s.field:<26} {s.kind:<6} {s.n:>7} {_fmt(s.agreement):>6} "
                           f"{_fmt(s.kappa) if s.kind == 'coded' else '':>6}  {label}")
            tt = next(x for x in tables if x["table"] == t.table and x["reviewer_a"] == p.a.id
                      and x["reviewer_b"] == p.b.id)
            out.append(f"{t.table:<16} {'TOTAL':<26} {'':<6} {tt['n']:>7} {_fmt(tt['agreement']):>6}         "
                       f"rows paired {tt['rows_paired']}, conflicts {tt['conflicts']}")
        out.append(f"{'OVERALL':<16} {'':<26} {'':<6} {ov['n']:>7} {_fmt(ov['agreement']):>6}         "
                   f"conflicts {ov['conflicts']}")
    if cmp.alpha:
        out += ["", "Krippendorff's alpha (nominal), all reviewers", ""]
        for a in cmp.alpha:
            out.append(f"{a['table']:<16} {a['field']:<26} units {a['units']:>7}  alpha {_fmt(a['alpha'], 3)}")
    conflicts = cmp.conflicts
    out += ["", f"Conflicts: {len(conflicts)}"]
    for c in conflicts[:limit]:
        who = f" [{c.reviewer_a} vs {c.reviewer_b}]" if len(cmp.submissions) > 2 else ""
        va, vb = excerpts(c.value_a, c.value_b)
        out.append(f"  {c.table} {c.key} {c.field}{who}: {va!r} vs {vb!r}")
    if len(conflicts) > limit:
        out.append(f"  … and {len(conflicts) - limit} more (--format json or --conflicts FILE lists them all)")
    return "\n".join(out) + "\n"


def excerpts(a: str, b: str, width: int = 60) -> tuple[str, str]:
    """Short excerpts of two long values that show where they differ (a shared start is elided with '…')."""
    if len(a) <= width and len(b) <= width:
        return a, b
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    start = max(0, common - 20)

    def cut(v: str) -> str:
        body = v[start:start + width]
        return ("…" if start else "") + body + ("…" if start + width < len(v) else "")

    return cut(a), cut(b)
