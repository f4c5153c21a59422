#!/usr/bin/env bash
# Installs the two real AI gateways that the end-to-end tests run against, pinned and reproducible:
#   - LiteLLM proxy 1.110.2 into .venv-litellm/, from the full lock tests/e2e/litellm/requirements.txt
#   - Portkey gateway 1.15.2 into tests/e2e/portkey/node_modules/, from tests/e2e/portkey/package-lock.json
# Only PyPI and the npm registry are contacted. The script is idempotent: each part is reinstalled only when it
# is missing or its lock file changed (a sha256 stamp is kept inside the installed tree).
#
# The Python packages are installed with uv (uv itself comes from PyPI, pinned below); that takes a few seconds
# where pip takes about a minute on 2 cores. Set E2E_USE_PIP=1 to use plain pip instead.
# Start the gateways with (see tests/e2e/litellm/requirements.txt for the LiteLLM notes):
#   LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_TELEMETRY=False \
#     .venv-litellm/bin/litellm --config CFG.yaml --host 127.0.0.1 --port N      # ready: GET /health/liveliness
#   node tests/e2e/portkey/node_modules/@portkey-ai/gateway/build/start-server.js --port=N --headless  # GET /
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
UV_VERSION=0.13.10
VENV=.venv-litellm
LITELLM_REQ=tests/e2e/litellm/requirements.txt
PORTKEY_DIR=tests/e2e/portkey

hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# ---- LiteLLM -------------------------------------------------------------------------------------------------
want=$(hash_of "$LITELLM_REQ")
stamp="$VENV/.e2e-requirements.sha256"
if [[ -x "$VENV/bin/litellm" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "== LiteLLM: $VENV is up to date"
else
  echo "== LiteLLM: creating $VENV from $LITELLM_REQ"
  # A fresh venv every time the lock changes, so no stale packages survive.
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  if [[ "${E2E_USE_PIP:-0}" == 1 ]]; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$LITELLM_REQ"
  else
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION"
    # uv does not read pip's settings; carry over a mirror and a CA bundle if pip is configured by env.
    [[ -n "${PIP_INDEX_URL:-}" && -z "${UV_DEFAULT_INDEX:-}" ]] && export UV_DEFAULT_INDEX="$PIP_INDEX_URL"
    [[ -n "${PIP_CERT:-}" && -z "${SSL_CERT_FILE:-}" ]] && export SSL_CERT_FILE="$PIP_CERT"
    "$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" --no-deps -r "$LITELLM_REQ"
  fi
  # Smoke test that also writes the .pyc files, so the first proxy start is not slowed by bytecode compilation.
  echo "== LiteLLM: import check (compiles bytecode)"
  LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_TELEMETRY=False \
    "$VENV/bin/python" -c "import litellm.proxy.proxy_server" >/dev/null
  echo "$want" >"$stamp"
fi

# ---- Portkey -------------------------------------------------------------------------------------------------
want=$(hash_of "$PORTKEY_DIR/package.json" "$PORTKEY_DIR/package-lock.json")
stamp="$PORTKEY_DIR/node_modules/.e2e-lock.sha256"
if [[ -f "$PORTKEY_DIR/node_modules/@portkey-ai/gateway/build/start-server.js" && -f "$stamp" \
      && "$(cat "$stamp")" == "$want" ]]; then
  echo "== Portkey: $PORTKEY_DIR/node_modules is up to date"
else
  echo "== Portkey: npm ci in $PORTKEY_DIR"
  # --ignore-scripts: the package's only script is `postinstall: patch-package`, and it ships no patches.
  (cd "$PORTKEY_DIR" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
  echo "$want" >"$stamp"
fi
