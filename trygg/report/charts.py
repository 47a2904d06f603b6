"""The report's four charts as PNG files (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: servers and CI have no display

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from schemas import Category, SourceKind  # noqa: E402
from trygg import texts  # noqa: E402
from trygg.domain.effect import suppress_small  # noqa: E402
from trygg.report.data import ReportData  # noqa: E402

BEFORE_COLOUR, AFTER_COLOUR, CONTROL_COLOUR, SIGNING_COLOUR = "#8c9bab", "#1f6feb", "#d97706", "#b91c1c"
CHART_FILES = ("veckor.png", "kategorier.png", "kontroll.png", "rapportering.png")
SAFETY_CHART = "trygghet.png"  # only when survey waves exist


def _t(key: str, **values: object) -> str:
    return texts.text(texts.REPORT, key, **values)


def write_charts(data: ReportData, out: Path) -> list[Path]:
    """Write the four charts (and the perceived-safety chart when there are survey waves) into `out` and
    return their paths."""
    # Large type for the figure size: the page shows the charts on phones too.
    with plt.rc_context({"font.size": 12, "axes.titlesize": 13}):
        figures = [_weekly(data), _categories(data), _versus_control(data), _reporting(data)]
        names = list(CHART_FILES)
        if any(w["share"] is not None for w in data.safety_waves):
            figures.append(_safety(data))
            names.append(SAFETY_CHART)
    paths = []
    for figure, name in zip(figures, names, strict=True):
        path = out / name
        figure.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(figure)
        paths.append(path)
    return paths


def _signing_line(ax, data: ReportData) -> None:
    ax.axvline(data.signed_at, color=SIGNING_COLOUR, linewidth=2, label=_t("signed_on", day=data.signed_at))


def _legend_below(ax) -> None:
    """Under the plot, where it cannot hide a line (the time-series charts have no empty corner)."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3, fontsize=10, frameon=False)


def _weekly(data: ReportData) -> Figure:
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    if data.weekly:
        weeks, counts = zip(*data.weekly, strict=True)
        ax.step(weeks, counts, where="post", color=AFTER_COLOUR, linewidth=1.6, label=_t("weekly_series"))
    _signing_line(ax, data)
    top = max([n for _, n in data.weekly] + [1])
    for number, (_, starts_on) in enumerate(data.measures, start=1):
        if data.window_start <= starts_on < data.window_end:
            ax.plot([starts_on], [top * 1.08], marker="v", color="#15803d", markersize=9)
            ax.annotate(str(number), (starts_on, top * 1.08), textcoords="offset points", xytext=(0, 7),
                        ha="center", fontsize=9, color="#15803d")
    if data.measures:
        ax.plot([], [], marker="v", color="#15803d", linestyle="none", label=_t("measure_starts"))
    ax.set_ylim(0, top * 1.25)
    ax.set_title(_t("weekly_title", name=data.name))
    ax.set_ylabel(_t("weekly_axis"))
    _legend_below(ax)
    ax.grid(axis="y", alpha=0.3)
    fig.autofmt_xdate()
    return fig


