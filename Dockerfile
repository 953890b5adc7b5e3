# syntax=docker/dockerfile:1
# ReceiptSnap: one image for the API (with the bot; the default command), the local worker and
# the migrations (`receiptsnap db upgrade`). Multi-stage: the build stage resolves the pinned
# dependencies into a venv; the runtime stage carries that venv and the code, runs as a non-root
# user, and holds no secrets (everything comes from the environment / Secrets Manager).
#
# Base: Python 3.11 (the interpreter the app is tested with), Debian 12 slim, pinned to the patch
# release. Pin the digest too (python:3.11.14-slim-bookworm@sha256:...) with your registry's
# tooling (Renovate/Dependabot); it cannot be looked up from the machine this file was written on.
FROM python:3.11.14-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# Dependencies first, in their own layer: rebuilt only when pyproject.toml or the lock change.
# [project] dependencies only, no extra: dev (test tools) and local (moto, for the dev stack)
# stay out of the image.
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > runtime-requirements.txt \
    && pip install -c requirements.lock -r runtime-requirements.txt

# Then the code (no editable install: the runtime stage copies the venv alone). The product's
# packages only: devstack/ (the fake Telegram, the embedded local stack, the demo) is not copied.
COPY README.md ./
COPY core ./core
COPY api ./api
COPY bot ./bot
COPY processor ./processor
COPY receiptsnap ./receiptsnap
# pip and setuptools are build tools: nothing imports them at run time.
RUN pip install --no-deps . \
    && pip uninstall --yes pip setuptools

FROM python:3.11.14-slim-bookworm AS runtime
ARG VERSION=dev
LABEL org.opencontainers.image.title="receiptsnap" \
      org.opencontainers.image.description="ReceiptSnap API (with the Telegram bot) and worker" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Proprietary"

# No system packages: opencv-python-headless and OpenVINO (the local OCR) bundle their libraries
# and need only glibc and libstdc++, which the slim image has (apt links libstdc++).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    LOG_JSON=true \
    ENVIRONMENT=production
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home app
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
USER 10001:10001
EXPOSE 8000
# Liveness only (the process answers); readiness (database, S3, SQS) is /readyz, which the
# deploy script and compose's dependants use.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
CMD ["receiptsnap", "api", "--host", "0.0.0.0", "--port", "8000"]
