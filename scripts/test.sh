#!/usr/bin/env bash
# The whole test suite, from a clean clone: formatting, lints, unit + integration tests, the
# end-to-end tests with the official OpenAI, Anthropic and Google Python SDKs and the real LiteLLM
# and Portkey gateways (guardrail mode), a smoke run of every
# benchmark, the deploy/ validation and the container image built and run once. Creates .venv
# (pinned SDKs from PyPI) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! .venv/bin/python -c "import openai, anthropic, cryptography, google.genai, boto3" 2>/dev/null; then
  echo "== creating .venv with the official SDKs (tests/e2e/requirements.txt)"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r tests/e2e/requirements.txt
fi

# The real gateways of the guardrail-mode end-to-end tests (LiteLLM from PyPI, Portkey from npm),
# pinned; idempotent.
bash scripts/e2e_gateways.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== no import circles inside proxy/, classify/, evidence/, report/"
python3 scripts/module_cycles.py src --deny proxy classify evidence report >/dev/null
echo "== cargo clippy"
cargo clippy --locked --all-targets -- -D warnings
echo "== cargo test (unit, integration, SDK end-to-end, benchmark smoke runs)"
# Property tests run a fixed, reproducible set of cases here (override or unset the seed to
# explore new inputs locally; see the closing note for the open stream/whole-text edge case).
export PROPTEST_RNG_SEED="${PROPTEST_RNG_SEED:-20261123}"
cargo test --locked --all-targets -- --include-ignored
echo "== deploy/ validation (Dockerfile, Kubernetes manifests, Helm chart, systemd unit; offline)"
scripts/validate_deploy.sh -v
echo "== container image (deploy/image/check.sh: release build, buildah FROM scratch, podman --read-only)"
# The release build this needs is the one slow step left (fat LTO: ~4 min on 2 cores, cold);
# nothing above builds the release profile (the benches' smoke runs use the test profile).
deploy/image/check.sh
