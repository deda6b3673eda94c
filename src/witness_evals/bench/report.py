"""The witness-bench HTML report: one self-contained file comparing runs side by side.

Inline CSS and hand-drawn inline SVG; no network, no CDN. The only script is a few lines of vanilla JS
that filter the failure table. Model answers are untrusted: every piece of text from a run goes
through `html.escape` before it reaches the page.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from witness_evals.bench.paired import compare
from witness_evals.bench.summary import (
    KINDS,
    NO_ANSWER,
    OUTCOMES,
    SAMPLES_FILE,
    SOURCES,
    SUMMARY_FILE,
    TIERS,
    read_run_info,
    read_samples,
    summarize,
)
from witness_evals.common.errors import InputError
from witness_evals.common.jsonio import write_atomic

MAX_FAILURES_PER_RUN = 2000
MAX_TEXT_CHARS = 6000

# Okabe & Ito (2008), colour-blind safe.
RUN_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
OUTCOME_COLOURS = {
    "no_answer": "#E8E8E8",
    "no_artifact": "#BBBBBB",
    "wrong_artifact": "#CC79A7",
    "invalid": "#D55E00",
    "partial": "#E69F00",
    "pass": "#009E73",
}
OUTCOME_LABELS = {
    "no_answer": "no answer",
    "no_artifact": "no artifact",
    "wrong_artifact": "wrong artifact",
    "invalid": "invalid",
    "partial": "partial",
    "pass": "pass",
}


@dataclass
class Run:
    """One run directory, loaded."""

    path: Path
    info: dict[str, Any]
    summary: dict[str, Any]
    samples: list[dict[str, Any]]
    label: str = ""
    colour: str = ""


def esc(value: Any) -> str:
    """HTML-escape anything (quotes included, so it is safe in attributes too)."""
    return html.escape("" if value is None else str(value), quote=True)


def load_run(run_dir: Path) -> Run:
    """Read a run directory; summary.json is computed when missing. Bad input raises `InputError`."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise InputError("not a run directory", source=str(run_dir))
    samples = read_samples(run_dir / SAMPLES_FILE)
    info = read_run_info(run_dir)
    summary_path = run_dir / SUMMARY_FILE
    if summary_path.exists():
        try:
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise InputError(f"unreadable summary: {exc}", source=str(summary_path)) from None
        _check_summary(summary, str(summary_path))
    else:
        summary = summarize(samples, info)
    return Run(path=run_dir, info=info, summary=summary, samples=samples)


_TIER_KEYS = ("n_tasks", "pass@1", "ci_low", "ci_high", "ci_method", "pass@k", "outcomes")
_TIER_BREAKDOWNS = ("by_kind", "by_attestor", "by_source", "by_kind_source")


def _check_summary(summary: Any, source: str) -> None:
    """The keys the report reads; a summary.json from elsewhere fails here with one clear line."""
    if not isinstance(summary, dict) or not isinstance(summary.get("tiers"), dict):
        raise InputError('expected a summary object with "tiers"', source=source)
    for name, tier in summary["tiers"].items():
        if not isinstance(tier, dict):
            raise InputError(f"tiers.{name} is not an object", source=source)
        for key in (*_TIER_KEYS, *_TIER_BREAKDOWNS):
            if key not in tier:
                raise InputError(
                    f'tiers.{name} has no "{key}" (delete the file to recompute it)', source=source
                )
        for key in _TIER_BREAKDOWNS:
            if not isinstance(tier[key], dict):
                raise InputError(f"tiers.{name}.{key} is not an object", source=source)


def _labels(runs: Sequence[Run]) -> list[str]:
    base = [str(r.info.get("label") or r.info.get("model") or r.path.name) for r in runs]
    out = [f"{b} ({r.path.name})" if base.count(b) > 1 else b for b, r in zip(base, runs, strict=True)]
    return [f"{o} #{i + 1}" if out.count(o) > 1 else o for i, o in enumerate(out)]


def _ordered(keys: Any, preferred: Sequence[str]) -> list[str]:
    ks = set(keys)
    return [k for k in preferred if k in ks] + sorted(ks - set(preferred))


