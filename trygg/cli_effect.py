"""`trygg effect` (before/after estimates of an agreement: incidents and perceived safety) and `trygg generate`
(synthetic history)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from schemas import SOURCE_LABELS
from trygg.settings import Settings

EFFECT_COLUMNS = (
    "agreement_id", "category", "area_scope", "before_start", "before_end", "after_start", "after_end",
    "before_incidents", "after_incidents", "before_per_30d", "after_per_30d", "rate_ratio", "ci_low", "ci_high",
    "dispersion", "verdict",
)
SAFETY_COLUMNS = (
    "agreement_id", "question_id", "area_scope", "before_start", "before_end", "after_start", "after_end",
    "before_respondents", "after_respondents", "before_share", "after_share", "share_change", "share_ci_low",
    "share_ci_high", "before_mean", "after_mean", "mean_change", "mean_ci_low", "mean_ci_high", "verdict",
)
ACTIVITY_COLUMNS = ("period", "source", "active_reporters", "reports", "reports_per_reporter")
SOURCES_SV = {kind.value: sv.lower() for kind, (sv, _) in SOURCE_LABELS.items()}


def register(sub: Any) -> None:
    """Add `effect` and `generate` to the `trygg` subcommands."""
    effect = sub.add_parser("effect", help="before/after effect of an agreement, with 95 %% intervals")
    effect.add_argument("--agreement", required=True, help="agreement id")
    effect.add_argument("--category", help="only this category (default: all categories together and each)")
    effect.add_argument("--source", help="only incidents from this source (e.g. police)")
    effect.add_argument("--before-days", type=int, default=365)
    effect.add_argument("--after-days", type=int, default=365)
    effect.add_argument("--gap-days", type=int, default=0, help="transition days excluded on both sides")
    effect.add_argument("--json", action="store_true", help="print JSON instead of a table")
    effect.set_defaults(run=_effect)

    generate = sub.add_parser("generate", help="write a synthetic NDJSON incident history with a known truth")
    generate.add_argument("--out", required=True, type=Path, help="NDJSON file; the truth goes to FILE.truth.json")
    generate.add_argument("--seed", type=int, default=7)
    generate.add_argument("--years", type=int, default=3, help="years of history ending today")
    generate.add_argument("--effect", action="append", default=[], metavar="CATEGORY=CHANGE",
                          help="true change from signing, e.g. shoplifting=-0.3 (repeatable; all=-0.3 for every"
                               " category)")
    generate.add_argument("--reporting-rise", type=float, default=0.0,
                          help="rise in partner reporting in agreement areas from signing, e.g. 0.2")
    generate.add_argument("--agreements", type=Path, help="agreements GeoJSON (default: the Umeå sample)")
    generate.set_defaults(run=_generate)


def _effect(settings: Settings, args: argparse.Namespace) -> int:
    from trygg.adapters.database import connect

    window = (args.before_days, args.after_days, args.gap_days)
    with connect(settings.database_url) as conn:
        name = conn.execute("SELECT name FROM agreements WHERE agreement_id = %s", (args.agreement,)).fetchone()
        if name is None:
            print(f"error: no agreement {args.agreement!r}", file=sys.stderr)
            return 2
        estimates = [dict(zip(EFFECT_COLUMNS, row, strict=True)) for row in conn.execute(
            "SELECT * FROM effect_estimates(%s, %s, %s, %s, %s)", (args.agreement, args.source, *window)
        )]
        activity = [dict(zip(ACTIVITY_COLUMNS, row, strict=True)) for row in conn.execute(
            "SELECT * FROM reporting_activity(%s, %s, %s, %s)", (args.agreement, *window)
        )]
        labels = dict(conn.execute("SELECT category, label_sv FROM categories").fetchall())
        safety = [dict(zip(SAFETY_COLUMNS, row, strict=True)) for row in conn.execute(
            "SELECT * FROM survey_estimates(%s, NULL, %s, %s, %s)", (args.agreement, *window)
        )]
    if args.category is not None:
        if args.category not in labels:
            print(f"error: unknown category {args.category!r}", file=sys.stderr)
            return 2
        estimates = [e for e in estimates if e["category"] == args.category]
    if args.json:
        print(json.dumps({"agreement": args.agreement, "source": args.source, "estimates": estimates,
                          "reporting_activity": activity, "perceived_safety": safety},
                         default=str, ensure_ascii=False, indent=2))
    else:
        print(effect_table(name[0], args.source, estimates, activity, labels))
        print()
        print(safety_table(safety))
    return 0


def effect_table(name: str, source: str | None, estimates: list[dict[str, Any]], activity: list[dict[str, Any]],
                 labels: dict[str, str]) -> str:
    """The effect estimates and reporting activity as a Swedish text table (counts 1-2 shown as "<3")."""
    from trygg.domain.effect import SCOPES_SV, change_with_interval, is_small, rate, suppress_small, verdict_sv

    # An area-vs-control ratio combines both areas' counts: hidden when any of them is 1 or 2.
    counts: dict[str | None, list[int]] = {}
    for e in estimates:
        if e["area_scope"] != "relative":
            counts.setdefault(e["category"], []).extend((e["before_incidents"], e["after_incidents"]))
    first = estimates[0]
    lines = [
        f"{name}: före {first['before_start']}–{first['before_end'] - timedelta(days=1)}, "
        f"efter {first['after_start']}–{first['after_end'] - timedelta(days=1)}"
        + (f", källa: {SOURCES_SV.get(source, source)}" if source else ", alla källor"),
        "",
        f"{'kategori':<17} {'jämförelse':<21} {'före':>6} {'efter':>6} {'före/30 d':>9} {'efter/30 d':>10}  "
        f"{'förändring (95 % KI)':<30} bedömning",
    ]
    for e in estimates:
        before, after = e["before_incidents"], e["after_incidents"]
        behind = counts[e["category"]] if e["area_scope"] == "relative" else (before, after)
        category = "alla kategorier" if e["category"] is None else labels.get(e["category"], e["category"])
        lines.append(
            f"{category:<17} {SCOPES_SV[e['area_scope']]:<21} {suppress_small(before):>6} {suppress_small(after):>6} "
            f"{rate(e['before_per_30d'], before):>9} {rate(e['after_per_30d'], after):>10}  "
            f"{change_with_interval(e['rate_ratio'], e['ci_low'], e['ci_high'], behind):<30} {verdict_sv(e['verdict'])}"
        )
    lines += ["", "Rapporteringsaktivitet i området (en avtalsstart ökar ofta rapporteringen, vilket kan dölja en"
                  " verklig minskning)",
              f"{'period':<7} {'källa':<16} {'aktiva rapportörer':>18} {'rapporter':>9} {'per rapportör':>13}"]
    for a in activity:
        reports = a["reports"]
        per = "–" if a["reports_per_reporter"] is None or is_small(reports) else rate(a["reports_per_reporter"])
        lines.append(f"{'före' if a['period'] == 'before' else 'efter':<7} {SOURCES_SV.get(a['source'], a['source']):<16}"
                     f" {suppress_small(a['active_reporters']):>18} {suppress_small(reports):>9} {per:>13}")
    return "\n".join(lines)


def safety_table(safety: list[dict[str, Any]]) -> str:
    """survey_estimates rows as a Swedish text table: share feeling safe before and after, the change in
    percentage points and in mean score with 95 % intervals, and the verdict."""
    from schemas.survey import QUESTIONS
    from trygg.domain.effect import SCOPES_SV, points_with_interval, safety_verdict_sv, share_percent

    if not safety:
        return "Trygghet: inga enkätomgångar före och efter undertecknandet."
    lines = ["Trygghet (andel som känner sig trygga; enkätsvar före och efter undertecknandet)",
             f"{'fråga':<24} {'jämförelse':<21} {'svarande':>15} {'före':>5} {'efter':>5}  "
             f"{'förändring (95 % KI)':<38} {'medelvärde (95 % KI)':<24} bedömning"]
    for s in safety:
        respondents = "" if s["area_scope"] == "relative" else f"{s['before_respondents']}/{s['after_respondents']}"
        mean = "–" if s["mean_change"] is None else (
            f"{s['mean_change']:+.2f} ({s['mean_ci_low']:+.2f} till {s['mean_ci_high']:+.2f})".replace(".", ","))
        lines.append(
            f"{s['question_id']:<24} {SCOPES_SV[s['area_scope']]:<21} {respondents:>15} "
            f"{share_percent(s['before_share']):>5} {share_percent(s['after_share']):>5}  "
            f"{points_with_interval(s['share_change'], s['share_ci_low'], s['share_ci_high']):<38} {mean:<24} "
            f"{safety_verdict_sv(s['verdict'])}"
        )
    lines += [f"  {qid}: {QUESTIONS[qid].text_sv}" for qid in dict.fromkeys(s["question_id"] for s in safety)]
    return "\n".join(lines)


def _parse_effects(values: list[str]) -> dict[Any, float]:
    from schemas import Category

    effects: dict[Category, float] = {}
    for value in values:
        key, sep, change = value.partition("=")
        if not sep:
            raise ValueError(f"--effect expects CATEGORY=CHANGE, got {value!r}")
        categories = list(Category) if key == "all" else [Category(key)]
        effects.update({category: float(change) for category in categories})
    return effects


def _generate(_: Settings, args: argparse.Namespace) -> int:
    from trygg.adapters.kafka import event_message
    from trygg.domain.buckets import STOCKHOLM
    from trygg.synthetic import SAMPLE_AGREEMENTS, History, generate, load_sample_agreements, truth_document

    try:
        effects = _parse_effects(args.effect)
        agreements = load_sample_agreements(args.agreements or SAMPLE_AGREEMENTS)
        now = datetime.now(UTC)
        last_day: date = now.astimezone(STOCKHOLM).date()
        history = History(first_day=last_day - timedelta(days=365 * args.years - 1), last_day=last_day,
                          seed=args.seed, effects=effects, reporting_rise=args.reporting_rise)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    events = generate(agreements, history, now=now)
    with args.out.open("wb") as f:
        for event in events:
            f.write(event_message(event)[1] + b"\n")
    truth_path = args.out.with_name(args.out.name.removesuffix(".ndjson") + ".truth.json")
    truth_path.write_text(json.dumps(truth_document(agreements, history), ensure_ascii=False, indent=2) + "\n",
                          encoding="utf-8")
    print(f"wrote {len(events)} events to {args.out} and the truth to {truth_path}")
    return 0
