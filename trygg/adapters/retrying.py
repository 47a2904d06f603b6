"""When to try again: one policy per kind of failure, for every place that waits out an outage.

Only an outage is retried: the database or the broker not answering, Grafana still starting. Anything else
(a bug, a constraint the data breaks, bad configuration, a 4xx) propagates at once, so the process stops
loudly and its supervisor (docker-compose `restart: unless-stopped`; in `trygg up`,
trygg/localstack/supervisor.py) starts it again, instead of a loop retrying a programming error forever at
warning level.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from grafana_client.client import GrafanaServerError, GrafanaTimeoutError
from kafka.errors import BrokerNotAvailableError, KafkaError, UnknownError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_delay,
    stop_never,
    stop_when_event_set,
    wait_exponential,
)

log = logging.getLogger(__name__)


def database_away(error: BaseException) -> bool:
    """PostgreSQL unreachable, restarting or the connection lost (psycopg_pool's PoolTimeout included)."""
    return isinstance(error, psycopg.OperationalError)


def broker_away(error: BaseException) -> bool:
    """Kafka unreachable or not ready: the errors kafka-python itself calls retriable, and a broker's
    UNKNOWN_SERVER_ERROR. The embedded broker (Tansu, memory storage) answers the first produce requests after
    a restart with it (its log: `AlreadyExists` for offset 0 of every partition); the sender keeps its rows
    and the retry, with a new producer, goes through."""
    return isinstance(error, KafkaError) and (
        error.retriable or isinstance(error, BrokerNotAvailableError | UnknownError))


def database_or_broker_away(error: BaseException) -> bool:
    return database_away(error) or broker_away(error)


def grafana_starting(error: BaseException) -> bool:
    """Grafana not answering yet: refused connections (an OSError from its HTTP library), timeouts, 5xx.
    A 4xx (e.g. a wrong token) will not get better by waiting."""
    return isinstance(error, GrafanaServerError | GrafanaTimeoutError | OSError | GrafanaNotReady)


class GrafanaNotReady(Exception):
    """Grafana answers, but its /api/health says its database is not ok yet."""


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def outage(
    away: Callable[[BaseException], bool], what: str, *, first_wait: float, max_wait: float,
    stop: threading.Event | None = None, give_up_after: float | None = None,
    on_retry: Callable[[BaseException, float], None] | None = None,
) -> Retrying:
    """A retry policy for one kind of outage of `what`: exponential waits from `first_wait` to `max_wait`.

    It gives up (re-raising the last error) when `stop` is set (the wait itself ends early then) or after
    `give_up_after` seconds; otherwise it waits for as long as the outage lasts. `on_retry(error, wait)` runs
    before each wait (to drop clients that may hold stale state, or to tell a person). Each call of the
    returned object starts afresh.
    """
    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception()
        log.warning("%s unavailable (%s: %s); retrying in %.1f s", what, type(error).__name__, _first_line(error),
                    state.upcoming_sleep)
        if on_retry is not None:
            on_retry(error, state.upcoming_sleep)

    give_up = stop_when_event_set(stop) if stop is not None else stop_never
    if give_up_after is not None:
        give_up = give_up | stop_after_delay(give_up_after)
    return Retrying(
        retry=retry_if_exception(away), wait=wait_exponential(multiplier=first_wait, max=max_wait),
        stop=give_up, before_sleep=before_sleep, reraise=True,
        sleep=stop.wait if stop is not None else Retrying().sleep,
    )
