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
from trygg.texts import cli_help, say

def register(sub: Any) -> None:
    """Add `effect` and `generate` to the `trygg` subcommands."""
    effect = sub.add_parser("effect", help=cli_help("help_effect"))
    effect.add_argument("--agreement", required=True, help=cli_help("help_agreement_id"))
    effect.add_argument("--category", help=cli_help("help_category"))
    effect.add_argument("--source", help=cli_help("help_source"))
    effect.add_argument("--before-days", type=int, default=365)
    effect.add_argument("--after-days", type=int, default=365)
    effect.add_argument("--gap-days", type=int, default=0, help=cli_help("help_gap_days"))
    effect.add_argument("--json", action="store_true", help=cli_help("help_effect_json"))
    effect.set_defaults(run=_effect)

    generate = sub.add_parser("generate", help=cli_help("help_generate"))
    generate.add_argument("--out", required=True, type=Path, help=cli_help("help_out"))
    generate.add_argument("--seed", type=int, default=7)
    generate.add_argument("--years", type=int, default=3, help=cli_help("help_years"))
    generate.add_argument("--effect", action="append", default=[], metavar="CATEGORY=CHANGE",
                          help=cli_help("help_effects"))
    generate.add_argument("--reporting-rise", type=float, default=0.0, help=cli_help("help_reporting_rise"))
    generate.add_argument("--agreements", type=Path, help=cli_help("help_sample_agreements"))
    generate.add_argument("--survey-change", type=float, metavar="CHANGE", help=cli_help("help_survey_change"))
    generate.set_defaults(run=_generate)


def _effect(settings: Settings, args: argparse.Namespace) -> int:
    from trygg.app.estimate_effect import Window, estimate_effect

    try:
        effect = estimate_effect(settings, args.agreement, category=args.category, source=args.source,
                                 window=Window(args.before_days, args.after_days, args.gap_days))
    except LookupError as exc:
        print(f"{say('error')}: {exc.args[0]}", file=sys.stderr)
        return 2
    print(json.dumps(effect.document(), default=str, ensure_ascii=False, indent=2) if args.json else effect.table())
    return 0


def _parse_effects(values: list[str]) -> dict[Any, float]:
    from schemas import Category

    effects: dict[Category, float] = {}
    for value in values:
        key, sep, change = value.partition("=")
        if not sep:
            raise ValueError(say("effect_expects", value=value))
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
        print(f"{say('error')}: {exc}", file=sys.stderr)
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
        print(f"{say('wrote_surveys', events=len(surveys))}: {surveys_path}")
    truth_path = args.out.with_name(stem + ".truth.json")
    truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{say('wrote_history', events=len(events))}: {args.out}, {truth_path}")
    return 0