def _pct(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{100 * x:.{digits}f}%"


def _ci(group: Mapping[str, Any] | None, *, ref: int | None = None) -> str:
    """`62.5% [47.0–75.8]` for a group dict (pass@1, ci_low, ci_high); `n=` when it differs from `ref`."""
    if not group or group.get("pass@1") is None:
        return '<span class="na">–</span>'
    text = (
        f"{_pct(group['pass@1'])} <small>[{100 * group['ci_low']:.1f}–{100 * group['ci_high']:.1f}]</small>"
    )
    if ref is not None and int(group.get("n_tasks", ref)) != ref:
        text += f' <small class="n">n={int(group["n_tasks"])}</small>'
    return text


def _tiers(runs: Sequence[Run]) -> list[str]:
    return _ordered({t for r in runs for t in r.summary["tiers"]}, TIERS)


def _kinds(runs: Sequence[Run], tier: str) -> list[str]:
    return _ordered({k for r in runs for k in r.summary["tiers"].get(tier, {}).get("by_kind", {})}, KINDS)


def _describe(value: Any) -> str:
    """Compact `key=value` text for backend/hardware/settings dicts."""
    if isinstance(value, Mapping):
        parts = []
        for k, v in value.items():
            if isinstance(v, (list, tuple)):
                v = ",".join(str(x) for x in v)
            parts.append(f"{k}={v}")
        return " · ".join(parts)
    return "" if value is None else str(value)


# ---------------------------------------------------------------------------------------------
# sections


def _header(runs: Sequence[Run], generated: str) -> str:
    suites = sorted({f"{r.info.get('suite', '?')} v{r.info.get('suite_version', '?')}" for r in runs})
    rows = []
    for r in runs:
        totals = r.summary.get("totals") or {}
        tokens = totals.get("completion_tokens_mean")
        rows.append(
            "<tr>"
            f'<td><span class="sw" style="background:{r.colour}"></span><b>{esc(r.label)}</b></td>'
            f"<td><code>{esc(r.info.get('model'))}</code></td>"
            f'<td class="wrap">{esc(_describe(r.info.get("backend")))}</td>'
            f'<td class="wrap">{esc(_describe(r.info.get("hardware")))}</td>'
            f'<td class="wrap">{esc(_describe(r.info.get("settings")))}</td>'
            f"<td>{esc(r.info.get('started'))}</td>"
            f'<td class="num">{int(totals.get("samples") or 0)}</td>'
            f'<td class="num">{int(totals.get("errors") or 0)}</td>'
            f'<td class="num">{"–" if tokens is None else f"{tokens:.0f}"}</td>'
            f'<td class="num">{float(totals.get("seconds") or 0):.0f}&thinsp;s</td>'
            "</tr>"
        )
    warn = ""
    if len(suites) > 1:
        warn = '<p class="warn">The runs used different suites or suite versions; compare with care.</p>'
    return (
        "<header>"
        "<h1>witness-bench report</h1>"
        f'<p class="sub">suite <b>{esc(", ".join(suites))}</b> · {len(runs)} run{"s" if len(runs) != 1 else ""}'
        f" · generated {esc(generated)}</p>"
        "</header>"
        f'<section id="runs"><h2>Runs</h2>{warn}<div class="scroll"><table>'
        "<thead><tr><th>run</th><th>model</th><th>backend</th><th>hardware</th><th>settings</th>"
        '<th>started</th><th class="num">samples</th><th class="num">backend errors</th>'
        '<th class="num">mean tokens</th><th class="num">time</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _headline(runs: Sequence[Run]) -> str:
    """Rows: tier × run; columns: pass@1 [CI], Δ vs the first run, hand, generated, pass@k."""
    ks = sorted(
        {
            int(k)
            for r in runs
            for t in r.summary["tiers"].values()
            for k in t.get("pass@k", {})
            if int(k) != 1
        }
    )
    cols = ["pass@1 [95% CI]", "Δ vs first", *SOURCES, *[f"pass@{k}" for k in ks]]
    head = "<th>tier</th><th>run</th>" + "".join(f'<th class="num">{esc(c)}</th>' for c in cols)
    rows = []
    for tier in _tiers(runs):
        base = runs[0].summary["tiers"].get(tier)
        ref = _ref_n(runs, tier)
        for i, r in enumerate(runs):
            t = r.summary["tiers"].get(tier)
            cells = []
            if i == 0:
                cells.append(f'<td rowspan="{len(runs)}" class="tiercell">{esc(tier)}</td>')
            cells.append(
                f'<td class="run"><span class="sw" style="background:{r.colour}"></span><b>{esc(r.label)}</b></td>'
            )
            if t is None:
                rows.append("<tr>" + "".join(cells) + '<td class="na" colspan="99">no samples</td></tr>')
                continue
            cells.append(f'<td class="num big">{_ci(t, ref=ref.get("all"))}</td>')
            if i == 0 or not base or base.get("pass@1") is None or t.get("pass@1") is None:
                cells.append('<td class="num na">–</td>')
            else:
                d = 100 * (t["pass@1"] - base["pass@1"])
                cls = "up" if d > 0 else "down" if d < 0 else ""
                cells.append(f'<td class="num {cls}">{d:+.1f}&thinsp;pt</td>')
            for src in SOURCES:
                cells.append(f'<td class="num">{_ci(t["by_source"].get(src), ref=ref.get(src))}</td>')
            for k in ks:
                pk = t.get("pass@k", {}).get(str(k))
                if pk is None:
                    cells.append('<td class="num na">–</td>')
                else:
                    g = {"pass@1": pk["value"], "ci_low": pk["ci_low"], "ci_high": pk["ci_high"]}
                    cells.append(f'<td class="num">{_ci(g)}</td>')
            rows.append(f'<tr class="{"first" if i == 0 else ""}">{"".join(cells)}</tr>')
    methods = sorted({t.get("ci_method", "") for r in runs for t in r.summary["tiers"].values()})
    note = {
        "wilson": "Wilson score interval over tasks (one sample per task)",
        "bootstrap": "percentile bootstrap over tasks (2000 resamples, fixed seed)",
    }
    notes = "; ".join(note.get(m, m) for m in methods if m)
    tier_tasks = ", ".join(
        f"{esc(tier)}: {n} tasks ({', '.join(f'{esc(s)} {ref[s]}' for s in SOURCES if s in ref)})"
        for tier in _tiers(runs)
        for ref in [_ref_n(runs, tier)]
        for n in [ref.get("all", 0)]
    )
    return (
        '<section id="headline"><h2>Headline</h2>'
        '<p class="note">pass@1 is the mean over tasks of the share of passing samples; tier <b>bare</b> '
        "is the headline (the question alone), <b>context</b> adds reference material to the prompt. "
        f"95% intervals: {esc(notes)}. Tasks per tier: {tier_tasks}.</p>"
        '<div class="scroll"><table class="headline">'
        f"<thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


PAIRED_TASKS_SHOWN = 200
"""Gained and lost task ids listed per comparison (the counts are always whole)."""


def _task_list(ids: Sequence[str]) -> str:
    shown = " ".join(f"<code>{esc(t)}</code>" for t in ids[:PAIRED_TASKS_SHOWN])
    more = f" <small>(+{len(ids) - PAIRED_TASKS_SHOWN} more)</small>" if len(ids) > PAIRED_TASKS_SHOWN else ""
    return shown + more if ids else '<span class="na">none</span>'


def _paired(runs: Sequence[Run]) -> str:
    """Each later run against the first, task by task (`paired.compare`): gained, lost, exact McNemar p."""
    if len(runs) < 2:
        return ""
    head = "".join(
        f'<th class="num">{esc(c)}</th>'
        for c in ("tasks", "first", "this run", "gained", "lost", "p (McNemar)")
    )
    parts = []
    for tier in _tiers(runs):
        rows, lists = [], []
        for r in runs[1:]:
            c = compare(runs[0].samples, r.samples, tier)
            for group, pg in c.groups.items():
                if not pg.tasks:
                    continue
                cls = "up" if pg.delta > 0 else "down" if pg.delta < 0 else ""
                rows.append(
                    f'<tr class="{"first" if group == "all" else ""}"><td class="run"><span class="sw" '
                    f'style="background:{r.colour}"></span><b>{esc(r.label)}</b></td><td>{esc(group)}</td>'
                    f'<td class="num">{pg.tasks}</td><td class="num">{pg.passed_a}</td><td class="num">{pg.passed_b}</td>'
                    f'<td class="num up">+{len(pg.gained)}</td><td class="num down">&minus;{len(pg.lost)}</td>'
                    f'<td class="num {cls if pg.p_value < 0.05 else ""}">{pg.p_value:.3f}</td></tr>'
                )
            everything = c.groups["all"]
            lists.append(
                f"<details><summary>{esc(r.label)}: {len(everything.gained)} gained, {len(everything.lost)} lost "
                f"({esc(tier)})</summary><p><b>gained</b> {_task_list(everything.gained)}</p>"
                f"<p><b>lost</b> {_task_list(everything.lost)}</p></details>"
            )
        if rows:
            parts.append(
                f"<h3>tier {esc(tier)}</h3>"
                '<div class="scroll"><table class="headline">'
                f"<thead><tr><th>run</th><th>set</th>{head}</tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table></div>{''.join(lists)}"
            )
    return (
        '<section id="paired"><h2>Paired comparison with the first run</h2>'
        '<p class="note">The runs answered the same tasks, so each later run is compared with the first task '
        "by task (each task's first sample): <b>gained</b> = failed in the first run, passes here; "
        "<b>lost</b> = the reverse. p: the exact two-sided McNemar test on gained vs lost (how likely a split "
        "at least that uneven is if neither run is better); below 0.05 it is coloured.</p>"
        f"{''.join(parts)}</section>"
    )


def _ref_n(runs: Sequence[Run], tier: str, field: str = "by_source") -> dict[str, int]:
    """Task counts of the first run that has the tier ("all" plus each key of `field`)."""
    for r in runs:
        t = r.summary["tiers"].get(tier)
        if t:
            out = {k: int(g["n_tasks"]) for k, g in t.get(field, {}).items()}
            out["all"] = int(t["n_tasks"])
            return out
    return {}


def _legend_runs(runs: Sequence[Run], x: float, y: float) -> str:
    parts = []
    for r in runs:
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" rx="2" fill="{r.colour}"/>'
            f'<text x="{x + 17:.1f}" y="{y:.1f}" class="lg">{esc(r.label)}</text>'
        )
        x += 30 + 7.2 * len(r.label)
    return "".join(parts)


def _kind_chart(runs: Sequence[Run], tier: str) -> str:
    """Grouped bars: pass@1 per kind (and overall), one bar per run, whiskers for the 95% CI."""
    kinds = [*_kinds(runs, tier), "all"]
    width, height = 1100, 340
    left, right, top, bottom = 52, 12, 44, 54
    plot_w, plot_h = width - left - right, height - top - bottom
    group_w = plot_w / len(kinds)
    bar_w = min(46.0, group_w * 0.8 / len(runs))

    def y(v: float) -> float:
        return top + plot_h * (1 - v)

    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="pass@1 by kind, tier {esc(tier)}">'
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        yy = y(tick)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" class="grid"/>')
        out.append(
            f'<text x="{left - 8}" y="{yy + 4:.1f}" class="ax" text-anchor="end">{int(tick * 100)}%</text>'
        )
    out.append(_legend_runs(runs, left, 18))
    for gi, kind in enumerate(kinds):
        gx = left + gi * group_w
        if kind == "all":
            out.append(f'<line x1="{gx:.1f}" x2="{gx:.1f}" y1="{top}" y2="{top + plot_h}" class="sep"/>')
        x0 = gx + (group_w - bar_w * len(runs)) / 2
        n_tasks = 0
        for ri, r in enumerate(runs):
            t = r.summary["tiers"].get(tier) or {}
            g = t if kind == "all" else t.get("by_kind", {}).get(kind)
            if not g or g.get("pass@1") is None:
                continue
            n_tasks = max(n_tasks, int(g["n_tasks"]))
            v, lo, hi = float(g["pass@1"]), float(g["ci_low"]), float(g["ci_high"])
            bx = x0 + ri * bar_w
            cx = bx + bar_w / 2
            title = f"{r.label} · {kind}: {_pct(v)} [{100 * lo:.1f}–{100 * hi:.1f}], n={g['n_tasks']}"
            out.append(
                f'<rect x="{bx + 1:.1f}" y="{y(v):.1f}" width="{bar_w - 2:.1f}" height="{plot_h * v:.1f}" '
                f'fill="{r.colour}"><title>{esc(title)}</title></rect>'
            )
            cap = min(6.0, bar_w / 4)
            out.append(
                f'<path d="M{cx:.1f},{y(lo):.1f}V{y(hi):.1f}M{cx - cap:.1f},{y(lo):.1f}H{cx + cap:.1f}'
                f'M{cx - cap:.1f},{y(hi):.1f}H{cx + cap:.1f}" class="err"/>'
            )
            if bar_w >= 22:
                out.append(
                    f'<text x="{cx:.1f}" y="{y(hi) - 4:.1f}" class="val" text-anchor="middle">{100 * v:.0f}</text>'
                )
        label_x = gx + group_w / 2
        out.append(
            f'<text x="{label_x:.1f}" y="{top + plot_h + 20}" class="kx" text-anchor="middle">{esc(kind)}</text>'
            f'<text x="{label_x:.1f}" y="{top + plot_h + 36}" class="ax" text-anchor="middle">n={n_tasks}</text>'
        )
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(0):.1f}" y2="{y(0):.1f}" class="axis"/>')
    out.append("</svg>")
    return "".join(out)


def _taxonomy_chart(runs: Sequence[Run], tier: str) -> str:
    """Stacked horizontal bars: the share of samples in each outcome, per kind and run."""
    kinds = [*_kinds(runs, tier), "all"]
    row_h, gap, label_w, bar_w, top = 18, 12, 300, 800, 40
    width = label_w + bar_w + 30
    height = top + len(kinds) * (len(runs) * row_h + gap) + 28
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="outcomes by kind, tier {esc(tier)}">'
    ]
    lx = float(label_w)
    overall = [
        ((r.summary["tiers"].get(tier) or {}).get("outcomes") or {}).get("overall") or {} for r in runs
    ]
    shown = (NO_ANSWER, *OUTCOMES) if any(o.get(NO_ANSWER) for o in overall) else OUTCOMES
    for o in shown:
        out.append(
            f'<rect x="{lx:.1f}" y="10" width="12" height="12" rx="2" fill="{OUTCOME_COLOURS[o]}"/>'
            f'<text x="{lx + 17:.1f}" y="20" class="lg">{esc(OUTCOME_LABELS[o])}</text>'
        )
        lx += 34 + 7.2 * len(OUTCOME_LABELS[o])
    yy = float(top)
    for kind in kinds:
        out.append(
            f'<line x1="0" x2="{width}" y1="{yy - gap / 2:.1f}" y2="{yy - gap / 2:.1f}" class="rowsep"/>'
        )
        out.append(f'<text x="6" y="{yy + row_h * len(runs) / 2 + 5:.1f}" class="kx">{esc(kind)}</text>')
        for r in runs:
            t = r.summary["tiers"].get(tier) or {}
            oc = t.get("outcomes", {})
            counts = oc.get("overall") if kind == "all" else oc.get("by_kind", {}).get(kind)
            if len(runs) > 1:
                name = r.label if len(r.label) <= 30 else r.label[:29] + "…"
                out.append(
                    f'<text x="{label_w - 8}" y="{yy + row_h - 5:.1f}" class="ax" text-anchor="end">'
                    f"{esc(name)}</text>"
                )
            out.append(
                f'<rect x="{label_w - 5}" y="{yy + 2:.1f}" width="3" height="{row_h - 4}" fill="{r.colour}"/>'
            )
            total = sum(int(v) for v in (counts or {}).values())
            x = float(label_w)
            if total:
                for o in _ordered(counts or {}, (NO_ANSWER, *OUTCOMES)):
                    share = int(counts[o]) / total
                    if share <= 0:
                        continue
                    w = bar_w * share
                    title = f"{r.label} · {kind} · {OUTCOME_LABELS.get(o, o)}: {counts[o]} of {total} ({_pct(share)})"
                    out.append(
                        f'<rect x="{x:.1f}" y="{yy + 1:.1f}" width="{w:.1f}" height="{row_h - 2}" '
                        f'fill="{OUTCOME_COLOURS.get(o, "#666666")}"><title>{esc(title)}</title></rect>'
                    )
                    if w >= 34:
                        out.append(
                            f'<text x="{x + w / 2:.1f}" y="{yy + row_h - 5:.1f}" class="seg" '
                            f'text-anchor="middle">{100 * share:.0f}%</text>'
                        )
                    x += w
            else:
                out.append(f'<text x="{x + 4:.1f}" y="{yy + row_h - 5:.1f}" class="ax">no samples</text>')
            yy += row_h
        yy += gap
    out.append("</svg>")
    return "".join(out)


