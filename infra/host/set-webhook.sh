#!/bin/bash
# Register the Telegram webhook: https://<Elastic IP>/telegram/webhook, with the host's
# self-signed certificate (Telegram pins it) and the secret token that the API checks in the
# X-Telegram-Bot-Api-Secret-Token header. Idempotent; run by deploy.sh after each release, or
# by hand on the host:
#
#   bash infra/host/set-webhook.sh docker.io/ORG/receiptsnap:<sha>
#
# It runs the app's own `receiptsnap telegram set-webhook` in the released image: the bot token
# and the secret token are read from Secrets Manager inside the container (instance role), so
# neither appears on a command line or in this script's environment.
set -euo pipefail

IMAGE="${1:?usage: set-webhook.sh IMAGE:TAG}"
BASE=/opt/receiptsnap
# shellcheck disable=SC1091
source "${BASE}/host.env"

docker run --rm --network receiptsnap --env-file "${BASE}/env/app.env" \
  -v "${BASE}/tls/cert.pem:/etc/receiptsnap/tls/cert.pem:ro" \
  --read-only --cap-drop ALL --security-opt no-new-privileges \
  "${IMAGE}" receiptsnap telegram set-webhook \
  "https://${RECEIPTSNAP_PUBLIC_IP}/telegram/webhook" \
  --certificate /etc/receiptsnap/tls/cert.pem
