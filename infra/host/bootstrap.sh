#!/bin/bash
# First-boot setup of the ReceiptSnap host (EC2 user data; Amazon Linux 2023, arm64).
# Idempotent: safe to run again by hand (sudo bash /var/lib/cloud/instance/user-data.txt).
# What it does NOT do: start the app. Releases arrive through SSM Run Command: the CD workflow
# sends the stack's deploy document, which the SSM agent runs as root (infra/host/deploy.sh with
# an image digest). No GitHub runner and no repository checkout live on this host.
set -euo pipefail

ENV_PARAMETER="__ENV_PARAMETER__"
BASE=/opt/receiptsnap

imds() {
  local token
  token=$(curl -fsS -X PUT http://169.254.169.254/latest/api/token \
    -H "X-aws-ec2-metadata-token-ttl-seconds: 60")
  curl -fsS -H "X-aws-ec2-metadata-token: ${token}" "http://169.254.169.254/latest/$1"
}
REGION=$(imds meta-data/placement/region)
export AWS_REGION="${REGION}" AWS_DEFAULT_REGION="${REGION}"

# The public subnet assigns no public IP at launch: the internet (packages, SSM) is reachable once
# CloudFormation has associated the Elastic IP, a few seconds after the instance starts.
for _ in $(seq 1 120); do
  imds meta-data/public-ipv4 >/dev/null 2>&1 && break
  sleep 5
done

# Packages: Docker, jq, openssl (the certificate). SSM Agent comes with Amazon Linux 2023.
dnf -y install docker jq openssl
systemctl enable --now docker

install -d -m 0755 "${BASE}" "${BASE}/proxy"
install -d -m 0750 -o root -g root "${BASE}/tls"
install -d -m 0700 -o root -g root "${BASE}/env"

# The non-secret configuration (buckets, queue, secret ids, log groups, public IP).
aws ssm get-parameter --name "${ENV_PARAMETER}" --query Parameter.Value --output text \
  > "${BASE}/host.env"
chmod 0644 "${BASE}/host.env"
PUBLIC_IP=$(sed -n 's/^RECEIPTSNAP_PUBLIC_IP=//p' "${BASE}/host.env")

# Self-signed certificate for the webhook, bound to the Elastic IP (Telegram accepts it when the
# certificate is uploaded with setWebhook; see set-webhook.sh). The key never leaves the host.
if [ ! -s "${BASE}/tls/key.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 3650 \
    -keyout "${BASE}/tls/key.pem" -out "${BASE}/tls/cert.pem" \
    -subj "/CN=${PUBLIC_IP}" -addext "subjectAltName=IP:${PUBLIC_IP}"
fi
# nginx (uid 101 in the image) reads the key through the group; nobody else can.
chown root:101 "${BASE}/tls/key.pem" && chmod 0640 "${BASE}/tls/key.pem"
chmod 0644 "${BASE}/tls/cert.pem"

docker network inspect receiptsnap >/dev/null 2>&1 || docker network create receiptsnap

# Automatic security updates of the OS packages, applied daily at a quiet hour.
cat > /etc/systemd/system/dnf-security-upgrade.service <<'UNIT'
[Unit]
Description=Apply security updates
[Service]
Type=oneshot
ExecStart=/usr/bin/dnf -y upgrade --security
UNIT
cat > /etc/systemd/system/dnf-security-upgrade.timer <<'UNIT'
[Unit]
Description=Daily security updates
[Timer]
OnCalendar=*-*-* 04:30:00
RandomizedDelaySec=30m
Persistent=true
[Install]
WantedBy=timers.target
UNIT
systemctl daemon-reload
systemctl enable --now dnf-security-upgrade.timer

echo "receiptsnap host bootstrap done (public IP ${PUBLIC_IP})"
