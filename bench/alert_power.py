"""What a spike alert can promise at district volumes (issue 13): detection power against false alarms.

    .venv/bin/python -m bench.alert_power [--per-month 20] [--categories 7] [--seeds 2000]

The false-alarm budget is at most one alarm per area and year summed over the categories, so each weekly check of
one category may fire by chance with probability 1 / (categories x 52). For a doubling of one category's weekly
rate that lasts, it prints, per window of the last 1-8 weeks, the alarm threshold and the share of spikes
flagged by the end of the window (a 3-week window: within the spike's first three weeks):
  * exact: the baseline rate known (the best any test can do: for Poisson counts a threshold on the window's
    count is the most powerful test, Neyman-Pearson);
  * estimated: the baseline estimated from two years of the area's own weekly history, `--seeds` simulated areas
    (Poisson counts, no overdispersion: real data with overdispersion does worse).
And, for a one-week window, the monthly volume at which a doubling is flagged in the first week.
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.stats import poisson


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.alert_power", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-month", type=float, default=20.0, help="incidents a month of the category (20)")
    parser.add_argument("--categories", type=int, default=7, help="categories checked per area (7)")
    parser.add_argument("--seeds", type=int, default=2000, help="simulated areas for the estimated baseline")
    args = parser.parse_args()
    weekly = args.per_month * 12 / 52
    alpha = 1 / (args.categories * 52)
    rng = np.random.default_rng(20261204)
    history = rng.poisson(weekly, size=(args.seeds, 104))
    estimated = history.mean(axis=1)

    print(f"Baseline {args.per_month:g} incidents a month ({weekly:.2f} a week); false-alarm budget 1 per area-year "
          f"over {args.categories} categories = {alpha:.4f} per weekly check")
    print()
    print("| window | alarm when the window's count exceeds (exact) | flagged, rate known | flagged, rate estimated "
          "from 104 weeks | false alarms per area-year, estimated |")
    print("|---|---|---|---|---|")
    for weeks in range(1, 9):
        threshold = poisson.ppf(1 - alpha, weeks * weekly)
        exact = 1 - poisson.cdf(threshold, 2 * weeks * weekly)
        thresholds = poisson.ppf(1 - alpha, weeks * estimated)
        flagged = (rng.poisson(2 * weeks * weekly, size=args.seeds) > thresholds).mean()
        # a year of weekly checks per simulated area
        false = (rng.poisson(weeks * weekly, size=(args.seeds, 52)) > thresholds[:, None]).mean() * args.categories * 52
        print(f"| {weeks} week{'s' if weeks > 1 else ''} | {threshold:.0f} | {exact:.1%} | {flagged:.1%} | "
              f"{false:.2f} |")
    print()
    print("| incidents a month | a doubling flagged in its first week (rate known) |")
    print("|---|---|")
    for per_month in (20, 40, 60, 80, 100, 120):
        lam = per_month * 12 / 52
        print(f"| {per_month} | {1 - poisson.cdf(poisson.ppf(1 - alpha, lam), 2 * lam):.1%} |")


if __name__ == "__main__":
    main()