def _charts(runs: Sequence[Run]) -> str:
    parts = ['<section id="kinds"><h2>pass@1 by kind</h2>']
    parts.append(
        '<p class="note">Bars: pass@1; whiskers: 95% interval; numbers above the bars: pass@1 in %; '
        "n: tasks.</p>"
    )
    for tier in _tiers(runs):
        parts.append(f'<h3>tier {esc(tier)}</h3><div class="scroll">{_kind_chart(runs, tier)}</div>')
    parts.append("</section>")
    parts.append('<section id="taxonomy"><h2>Outcomes</h2>')
    parts.append(
        '<p class="note">Share of samples per outcome: <b>no artifact</b> (nothing to check in the answer), '
        "<b>wrong artifact</b> (e.g. a policy where a Rego module was asked for), <b>invalid</b> (does not "
        "parse, compile or load), <b>partial</b> (some checks pass), <b>pass</b>; <b>no answer</b> (shown "
        "only where it occurs): the backend gave none (an error, a run cut short).</p>"
    )
    for tier in _tiers(runs):
        parts.append(f'<h3>tier {esc(tier)}</h3><div class="scroll">{_taxonomy_chart(runs, tier)}</div>')
    parts.append("</section>")
    return "".join(parts)


def _breakdown_table(runs: Sequence[Run], field: str, title: str, order: Sequence[str], anchor: str) -> str:
    """Per tier, one row per key of `field` (e.g. by_attestor): n, then pass@1 [CI] of each run."""
    tables = []
    for tier in _tiers(runs):
        keys = _ordered({k for r in runs for k in (r.summary["tiers"].get(tier) or {}).get(field, {})}, order)
        ref = _ref_n(runs, tier, field)
        head = "".join(
            f'<th class="num"><span class="sw" style="background:{r.colour}"></span>{esc(r.label)}</th>'
            for r in runs
        )
        rows = []
        for key in keys:
            cells = "".join(
                f'<td class="num">{_ci((r.summary["tiers"].get(tier) or {}).get(field, {}).get(key), ref=ref.get(key))}</td>'
                for r in runs
            )
            rows.append(
                f'<tr><td><code>{esc(key)}</code></td><td class="num">{ref.get(key, "–")}</td>{cells}</tr>'
            )
        tables.append(
            f'<div class="tierbox"><h3>tier {esc(tier)}</h3><div class="scroll"><table class="breakdown">'
            f'<thead><tr><th></th><th class="num">n</th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div></div>"
        )
    return (
        f'<section id="{anchor}"><h2>{esc(title)}</h2>'
        '<p class="note">pass@1 [95% CI]; n: tasks (repeated in a cell only where a run differs).</p>'
        f'<div class="tiers">{"".join(tables)}</div></section>'
    )


