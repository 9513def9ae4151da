# antrean in a container: one process of the venue, on the Redis that docker-compose.yml
# starts (or the SQLite default in /data when ANTREAN_REDIS_URL is not set).
FROM python:3.11-slim-bookworm

# espeak-ng speaks the announcements offline; sox trims and joins the clips.
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng sox \
    && rm -rf /var/lib/apt/lists/*

COPY --from=ghcr.io/astral-sh/uv:0.9 /uv /usr/local/bin/uv
RUN useradd --create-home --uid 10001 antrean
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project
COPY . .
RUN uv sync --locked --no-dev && mkdir -p /data /audio && chown antrean:antrean /data /audio

USER antrean
ENV ANTREAN_DATA=/data \
    ANTREAN_AUDIO_CACHE=/audio \
    PATH=/app/.venv/bin:$PATH
EXPOSE 8000
# nginx in front sends X-Forwarded-*: trust it (the compose network) for the client's
# address and scheme.
ENV FORWARDED_ALLOW_IPS=*
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["antrean", "run", "--host", "0.0.0.0", "--port", "8000"]
