# syntax=docker/dockerfile:1
# The pod in a container:
#   docker build -t vrm-pod .
#   docker run -p 8000:8000 -v pds-data:/data vrm-pod        # prints a setup code on first run
#   docker run --rm -v pds-data:/data vrm-pod token list     # any other `pds` command
#
# Every setting is an environment variable PDS_<NAME> (`docker run --rm vrm-pod serve --help`
# lists them all with their defaults). The ones a deployment sets:
#   PDS_BASE_URL         the URL people and vendors use, e.g. https://pod.example.org; it goes
#                        into resource IRIs and tokens (default below: http://localhost:8000)
#   PDS_TRUSTED_PROXIES  1 behind one reverse proxy (Caddy, nginx) that sets X-Forwarded-*
#   PDS_DATABASE_URL     empty: SQLite in /data; postgresql+psycopg://user:password@host/db
#   PDS_SECRET_KEY       empty: generated once into /data/secret_key; set it, the same on every
#                        server, when several servers share one database
#   PDS_WORKERS, PDS_LOG_LEVEL, PDS_LOG_FORMAT (text or json)
#   PDS_PROVIDER_URL, PDS_ADMIN_TOKEN, PDS_POD_QUOTA_BYTES, PDS_POD_REQUESTS_PER_MINUTE: a
#                        provider's many pods in one PostgreSQL database (see compose.yaml)
#
# `pds serve` brings the database schema up to date before it serves, so a new image migrates
# on start. Several servers on one database: run `pds migrate` once before starting them
# (compose.yaml's migrate service), so that they never race on a migration.

# The base image by digest: the tag python:3.11-slim-bookworm as resolved in September 2026
# (Python 3.11.16). A tag moves under you; a digest gives the same bytes until Renovate or
# Dependabot bumps it (both update `FROM image:tag@sha256:...` lines in place).
FROM python:3.11-slim-bookworm@sha256:528257d48c1da0dcecc2e725d1ae34498d60c965f1241e39cd6a85a8859bdf84 AS base

# -- builder: turn the project and its dependencies into wheels ---------------------------------
FROM base AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
# Only what the wheel is built from; .dockerignore keeps caches and local data out of the context.
COPY pyproject.toml README.md ./
COPY pds ./pds
COPY vendor_client ./vendor_client

# Every dependency ships binary wheels for 3.11 (psycopg[binary], cryptography, argon2-cffi),
# so neither stage needs a compiler; the final stage only unpacks what is built here.
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# -- runtime ----------------------------------------------------------------------------------
FROM base

# No .pyc files in a read-mostly image, and log lines reach `docker logs` at once.
# PDS_HOST=0.0.0.0: inside a container 127.0.0.1 is unreachable from the published port.
# PDS_BASE_URL suits `docker run -p 8000:8000`; it goes into resource IRIs and tokens, so a pod
# on another address must override it (the pod records the change on its next start).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PDS_DATA_DIR=/data \
    PDS_HOST=0.0.0.0 \
    PDS_PORT=8000 \
    PDS_BASE_URL=http://localhost:8000

# A fixed numeric user, so volume ownership is predictable on the host and Kubernetes'
# runAsNonRoot can verify it without reading /etc/passwd. /data belongs to it before VOLUME,
# so a fresh named volume starts out writable by the pod.
RUN groupadd --system --gid 10001 pds \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin pds \
    && install --directory --owner=10001 --group=10001 --mode=0700 /data

# Bind-mounting the wheels (BuildKit) instead of COPYing them keeps them out of the image's
# layers; --no-index makes sure nothing but those wheels is installed.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels /wheels/vrm_pod-*.whl

# The database and the secret key: keep them when the container is replaced.
VOLUME ["/data"]
USER 10001:10001
WORKDIR /data
EXPOSE 8000

# Liveness: /healthz answers while the server serves. (Readiness, /readyz, also needs the
# database; a proxy's checks use that one, so a restart here is not caused by a database outage.)
# slim has no curl; the standard library is enough. No proxy for a loopback check, and any
# HTTP error status or refused connection makes urlopen raise, so the check fails.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.build_opener(u.ProxyHandler({})).open('http://127.0.0.1:%s/healthz' % os.environ.get('PDS_PORT', '8000'), timeout=4)"]

# Exec form: gunicorn's master is PID 1 and gets `docker stop`'s SIGTERM for a graceful
# shutdown: requests in flight get up to 8 s to finish, within Docker's default 10 s.
# ENTRYPOINT keeps every other `pds` subcommand one word away.
ENTRYPOINT ["pds"]
CMD ["serve"]