def _categories(data: ReportData) -> Figure:
    """Rates per 30 days before and after; the after bar carries the 95 % interval of the change."""
    order = {c.value: i for i, c in enumerate(Category)}
    rows = sorted(
        (r for r in data.effects
         if r["area_scope"] == "agreement" and r["category"] is not None and r["verdict"] != "too_few"),
        key=lambda r: order.get(r["category"], len(order)),
    )
    fig, ax = plt.subplots(figsize=(8.5, 4.8))
    x = range(len(rows))
    before = [r["before_per_30d"] for r in rows]
    after = [r["after_per_30d"] for r in rows]
    low = [a - b * r["ci_low"] for a, b, r in zip(after, before, rows, strict=True)]
    high = [b * r["ci_high"] - a for a, b, r in zip(after, before, rows, strict=True)]
    ax.bar([i - 0.2 for i in x], before, width=0.4, color=BEFORE_COLOUR, label=_t("col_before"))
    ax.bar([i + 0.2 for i in x], after, width=0.4, color=AFTER_COLOUR, label=_t("col_after"))
    ax.errorbar([i + 0.2 for i in x], after, yerr=[low, high], fmt="none", ecolor="black", capsize=4,
                label=_t("interval"))
    ax.set_xticks(list(x), [texts.category_label(r["category"]) for r in rows], rotation=30, ha="right")
    ax.set_title(_t("categories_title"))
    ax.set_ylabel(_t("per_30d_axis"))
    ax.legend(fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    return fig


def _versus_control(data: ReportData) -> Figure:
    """Both series indexed to their own mean before signing (= 100), so the areas' sizes do not matter."""
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    for kind, label, colour in (("agreement", _t("agreement_area"), AFTER_COLOUR),
                                ("control", _t("control_areas"), CONTROL_COLOUR)):
        blocks = data.blocks.get(kind, [])
        before = [n for start, n in blocks if start < data.signed_at]
        base = sum(before) / len(before) if before else 0
        if base == 0:
            continue
        ax.plot([start for start, _ in blocks], [100 * n / base for _, n in blocks], marker="o", markersize=3,
                color=colour, label=label)
    ax.axhline(100, color="black", linewidth=0.8, linestyle="--")
    return _over_time(fig, ax, data, _t("control_title"), _t("index_axis"))


def _over_time(fig: Figure, ax, data: ReportData, title: str, ylabel: str) -> Figure:
    """Finish a chart over time: the signing line, title, axis label, legend below, grid, dated x axis."""
    _signing_line(ax, data)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    _legend_below(ax)
    ax.grid(axis="y", alpha=0.3)
    fig.autofmt_xdate()
    return fig


def _reporting(data: ReportData) -> Figure:
    order = [kind.value for kind in SourceKind]
    sources = sorted({r["source"] for r in data.activity}, key=lambda s: order.index(s) if s in order else len(order))
    by_key = {(r["period"], r["source"]): r for r in data.activity}
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    for shift, period, label, colour in ((-0.2, "before", _t("col_before"), BEFORE_COLOUR),
                                         (0.2, "after", _t("col_after"), AFTER_COLOUR)):
        rows = [by_key.get((period, s)) for s in sources]
        values = [r["reports_per_reporter"] if r and r["reports_per_reporter"] else 0 for r in rows]
        bars = ax.bar([i + shift for i in range(len(sources))], values, width=0.4, color=colour, label=label)
        ax.bar_label(bars, [suppress_small(r["active_reporters"] if r else 0) for r in rows], fontsize=10, padding=2)
    ax.set_xticks(range(len(sources)), [texts.source_label(s) for s in sources])
    ax.set_title(_t("reporting_title"))
    ax.set_ylabel(_t("per_reporter_axis"))
    ax.margins(y=0.15)
    ax.legend(fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    return fig


def _safety(data: ReportData) -> Figure:
    """Share feeling safe per survey wave with its 95 % interval, the area and its control areas; waves with
    too few respondents (no share returned) are left out."""
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    for scope, label, colour, shift in (("agreement", _t("agreement_area"), AFTER_COLOUR, -3),
                                        ("control", _t("control_areas"), CONTROL_COLOUR, 3)):
        waves = [w for w in data.safety_waves if w["area_scope"] == scope and w["share"] is not None]
        if not waves:
            continue
        middles = [w["fielded_from"] + (w["fielded_until"] - w["fielded_from"]) / 2 + timedelta(days=shift)
                   for w in waves]
        shares = [100 * w["share"] for w in waves]
        errors = [[100 * (w["share"] - w["ci_low"]) for w in waves], [100 * (w["ci_high"] - w["share"]) for w in waves]]
        ax.errorbar(middles, shares, yerr=errors, color=colour, marker="o", capsize=4, linewidth=1.6, label=label)
    ax.set_ylim(0, 100)
    return _over_time(fig, ax, data, _t("safety_chart_title"), _t("safety_chart_axis"))
