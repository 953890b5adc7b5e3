# syntax=docker/dockerfile:1
# ReceiptSnap: two image targets from one Dockerfile (`docker build --target api|worker`).
#
#   api      the API with the bot (the default command), the migrations (`receiptsnap db
#            upgrade`) and the host's CLI commands: [project] dependencies only. What runs on AWS
#            (cd.yml pushes it): OCR runs in the Lambda through Textract, so no local OCR here.
#   worker   api + the `ocr` extra (RapidOCR, OpenVINO, OpenCV): docker-compose's local worker
#            on the embedded default (local OCR + rules extractor).
#
# Neither carries dev (test tools) or local (moto, the dev stack). Layers, bottom up: the pinned
# dependencies (rebuilt only when pyproject.toml or the lock change), then for the worker the OCR
# packages, then the code (a few hundred KB: all that a code-only commit rebuilds and pushes).
# scripts/dependency_sizes.py prints each target's requirements and, with --measure, their size.
# Both run as a non-root user and hold no secrets (everything comes from the environment /
# Secrets Manager).
#
# Base: Python 3.12, the Lambda runtime's (python3.12; 3.11 was deprecated on 2026-06-30), which
# CI tests; Debian 12 slim, pinned to the patch release. Pin the digest too
# (python:3.12.13-slim-bookworm@sha256:...) with your registry's
# tooling (Renovate/Dependabot); it cannot be looked up from the machine this file was written on.

# ---- build stages -------------------------------------------------------------------------------
# The venv has no pip: the base image's own pip fills it (`pip --python`, pip >= 22.3), so neither
# pip nor setuptools (build tools, never imported at run time) reaches an image.
FROM python:3.12.13-slim-bookworm AS deps
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv --without-pip /opt/venv
COPY pyproject.toml requirements.lock ./
# The one-liner prints [project] dependencies plus those of the extras given as arguments (none
# here: the api's set).
RUN python -c "import sys, tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print('\n'.join(p['dependencies'] + [r for e in sys.argv[1:] for r in p['optional-dependencies'][e]]))" > api-requirements.txt \
    && python -m pip --python /opt/venv install -c requirements.lock -r api-requirements.txt

# The worker's OCR packages, over the api's venv but into their own prefix: what the api's venv
# already holds (numpy, under matplotlib) is not installed again, and the worker image takes the
# api's dependency layer as it is plus this one.
FROM deps AS deps-worker
RUN python -c "import sys, tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print('\n'.join(p['dependencies'] + [r for e in sys.argv[1:] for r in p['optional-dependencies'][e]]))" ocr > worker-requirements.txt \
    && python -m pip --python /opt/venv install -c requirements.lock -r worker-requirements.txt --prefix /opt/ocr

# The code, as a distribution (no editable install) into its own prefix: merged into the venv by
# the last COPY of each target. The product's packages only: devstack/ (the fake Telegram, the
# embedded local stack, the demo) is not copied.
FROM python:3.12.13-slim-bookworm AS code
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv --without-pip /opt/venv
COPY pyproject.toml README.md ./
COPY core ./core
COPY api ./api
COPY bot ./bot
COPY processor ./processor
COPY receiptsnap ./receiptsnap
RUN python -m pip --python /opt/venv install --no-deps --prefix /opt/code .

# ---- runtime stages -----------------------------------------------------------------------------
FROM python:3.12.13-slim-bookworm AS runtime
ARG VERSION=dev
LABEL org.opencontainers.image.title="receiptsnap" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Proprietary"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    LOG_JSON=true \
    ENVIRONMENT=production
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home app
# Amazon RDS's CA bundle for every region: the API connects with sslmode=verify-full
# (DATABASE_SSLROOTCERT). Source: "Certificate bundles by AWS Region" in the RDS user guide.
ADD --chmod=644 https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem /etc/ssl/certs/rds-global-bundle.pem
WORKDIR /app
EXPOSE 8000
# Liveness only (the process answers); readiness (database, S3, SQS) is /readyz, which the
# deploy script and compose's dependants use.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
CMD ["receiptsnap", "api", "--host", "0.0.0.0", "--port", "8000"]

# Local worker: `receiptsnap worker` (compose sets the command). No system packages: opencv-
# python-headless and OpenVINO bundle their libraries and need only glibc and libstdc++, which the
# slim image has (apt links libstdc++).
FROM runtime AS worker
LABEL org.opencontainers.image.description="ReceiptSnap local worker (embedded default: local OCR)"
COPY --from=deps /opt/venv /opt/venv
COPY --from=deps-worker /opt/ocr/ /opt/venv/
COPY --from=code /opt/code/ /opt/venv/
USER 10001:10001

# Last, so that a plain `docker build .` gives the production image.
FROM runtime AS api
LABEL org.opencontainers.image.description="ReceiptSnap API (with the Telegram bot)"
COPY --from=deps /opt/venv /opt/venv
COPY --from=code /opt/code/ /opt/venv/
USER 10001:10001
