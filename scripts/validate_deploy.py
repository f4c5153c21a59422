#!/usr/bin/env python3
"""Offline validation of deploy/: run by scripts/validate_deploy.sh inside .venv.

Checks (all offline; nothing is fetched):
  yaml        yamllint on every YAML file under deploy/ (Helm templates excepted)
  k8s         every manifest in deploy/k8s/ against the bundled Kubernetes schemas (strict:
              unknown fields are errors; an unknown kind is an error too)
  helm        the chart rendered with the real Helm v4 engine (helm-python-sdk's libhelm_c) for
              several value sets, `helm lint --strict`, each render schema-validated like k8s/,
              and the chart's guards (values that must fail do fail)
  wiring      ports, probes and grace periods agree with the config each pod mounts; the
              policy ConfigMaps are policies/baseline verbatim
  binary      each pod, the container image's default command and the systemd unit are
              replayed with `aimsgate serve ... --check` against their own mounted config,
              policy and secrets (paths re-rooted in a temp dir): catches unknown flags, keys
              and unresolvable secret references. Skipped (and said so) without a built binary.
  docker      hadolint on deploy/Dockerfile and deploy/image/Containerfile, both with a numeric
              non-root USER and the same runtime settings; the builder runs the README's build
              command and copies its binary
  systemd     systemd-analyze verify and an offline security score under a threshold
  shell       shellcheck on scripts/validate_deploy.sh, deploy/image/*.sh and every `sh -c`
              script in the manifests
  otel        the Collector config's pipelines name only components it defines

Prints nothing on success (unless -v); on failure prints each problem and exits 1.
"""
from __future__ import annotations

import argparse
import sys

from deploycheck.common import OPTS, notes, problems
from deploycheck.hosts import check_docker, check_otel, check_shell, check_systemd
from deploycheck.manifests import check_helm, check_wiring, check_yaml, k8s_sets, validate_docs
from deploycheck.replay import check_binary
from deploycheck.selftest import self_test


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--self-test", action="store_true",
                    help="break the deployment files one way at a time (in a copy) and expect each "
                         "break to be reported")
    a = ap.parse_args()
    OPTS["verbose"] = a.verbose
    if a.self_test:
        return self_test()
    check_yaml()
    sets = k8s_sets()
    sets.update(check_helm())
    for name, docs in sets.items():
        validate_docs([d for d, _ in docs], name)
    check_wiring(sets)
    check_docker()
    check_systemd()
    check_otel()
    check_shell(sets)
    check_binary(sets)
    for n in notes:
        print(f"validate_deploy: note: {n}")
    for p in problems:
        print(f"validate_deploy: FAIL {p}", file=sys.stderr)
    if problems:
        print(f"validate_deploy: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    if OPTS["verbose"]:
        print(f"validate_deploy: OK ({len(sets)} manifest sets)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
