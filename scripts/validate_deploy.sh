#!/usr/bin/env bash
# Offline validation of deploy/ (Dockerfile, Kubernetes manifests, Helm chart, systemd unit,
# OpenTelemetry Collector config): see scripts/validate_deploy.py for the list of checks.
#
# First run: creates .venv if missing and installs the pinned tools from
# deploy/requirements-validate.txt (PyPI). Later runs install nothing and fetch nothing.
# Quiet on success (-v for a summary); non-zero exit on any problem.
set -euo pipefail
cd "$(dirname "$0")/.."

req=deploy/requirements-validate.txt
stamp=".venv/.deploy-validate-$(sha256sum "$req" | cut -c1-16)"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if [ ! -e "$stamp" ]; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$req"
  rm -f .venv/.deploy-validate-*
  touch "$stamp"
fi
exec .venv/bin/python scripts/validate_deploy.py "$@"
