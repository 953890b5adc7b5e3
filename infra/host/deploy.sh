#!/bin/bash
# Deploy one image of the API and the bot on the EC2 host; run as root by the SSM agent when
# the CD workflow sends the stack's deploy document (receiptsnap-host-deploy), which installs
# these scripts in /opt/receiptsnap/host first. By hand (Session Manager, as root):
#
#   bash /opt/receiptsnap/host/deploy.sh docker.io/ORG/receiptsnap@sha256:<digest>
#
# Steps: render the environment (SSM parameter + the RDS secret's id), pull, run the migrations,
# replace the API container, wait for /readyz; if it does not get ready, put the previous image
# back and fail. Then replace the bot's container (`receiptsnap bot`: it takes the updates the
# API's webhook stored from the inbox, TELEGRAM_HANDLER=process; what arrives meanwhile waits
# there), load ECB's exchange rates (and keep their daily timer), make sure the TLS proxy runs
# with the current config, and (re)register the Telegram webhook. Migrations must stay backward
# compatible (expand, then contract in a later
# release): a rollback swaps the image, never the schema.
set -euo pipefail

IMAGE="${1:?usage: deploy.sh IMAGE@sha256:DIGEST (or IMAGE:TAG)}"
BASE=/opt/receiptsnap
HERE="$(cd "$(dirname "$0")" && pwd)"
APP=receiptsnap-api
BOT=receiptsnap-bot
PROXY=receiptsnap-proxy
PROXY_IMAGE="${PROXY_IMAGE:-nginx:1.27.5-alpine}"
READY_TIMEOUT="${READY_TIMEOUT:-90}"

log() { printf '%s deploy: %s\n' "$(date -u +%FT%TZ)" "$*"; }

# ---- environment ------------------------------------------------------------------------------
# host.env (written at boot from the SSM parameter) holds the app's non-secret settings and, as
# RECEIPTSNAP_* lines, what this script needs. Refresh it: the stack may have changed.
set -a
# shellcheck disable=SC1091
source "${BASE}/host.env"
set +a
export AWS_REGION AWS_DEFAULT_REGION="${AWS_REGION}"
aws ssm get-parameter --name "${RECEIPTSNAP_ENV_PARAMETER}" --query Parameter.Value \
  --output text > "${BASE}/env/host.env.new"
mv "${BASE}/env/host.env.new" "${BASE}/env/host.env"

# The app reads its database credentials from the RDS secret itself (DATABASE_SECRET_ID, through
# the instance role) and asks for the password again on new connections, so nothing secret is
# written here.
umask 077
{
  grep -v '^RECEIPTSNAP_' "${BASE}/env/host.env"
  printf 'DATABASE_SECRET_ID=%s\n' "${RECEIPTSNAP_DB_SECRET_ARN}"
} > "${BASE}/env/app.env"

log_opts=(
  --log-driver awslogs
  --log-opt "awslogs-region=${AWS_REGION}"
  --log-opt "awslogs-stream=$(hostname -s)"
)
hardening=(
  --read-only --tmpfs "/tmp:rw,noexec,nosuid,size=64m"
  --cap-drop ALL --security-opt no-new-privileges
  --pids-limit 512 --memory 1g
)

# Telegram's 30 messages a second are shared: the API sends the cards, the bot everything else.
run_api() {
  docker run -d --name "${APP}" --restart unless-stopped \
    --network receiptsnap -p 127.0.0.1:8000:8000 \
    --env-file "${BASE}/env/app.env" -e TELEGRAM_SEND_RATE=6 \
    "${log_opts[@]}" --log-opt "awslogs-group=${RECEIPTSNAP_APP_LOG_GROUP}" \
    "${hardening[@]}" "$1" >/dev/null
}

# Exactly one bot process: the old one is removed before the new one starts.
run_bot() {
  docker rm -f "${BOT}" >/dev/null 2>&1 || true
  docker run -d --name "${BOT}" --restart unless-stopped \
    --network receiptsnap \
    --env-file "${BASE}/env/app.env" -e TELEGRAM_SEND_RATE=24 \
    "${log_opts[@]}" --log-opt "awslogs-group=${RECEIPTSNAP_APP_LOG_GROUP}" \
    "${hardening[@]}" "$1" receiptsnap bot >/dev/null
}

# nginx re-resolves receiptsnap-api through Docker's DNS (resolver 127.0.0.11, valid=10s), so a
# new API container is found without a reload; the SIGHUP still re-reads config and certificate.
reload_proxy() {
  if [ "$(docker inspect -f '{{.State.Running}}' "${PROXY}" 2>/dev/null)" = "true" ]; then
    docker kill --signal HUP "${PROXY}" >/dev/null
  fi
}

wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT))
  while ((SECONDS < deadline)); do
    if curl -fsS --max-time 5 http://127.0.0.1:8000/readyz >/dev/null 2>&1; then
      return 0
    fi
    if [ "$(docker inspect -f '{{.State.Running}}' "${APP}" 2>/dev/null)" != "true" ]; then
      return 1
    fi
    sleep 2
  done
  return 1
}

# ---- release ----------------------------------------------------------------------------------
previous=$(docker inspect -f '{{.Config.Image}}' "${APP}" 2>/dev/null || true)
log "pulling ${IMAGE} (running: ${previous:-none})"
docker pull --quiet "${IMAGE}"

log "migrations"
docker run --rm --network receiptsnap --env-file "${BASE}/env/app.env" \
  "${log_opts[@]}" --log-opt "awslogs-group=${RECEIPTSNAP_APP_LOG_GROUP}" \
  "${hardening[@]}" "${IMAGE}" receiptsnap db upgrade

