"""The report's four charts as PNG files (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: servers and CI have no display

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from schemas import CATEGORY_LABELS, Category  # noqa: E402
from trygg.cli_effect import SOURCES_SV  # noqa: E402
from trygg.domain.effect import suppress_small  # noqa: E402
from trygg.report.data import ReportData  # noqa: E402

BEFORE_COLOUR, AFTER_COLOUR, CONTROL_COLOUR, SIGNING_COLOUR = "#8c9bab", "#1f6feb", "#d97706", "#b91c1c"
CHART_FILES = ("veckor.png", "kategorier.png", "kontroll.png", "rapportering.png")
SAFETY_CHART = "trygghet.png"  # only when survey waves exist


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
    ax.axvline(data.signed_at, color=SIGNING_COLOUR, linewidth=2, label=f"Undertecknat {data.signed_at}")


def _legend_below(ax) -> None:
    """Under the plot, where it cannot hide a line (the time-series charts have no empty corner)."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3, fontsize=10, frameon=False)


def _weekly(data: ReportData) -> Figure:
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    if data.weekly:
        weeks, counts = zip(*data.weekly, strict=True)
        ax.step(weeks, counts, where="post", color=AFTER_COLOUR, linewidth=1.6, label="Händelser per vecka")
    _signing_line(ax, data)
    top = max([n for _, n in data.weekly] + [1])
    for number, (_, starts_on) in enumerate(data.measures, start=1):
        if data.window_start <= starts_on < data.window_end:
            ax.plot([starts_on], [top * 1.08], marker="v", color="#15803d", markersize=9)
            ax.annotate(str(number), (starts_on, top * 1.08), textcoords="offset points", xytext=(0, 7),
                        ha="center", fontsize=9, color="#15803d")
    if data.measures:
        ax.plot([], [], marker="v", color="#15803d", linestyle="none", label="Åtgärd startar (nummer i listan)")
    ax.set_ylim(0, top * 1.25)
    ax.set_title(f"Händelser per vecka i {data.name}")
    ax.set_ylabel("Antal händelser per vecka")
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
    ax.bar([i - 0.2 for i in x], before, width=0.4, color=BEFORE_COLOUR, label="Före")
    ax.bar([i + 0.2 for i in x], after, width=0.4, color=AFTER_COLOUR, label="Efter")
    ax.errorbar([i + 0.2 for i in x], after, yerr=[low, high], fmt="none", ecolor="black", capsize=4,
                label="95 % intervall")
    ax.set_xticks(list(x), [CATEGORY_LABELS[Category(r["category"])][0] for r in rows], rotation=30, ha="right")
    ax.set_title("Före och efter per kategori")
    ax.set_ylabel("Händelser per 30 dagar")
    ax.legend(fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    return fig


def _versus_control(data: ReportData) -> Figure:
    """Both series indexed to their own mean before signing (= 100), so the areas' sizes do not matter."""
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    for kind, label, colour in (("agreement", "Avtalsområdet", AFTER_COLOUR),
                                ("control", "Kontrollområden", CONTROL_COLOUR)):
        blocks = data.blocks.get(kind, [])
        before = [n for start, n in blocks if start < data.signed_at]
        base = sum(before) / len(before) if before else 0
        if base == 0:
            continue
        ax.plot([start for start, _ in blocks], [100 * n / base for _, n in blocks], marker="o", markersize=3,
                color=colour, label=label)
    ax.axhline(100, color="black", linewidth=0.8, linestyle="--")
    return _over_time(fig, ax, data, "Avtalsområdet jämfört med kontrollområden", "Index per 4 veckor (före = 100)")


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
    order = list(SOURCES_SV)
    sources = sorted({r["source"] for r in data.activity}, key=lambda s: order.index(s) if s in order else len(order))
    by_key = {(r["period"], r["source"]): r for r in data.activity}
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    for shift, period, label, colour in ((-0.2, "before", "Före", BEFORE_COLOUR),
                                         (0.2, "after", "Efter", AFTER_COLOUR)):
        rows = [by_key.get((period, s)) for s in sources]
        values = [r["reports_per_reporter"] if r and r["reports_per_reporter"] else 0 for r in rows]
        bars = ax.bar([i + shift for i in range(len(sources))], values, width=0.4, color=colour, label=label)
        ax.bar_label(bars, [suppress_small(r["active_reporters"] if r else 0) for r in rows], fontsize=10, padding=2)
    ax.set_xticks(range(len(sources)), [SOURCES_SV.get(s, s).capitalize() for s in sources])
    ax.set_title("Rapporteringsaktivitet per källa (siffra = aktiva rapportörer)")
    ax.set_ylabel("Rapporter per aktiv rapportör")
    ax.margins(y=0.15)
    ax.legend(fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    return fig


def _safety(data: ReportData) -> Figure:
    """Share feeling safe per survey wave with its 95 % interval, the area and its control areas; waves with
    too few respondents (no share returned) are left out."""
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    for scope, label, colour, shift in (("agreement", "Avtalsområdet", AFTER_COLOUR, -3),
                                        ("control", "Kontrollområden", CONTROL_COLOUR, 3)):
        waves = [w for w in data.safety_waves if w["area_scope"] == scope and w["share"] is not None]
        if not waves:
            continue
        middles = [w["fielded_from"] + (w["fielded_until"] - w["fielded_from"]) / 2 + timedelta(days=shift)
                   for w in waves]
        shares = [100 * w["share"] for w in waves]
        errors = [[100 * (w["share"] - w["ci_low"]) for w in waves], [100 * (w["ci_high"] - w["share"]) for w in waves]]
        ax.errorbar(middles, shares, yerr=errors, color=colour, marker="o", capsize=4, linewidth=1.6, label=label)
    ax.set_ylim(0, 100)
    return _over_time(fig, ax, data, "Andel som känner sig trygga (enkät, 95 % intervall)", "Trygga, %")
