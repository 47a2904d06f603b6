"""`trygg effect` (before/after estimates of an agreement: incidents and perceived safety) and `trygg generate`
(synthetic history)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from trygg.settings import Settings

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
    generate.add_argument("--survey-change", type=float, metavar="CHANGE",
                          help="also write survey waves and pulse answers to FILE.surveys.ndjson, with this true "
                               "change in the share feeling safe from signing, e.g. 0.08 (+8 percentage points)")
    generate.set_defaults(run=_generate)


def _effect(settings: Settings, args: argparse.Namespace) -> int:
    from trygg.app.estimate_effect import Window, estimate_effect

    try:
        effect = estimate_effect(settings, args.agreement, category=args.category, source=args.source,
                                 window=Window(args.before_days, args.after_days, args.gap_days))
    except LookupError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    print(json.dumps(effect.document(), default=str, ensure_ascii=False, indent=2) if args.json else effect.table())
    return 0


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
    from trygg.synthetic_surveys import SurveyPlan, perceived_safety_history, survey_truth

    try:
        effects = _parse_effects(args.effect)
        agreements = load_sample_agreements(args.agreements or SAMPLE_AGREEMENTS)
        now = datetime.now(UTC)
        last_day: date = now.astimezone(STOCKHOLM).date()
        history = History(first_day=last_day - timedelta(days=365 * args.years - 1), last_day=last_day,
                          seed=args.seed, effects=effects, reporting_rise=args.reporting_rise)
        plan = None if args.survey_change is None else SurveyPlan(
            first_year=history.first_day.year, last_year=last_day.year, seed=args.seed, change=args.survey_change)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    events = generate(agreements, history, now=now)
    with args.out.open("wb") as f:
        for event in events:
            f.write(event_message(event)[1] + b"\n")
    stem = args.out.name.removesuffix(".ndjson")
    truth = truth_document(agreements, history)
    if plan is not None:
        surveys = perceived_safety_history(agreements, plan, history.first_day, last_day, imported_at=now)
        surveys_path = args.out.with_name(stem + ".surveys.ndjson")
        with surveys_path.open("wb") as f:
            for survey_event in surveys:
                f.write(survey_event.model_dump_json().encode() + b"\n")
        truth["perceived_safety"] = survey_truth(agreements, plan)
        print(f"wrote {len(surveys)} survey waves and pulse answers to {surveys_path}")
    truth_path = args.out.with_name(stem + ".truth.json")
    truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(events)} events to {args.out} and the truth to {truth_path}")
    return 0