log "restarting ${APP}"
docker rm -f "${APP}" >/dev/null 2>&1 || true
run_api "${IMAGE}"

if ! wait_ready; then
  log "NOT READY after ${READY_TIMEOUT}s; last log lines:"
  docker logs --tail 50 "${APP}" 2>&1 || true
  docker rm -f "${APP}" >/dev/null 2>&1 || true
  if [ -n "${previous}" ]; then
    log "rolling back to ${previous}"
    run_api "${previous}"
    if wait_ready; then log "rollback ready"; else log "rollback NOT ready either"; fi
    run_bot "${previous}"
    reload_proxy
  fi
  exit 1
fi
log "ready: ${IMAGE}"
log "restarting ${BOT}"
run_bot "${IMAGE}"
# For a rollback by hand (docs/deploy.md): what runs now and what ran before.
printf '%s\n' "${IMAGE}" > "${BASE}/current-image"
printf '%s\n' "${previous}" > "${BASE}/previous-image"

# ---- exchange rates (core/fx) ------------------------------------------------------------------
# ECB's reference rates into the database: the whole history once (older receipts), then ECB's
# latest now and on each TARGET business day after its publication (about 16:00 CET). A failure
# never fails the release: a receipt without a rate says so, and catches up once rates arrive.
cat > /etc/systemd/system/receiptsnap-rates.service <<UNIT
[Unit]
Description=Load ECB's euro reference rates into the ReceiptSnap database
After=docker.service
Requires=docker.service
[Service]
Type=oneshot
ExecStart=/bin/bash ${HERE}/refresh-rates.sh
UNIT
cat > /etc/systemd/system/receiptsnap-rates.timer <<'UNIT'
[Unit]
Description=ECB's euro reference rates, daily after their publication
[Timer]
OnCalendar=Mon..Fri 16:30 Europe/Berlin
OnCalendar=Mon..Fri 18:30 Europe/Berlin
RandomizedDelaySec=10m
Persistent=true
[Install]
WantedBy=timers.target
UNIT
systemctl daemon-reload
systemctl enable --now receiptsnap-rates.timer
if [ ! -e "${BASE}/rates-history-loaded" ]; then
  if RATES_IMAGE="${IMAGE}" bash "${HERE}/refresh-rates.sh" --from-package; then
    touch "${BASE}/rates-history-loaded"
  else
    log "the rates history was not loaded (tried again with the next release)"
  fi
fi
RATES_IMAGE="${IMAGE}" bash "${HERE}/refresh-rates.sh" || log "rates refresh failed (the timer tries again)"

# ---- TLS proxy --------------------------------------------------------------------------------
# The Mini App's certificate (nginx's server for RECEIPTSNAP_APP_DOMAIN): Telegram opens only
# pages whose certificate it trusts, so the real one (e.g. Let's Encrypt's) goes to
# tls/app-cert.pem + tls/app-key.pem (docs/deploy.md). Until then a self-signed one stands in,
# so that nginx starts; without a domain that server is never reached (443 admits Telegram only).
if [ ! -s "${BASE}/tls/app-key.pem" ]; then
  app_name="${RECEIPTSNAP_APP_DOMAIN:-receiptsnap.invalid}"
  openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 30 \
    -keyout "${BASE}/tls/app-key.pem" -out "${BASE}/tls/app-cert.pem" \
    -subj "/CN=${app_name}" -addext "subjectAltName=DNS:${app_name}" 2>/dev/null
  chown root:101 "${BASE}/tls/app-key.pem" && chmod 0640 "${BASE}/tls/app-key.pem"
  chmod 0644 "${BASE}/tls/app-cert.pem"
  log "the Mini App's certificate is a self-signed stand-in: install the real one (docs/deploy.md)"
fi
install -m 0644 "${HERE}/nginx.conf" "${BASE}/proxy/nginx.conf"
want="$(sha256sum "${BASE}/proxy/nginx.conf" | cut -c1-16) ${PROXY_IMAGE}"
have=$(docker inspect -f '{{index .Config.Labels "receiptsnap.config"}}' "${PROXY}" 2>/dev/null || true)
if [ "${want}" != "${have}" ] || [ "$(docker inspect -f '{{.State.Running}}' "${PROXY}" 2>/dev/null)" != "true" ]; then
  log "starting ${PROXY} (${want})"
  docker rm -f "${PROXY}" >/dev/null 2>&1 || true
  docker run -d --name "${PROXY}" --restart unless-stopped --network receiptsnap \
    --label "receiptsnap.config=${want}" \
    -p 443:443 -p 8080:8080 \
    -v "${BASE}/proxy/nginx.conf:/etc/nginx/nginx.conf:ro" \
    -v "${BASE}/tls:/etc/receiptsnap/tls:ro" \
    "${log_opts[@]}" --log-opt "awslogs-group=${RECEIPTSNAP_PROXY_LOG_GROUP}" \
    --read-only --tmpfs "/tmp:rw,nosuid,size=16m" \
    --cap-drop ALL --cap-add NET_BIND_SERVICE --cap-add SETUID --cap-add SETGID \
    --cap-add CHOWN --security-opt no-new-privileges \
    "${PROXY_IMAGE}" >/dev/null
else
  reload_proxy
fi

# ---- webhook ----------------------------------------------------------------------------------
bash "${HERE}/set-webhook.sh" "${IMAGE}" || log "setWebhook failed (is the bot token secret set?)"

docker image prune --force --filter "until=168h" >/dev/null || true
log "done"
