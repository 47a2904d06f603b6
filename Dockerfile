# Image for every Python service of the stack: `trygg migrate`, `trygg topics create`, `trygg worker`.
# Base pinned to an exact patch release and Debian release (tests/unit/test_compose.py checks it).
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# Unprivileged runtime user with a fixed uid (volume ownership stays predictable).
RUN groupadd --system --gid 10001 trygg \
    && useradd --system --uid 10001 --gid trygg --home-dir /app --no-create-home --shell /usr/sbin/nologin trygg

WORKDIR /app

# The repo (only what the package and its commands need: no .venv, .git or local state).
COPY pyproject.toml ./
COPY trygg ./trygg
COPY schemas ./schemas
COPY services ./services
COPY migrations ./migrations

# Editable, so `trygg migrate` finds migrations/ beside the code, as in a checkout.
RUN pip install --no-cache-dir -e . \
    # The code stays root-owned and read-only for the service user; only the working
    # directory itself is writable (Faust keeps its <app id>-data directory there).
    && chown trygg:trygg /app

USER trygg:trygg

# Faust web server (health: GET / answers 200); see PROCESSOR_WEB_PORT.
EXPOSE 6066

CMD ["trygg", "worker"]
