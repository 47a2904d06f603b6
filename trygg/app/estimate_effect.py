"""Use case: the before/after effect of an agreement (incidents and perceived safety), with 95 % intervals, for a
person in a terminal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from schemas import Category
from schemas.survey import QUESTIONS
from trygg import texts
from trygg.adapters import read_model
from trygg.adapters.database import connect
from trygg.domain.effect import (
    change_with_interval,
    is_small,
    points_with_interval,
    rate,
    share_percent,
    suppress_small,
)
from trygg.settings import Settings


@dataclass(frozen=True)
class Window:
    """Days compared on each side of the signing, and transition days left out on both sides."""

    before_days: int = 365
    after_days: int = 365
    gap_days: int = 0


@dataclass(frozen=True)
class Effect:
    agreement_id: str
    name: str
    source: str | None
    estimates: list[dict[str, Any]]  # effect_estimates rows
    activity: list[dict[str, Any]]  # reporting_activity rows
    safety: list[dict[str, Any]]  # survey_estimates rows (perceived safety)

    def document(self) -> dict[str, Any]:
        """What `trygg effect --json` prints."""
        return {"agreement": self.agreement_id, "source": self.source, "estimates": self.estimates,
                "reporting_activity": self.activity, "perceived_safety": self.safety}

    def table(self) -> str:
        """The incidents' table, then the perceived-safety table."""
        return effect_table(self.name, self.source, self.estimates, self.activity) + "\n\n" + safety_table(self.safety)


def estimate_effect(settings: Settings, agreement_id: str, *, category: str | None = None,
                    source: str | None = None, window: Window = Window()) -> Effect:
    """The effect estimates (all categories together and each, or only `category`) and reporting activity.

    Raises LookupError for an unknown agreement or category.
    """
    if category is not None and category not in {c.value for c in Category}:
        raise LookupError(texts.say("unknown_category", category=category))
    days = (window.before_days, window.after_days, window.gap_days)
    with connect(settings.database_url) as conn:
        name = read_model.agreement_name(conn, agreement_id)
        if name is None:
            raise LookupError(texts.say("no_agreement", agreement=agreement_id))
        estimates = read_model.effect_estimates(conn, agreement_id, source, *days)
        activity = read_model.reporting_activity(conn, agreement_id, *days)
        safety = read_model.survey_estimates(conn, agreement_id, *days)
    if category is not None:
        estimates = [e for e in estimates if e["category"] == category]
    return Effect(agreement_id, name, source, estimates, activity, safety)


def _word(key: str, **values: object) -> str:
    """A word of the terminal tables (texts.TABLE), in Swedish."""
    return texts.text(texts.TABLE, key, **values)


def effect_table(name: str, source: str | None, estimates: list[dict[str, Any]], activity: list[dict[str, Any]]) -> str:
    """The effect estimates and reporting activity as a Swedish text table (counts 1-2 shown as "<3")."""
    def source_name(value: str) -> str:
        return texts.source_label(value).lower()

    # An area-vs-control ratio combines both areas' counts: hidden when any of them is 1 or 2.
    counts: dict[str | None, list[int]] = {}
    for e in estimates:
        if e["area_scope"] != "relative":
            counts.setdefault(e["category"], []).extend((e["before_incidents"], e["after_incidents"]))
    first = estimates[0]
    lines = [
        _word("heading", name=name, before_start=first["before_start"],
              before_end=first["before_end"] - timedelta(days=1), after_start=first["after_start"],
              after_end=first["after_end"] - timedelta(days=1))
        + (f", {_word('col_source')}: {source_name(source)}" if source else f", {texts.pick(texts.ALL_SOURCES)}"),
        "",
        f"{_word('col_category'):<17} {_word('col_comparison'):<21} {_word('col_before'):>6} "
        f"{_word('col_after'):>6} {_word('col_before_per_30d'):>9} {_word('col_after_per_30d'):>10}  "
        f"{_word('col_change'):<30} {_word('col_verdict')}",
    ]
    for e in estimates:
        before, after = e["before_incidents"], e["after_incidents"]
        behind = counts[e["category"]] if e["area_scope"] == "relative" else (before, after)
        category = texts.pick(texts.ALL_CATEGORIES) if e["category"] is None else texts.category_label(e["category"])
        lines.append(
            f"{category:<17} {texts.pick(texts.SCOPES[e['area_scope']]):<21} {suppress_small(before):>6} "
            f"{suppress_small(after):>6} {rate(e['before_per_30d'], before):>9} {rate(e['after_per_30d'], after):>10}  "
            f"{change_with_interval(e['rate_ratio'], e['ci_low'], e['ci_high'], behind):<30} "
            f"{texts.verdict_label(e['verdict'])}"
        )
    lines += ["", _word("activity_title"),
              f"{_word('col_period'):<7} {_word('col_source'):<16} {_word('col_active_reporters'):>18} "
              f"{_word('col_reports'):>9} {_word('col_per_reporter'):>13}"]
    for a in activity:
        reports = a["reports"]
        per = "–" if a["reports_per_reporter"] is None or is_small(reports) else rate(a["reports_per_reporter"])
        lines.append(f"{texts.pick(texts.PERIODS[a['period']]):<7} {source_name(a['source']):<16}"
                     f" {suppress_small(a['active_reporters']):>18} {suppress_small(reports):>9} {per:>13}")
    return "\n".join(lines)


def safety_table(safety: list[dict[str, Any]]) -> str:
    """survey_estimates rows as a Swedish text table: share feeling safe before and after, the change in
    percentage points and in mean score with 95 % intervals, and the verdict."""
    if not safety:
        return _word("safety_none")
    lines = [_word("safety_title"),
             f"{_word('col_question'):<24} {_word('col_comparison'):<21} {_word('col_respondents'):>15} "
             f"{_word('col_before'):>5} {_word('col_after'):>5}  {_word('col_change'):<38} {_word('col_mean'):<24} "
             f"{_word('col_verdict')}"]
    for s in safety:
        respondents = "" if s["area_scope"] == "relative" else f"{s['before_respondents']}/{s['after_respondents']}"
        mean = "–" if s["mean_change"] is None else _word(
            "mean_change", change=s["mean_change"], low=s["mean_ci_low"], high=s["mean_ci_high"]).replace(".", ",")
        lines.append(
            f"{s['question_id']:<24} {texts.pick(texts.SCOPES[s['area_scope']]):<21} {respondents:>15} "
            f"{share_percent(s['before_share']):>5} {share_percent(s['after_share']):>5}  "
            f"{points_with_interval(s['share_change'], s['share_ci_low'], s['share_ci_high']):<38} {mean:<24} "
            f"{texts.safety_verdict_label(s['verdict'])}"
        )
    lines += [f"  {qid}: {QUESTIONS[qid].text_sv}" for qid in dict.fromkeys(s["question_id"] for s in safety)]
    return "\n".join(lines)