def _clip(text: str) -> str:
    if len(text) <= MAX_TEXT_CHARS:
        return text
    return text[:MAX_TEXT_CHARS] + f"\n… ({len(text) - MAX_TEXT_CHARS} more characters not shown)"


def _prompt_text(prompt: Any) -> str:
    if isinstance(prompt, list):
        parts = []
        for m in prompt:
            if isinstance(m, Mapping):
                parts.append(f"[{m.get('role', '?')}]\n{m.get('content', '')}")
            else:
                parts.append(str(m))
        return "\n\n".join(parts)
    return "" if prompt is None else str(prompt)


def _row_key(s: Mapping[str, Any]) -> tuple[Any, ...]:
    tier, kind = str(s["tier"]), str(s["kind"])
    tier_rank = TIERS.index(tier) if tier in TIERS else len(TIERS)
    kind_rank = KINDS.index(kind) if kind in KINDS else len(KINDS)
    return (tier_rank, tier, kind_rank, kind, str(s["task"]), int(s.get("sample") or 0))


def _pick_failures(samples: Sequence[Mapping[str, Any]], cap: int) -> list[Mapping[str, Any]]:
    """Up to `cap` failures, taken round-robin over (tier, kind) so every kind is represented."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for s in samples:
        if not s.get("passed"):
            groups[(str(s["tier"]), str(s["kind"]))].append(s)
    for g in groups.values():
        g.sort(key=lambda s: (str(s["task"]), int(s.get("sample") or 0)))
    keys = sorted(groups)
    picked: list[Mapping[str, Any]] = []
    depth = 0
    while len(picked) < cap and any(depth < len(groups[k]) for k in keys):
        for k in keys:
            if depth < len(groups[k]) and len(picked) < cap:
                picked.append(groups[k][depth])
        depth += 1
    picked.sort(key=_row_key)
    return picked


def _failures(runs: Sequence[Run], cap: int) -> str:
    keyed: list[tuple[tuple[Any, ...], str]] = []
    notes: list[str] = []
    kinds: set[str] = set()
    outcomes: set[str] = set()
    tiers: set[str] = set()
    for ri, r in enumerate(runs):
        total = sum(1 for s in r.samples if not s.get("passed"))
        picked = _pick_failures(r.samples, cap)
        several = int((r.info.get("settings") or {}).get("samples") or 1) > 1
        if len(picked) < total:
            notes.append(
                f"{r.label}: showing {len(picked)} of {total} failures (spread over tiers and kinds)"
            )
        for s in picked:
            kind, tier = str(s["kind"]), str(s["tier"])
            outcome = str(s.get("outcome") or "invalid")
            kinds.add(kind)
            outcomes.add(outcome)
            tiers.add(tier)
            checks = s.get("checks") or []
            check_items = "".join(
                f'<li class="{"ok" if c.get("ok") else "bad"}">{"✓" if c.get("ok") else "✗"} {esc(c.get("name"))}'
                + (f" — {esc(c.get('reason'))}" if c.get("reason") else "")
                + "</li>"
                for c in checks
                if isinstance(c, Mapping)
            )
            error = s.get("error")
            details = (
                "<details><summary>prompt &amp; answer</summary>"
                + (f'<p class="err-msg">backend error: {esc(error)}</p>' if error else "")
                + (f'<ul class="checks">{check_items}</ul>' if check_items else "")
                + f"<h4>prompt</h4><pre>{esc(_clip(_prompt_text(s.get('prompt'))))}</pre>"
                + f"<h4>answer</h4><pre>{esc(_clip(str(s.get('answer') or '')))}</pre>"
                + "</details>"
            )
            reason = str(s.get("reason") or "")
            if s.get("cut"):
                reason += f" (the answer stopped at its budget of {s.get('budget')} tokens)"
            search = f"{s['task']} {reason} {s.get('attestor') or ''}".casefold()
            keyed.append(
                (
                    (*_row_key(s), ri),
                    f'<tr data-run="{ri}" data-kind="{esc(kind)}" data-outcome="{esc(outcome)}" '
                    f'data-tier="{esc(tier)}" data-q="{esc(search)}">'
                    f'<td class="run"><span class="sw" style="background:{r.colour}"></span>{esc(r.label)}</td>'
                    f"<td>{esc(tier)}</td>"
                    f'<td class="task"><code>{esc(s["task"])}</code>'
                    + (f" <small>#{int(s.get('sample') or 0)}</small>" if several else "")
                    + "</td>"
                    f"<td>{esc(kind)}</td><td>{esc(s.get('source'))}</td>"
                    f'<td><span class="badge" style="--c:{OUTCOME_COLOURS.get(outcome, "#666666")}">'
                    f"{esc(OUTCOME_LABELS.get(outcome, outcome))}</span></td>"
                    f'<td class="reason">{esc(reason)}{details}</td>'
                    "</tr>",
                )
            )
    rows = [row for _, row in sorted(keyed, key=lambda kr: kr[0])]

    def options(values: Sequence[tuple[str, str]]) -> str:
        return '<option value="">all</option>' + "".join(
            f'<option value="{esc(v)}">{esc(t)}</option>' for v, t in values
        )

    run_opts = options([(str(i), r.label) for i, r in enumerate(runs)])
    kind_opts = options([(k, k) for k in _ordered(kinds, KINDS)])
    out_opts = options([(o, OUTCOME_LABELS.get(o, o)) for o in _ordered(outcomes, OUTCOMES)])
    tier_opts = options([(t, t) for t in _ordered(tiers, TIERS)])
    cap_note = "".join(f"<li>{esc(n)}</li>" for n in notes)
    return (
        '<section id="failures"><h2>Failures</h2>'
        f'<p class="note">Every sample that did not pass (at most {cap} per run). Answers are model output, '
        "shown as text.</p>"
        + (f'<ul class="note">{cap_note}</ul>' if cap_note else "")
        + '<div class="filters">'
        '<label>search <input id="f-q" type="search" placeholder="task id or reason"></label>'
        f'<label>run <select id="f-run">{run_opts}</select></label>'
        f'<label>tier <select id="f-tier">{tier_opts}</select></label>'
        f'<label>kind <select id="f-kind">{kind_opts}</select></label>'
        f'<label>outcome <select id="f-outcome">{out_opts}</select></label>'
        f'<span id="f-count">{len(rows)} rows</span></div>'
        '<div class="scroll"><table id="fail"><thead><tr><th>run</th><th>tier</th><th>task</th><th>kind</th>'
        "<th>source</th><th>outcome</th><th>reason</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


_CSS = """
:root{--fg:#1d2127;--muted:#5b6472;--line:#e3e6ea;--bg:#fff;--alt:#f7f8fa}
*{box-sizing:border-box}
body{margin:0;padding:28px 36px 60px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1280px;margin:0 auto}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:19px;margin:34px 0 8px;padding-bottom:4px;border-bottom:2px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px;color:var(--muted);font-weight:600}
h4{margin:10px 0 4px;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.sub{color:var(--muted);margin:0}
.note{color:var(--muted);font-size:13px;margin:4px 0 10px}
.warn{background:#fff4e0;border:1px solid #f0c36d;padding:6px 10px;border-radius:4px}
table{border-collapse:collapse;font-size:13px}
th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-weight:600;background:var(--alt);white-space:nowrap}
th.tier{text-align:center;border-left:2px solid #fff;text-transform:uppercase;font-size:12px;letter-spacing:.05em}
tbody tr:nth-child(even){background:#fbfbfc}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.big{font-size:15px;font-weight:600}
td.run{white-space:nowrap}
td.tiercell{font-weight:600;text-transform:uppercase;font-size:12px;letter-spacing:.05em;background:var(--alt);vertical-align:middle}
table.headline tr.first td{border-top:2px solid #d5d9de}
th.num{text-align:right}
.tiers{display:flex;flex-wrap:wrap;gap:8px 40px;align-items:flex-start}
.tierbox{max-width:100%}
td.wrap{max-width:300px;font-size:12px;color:var(--muted)}
small{color:var(--muted);font-weight:400}
small.n{font-size:11px}
.na{color:#aab}
.up{color:#00795a}.down{color:#b34700}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:baseline}
.scroll{overflow-x:auto}
svg.chart{display:block;max-width:100%;height:auto;font-family:inherit}
svg .grid{stroke:#e6e8eb;stroke-width:1}
svg .axis{stroke:#8a929c;stroke-width:1}
svg .sep{stroke:#c5cad1;stroke-dasharray:3 3}
svg .rowsep{stroke:#eef0f2}
svg .err{stroke:#222;stroke-width:1.3;fill:none}
svg .ax{font-size:11px;fill:#5b6472}
svg .kx{font-size:13px;font-weight:600;fill:#1d2127}
svg .lg{font-size:12px;fill:#1d2127}
svg .val{font-size:10px;fill:#333}
svg .seg{font-size:10.5px;fill:#111;font-weight:600}
.filters{display:flex;flex-wrap:wrap;gap:14px;align-items:center;margin:10px 0;padding:8px 10px;background:var(--alt);border-radius:6px}
.filters label{font-size:12px;color:var(--muted)}
.filters input,.filters select{margin-left:4px;font:inherit;font-size:13px;padding:2px 4px}
.filters input{width:220px}
#f-count{margin-left:auto;font-size:12px;color:var(--muted)}
#fail td.reason{max-width:560px;overflow-wrap:anywhere}
#fail td.task code{font-size:12px}
.badge{display:inline-block;padding:1px 7px;border-radius:9px;font-size:11.5px;white-space:nowrap;border:1px solid var(--c);background:color-mix(in srgb,var(--c) 22%,white)}
details{margin-top:4px}
summary{cursor:pointer;color:#0b5cad;font-size:12px}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f4f5f7;border:1px solid var(--line);border-radius:4px;padding:8px;max-height:360px;overflow:auto;font-size:12px;margin:0}
ul.checks{margin:6px 0;padding-left:18px;font-size:12px}
ul.checks li.ok{color:#00795a}ul.checks li.bad{color:#b34700}
.err-msg{color:#b34700;font-size:12px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
"""

_JS = """
(function(){
  var q=document.getElementById('f-q'),sel={run:'f-run',tier:'f-tier',kind:'f-kind',outcome:'f-outcome'};
  var rows=Array.prototype.slice.call(document.querySelectorAll('#fail tbody tr'));
  var count=document.getElementById('f-count');
  function apply(){
    var text=q.value.trim().toLowerCase(),want={},n=0;
    for(var k in sel){want[k]=document.getElementById(sel[k]).value;}
    rows.forEach(function(r){
      var ok=(!text||r.dataset.q.indexOf(text)>=0);
      for(var k in want){if(want[k]&&r.dataset[k]!==want[k]){ok=false;}}
      r.hidden=!ok;if(ok){n++;}
    });
    count.textContent=n+' of '+rows.length+' rows';
  }
  q.addEventListener('input',apply);
  for(var k in sel){document.getElementById(sel[k]).addEventListener('change',apply);}
})();
"""


def build_html(
    runs: Sequence[Run], *, generated: str | None = None, max_failures: int = MAX_FAILURES_PER_RUN
) -> str:
    """The report page for loaded runs (labels and colours are assigned here)."""
    if not runs:
        raise InputError("no runs to report")
    for r, label, colour in zip(
        runs, _labels(runs), RUN_COLOURS * (1 + len(runs) // len(RUN_COLOURS)), strict=False
    ):
        r.label, r.colour = label, colour
    if generated is None:
        generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    suite = runs[0].info.get("suite", "?")
    title = f"witness-bench · {suite} · " + " vs ".join(r.label for r in runs)
    body = [
        _header(runs, generated),
        _headline(runs),
        _paired(runs),
        _charts(runs),
        _breakdown_table(runs, "by_attestor", "pass@1 by attestor", (), "attestors"),
        _breakdown_table(
            runs,
            "by_kind_source",
            "pass@1 by kind and source",
            [f"{k}/{s}" for k in KINDS for s in SOURCES],
            "kind-source",
        ),
        _failures(runs, max_failures),
    ]
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head>"
        f"<body><main>{''.join(body)}</main><script>{_JS}</script></body></html>\n"
    )


def render_report(run_dirs: Sequence[Path], out: Path, *, max_failures: int = MAX_FAILURES_PER_RUN) -> None:
    """Write one self-contained HTML report comparing the runs in `run_dirs` (at most
    `max_failures` failures of each run in its table)."""
    runs = [load_run(Path(d)) for d in run_dirs]
    write_atomic(Path(out), build_html(runs, max_failures=max_failures))
