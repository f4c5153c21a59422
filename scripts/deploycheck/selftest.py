"""`--self-test`: break the deployment files one way at a time, in a temp copy of the
repository, and expect the named check to report each break (so every check can fail)."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .common import OPTS, ROOT, find_binary, run

ENTRY = Path(__file__).resolve().parents[1] / "validate_deploy.py"

# (file, text to find, replacement, check that must report it): each breaks one thing.
MUTATIONS = [
    ("deploy/k8s/gateway/deployment/deployment.yaml", "readinessProbe:", "readinesProbe:", "k8s"),
    ("deploy/k8s/gateway/common/service.yaml", "port: 8080", "port: \"8080\"", "k8s"),
    ("deploy/k8s/sidecar/deployment.yaml", "restartPolicy: Always\n          args: [\"serve\"",
     "restartPolicy: Never\n          args: [\"serve\"", "wiring"),
    ("deploy/k8s/gateway/common/config-configmap.yaml", "0.0.0.0:9090", "0.0.0.0:9091", "wiring"),
    ("deploy/k8s/gateway/deployment/deployment.yaml", "terminationGracePeriodSeconds: 45",
     "terminationGracePeriodSeconds: 20", "wiring"),
    ("deploy/k8s/gateway/deployment/deployment.yaml", "type: Recreate", "type: RollingUpdate", "wiring"),
    ("deploy/k8s/gateway/statefulset/statefulset.yaml", "fsGroupChangePolicy: OnRootMismatch",
     "fsGroupChangePolicy: Always", "wiring"),
    ("deploy/k8s/gateway/common/policy-configmap.yaml", "effect = \"allow\"", "effect = \"block\"",
     "wiring"),
    ("deploy/k8s/gateway/statefulset/statefulset.yaml", '"--config", ', '"--metrics-port", "9", "--config", ',
     "binary"),
    ("deploy/k8s/gateway/common/config-configmap.yaml", "fail_open = false", "fail_closed = true",
     "binary"),
    ("deploy/k8s/gateway/common/secret.yaml", "team-openai-key: ", "team-openai-token: ", "binary"),
    ("deploy/helm/aimsgate/templates/service.yaml", ".Values.service.port", ".Values.service.prot", "k8s"),
    ("deploy/helm/aimsgate/templates/workload.yaml", "/etc/aimsgate/config/aimsgate.toml",
     "/etc/aimsgate/aimsgate.toml", "binary"),
    ("deploy/helm/aimsgate/values.yaml", "retainOnDelete: true", "retainOnDelete: yes please", "helm"),
    ("deploy/Dockerfile", "    cargo build --release --locked \\", "    cargo build --release \\", "docker"),
    ("deploy/Dockerfile", "USER 65532:65532", "USER root", "docker"),
    ("deploy/image/Containerfile", "USER 65532:65532", "USER root", "docker"),
    ("deploy/image/Containerfile", "EXPOSE 8080 9090", "EXPOSE 8080", "docker"),
    ("deploy/aimsgate.container.toml", "[telemetry]", "[telemetry]\nformat = \"json\"", "binary"),
    ("deploy/systemd/aimsgate.service", "ProtectSystem=strict", "ProtectSystem=strictest", "systemd"),
    ("deploy/systemd/aimsgate.service", "TimeoutStopSec=45s", "TimeoutStopSec=10s", "systemd"),
    ("deploy/systemd/aimsgate.service", "--data-dir /var/lib/aimsgate\n", "--datadir /var/lib/aimsgate\n",
     "binary"),
    ("deploy/k8s/sidecar/deployment.yaml", 'wait $!; done', 'wait $!; don', "shell"),
    ("deploy/otel-collector.yaml", "exporters: [otlp/traces]", "exporters: [otlp/trace]", "otel"),
    ("deploy/otel-collector.yaml", "  batch: {}", "  batch: {}   ", "yaml"),
]


def self_test() -> int:
    """Apply each mutation to a copy of the repository and expect the named check to fail."""
    binary = find_binary()

    def one(m: tuple[str, str, str, str]) -> str | None:
        path, old, new, check = m
        if check in ("binary",) and binary is None:
            return None
        with tempfile.TemporaryDirectory(prefix="aimsgate-selftest-") as t:
            tmp = Path(t)
            for part in ("deploy", "policies", "scripts"):
                shutil.copytree(ROOT / part, tmp / part)
            for f in ("README.md", "Cargo.toml"):
                shutil.copy(ROOT / f, tmp / f)
            target = tmp / path
            text = target.read_text()
            if old not in text:
                return f"{path}: mutation anchor {old!r} not found (update MUTATIONS)"
            target.write_text(text.replace(old, new, 1))
            env = {**os.environ, "VALIDATE_DEPLOY_ROOT": str(tmp)}
            if binary is not None:
                env["AIMSGATE_BIN"] = str(binary)
            r = run([sys.executable, str(ENTRY)], env=env, timeout=120)
            if r.returncode == 0 or f"[{check}]" not in r.stderr:
                return (f"{path}: {old!r} -> {new!r} was not caught by [{check}] "
                        f"(exit {r.returncode}): {r.stderr.strip()[-300:]}")
        return None

    with ThreadPoolExecutor(max_workers=4) as pool:
        missed = [x for x in pool.map(one, MUTATIONS) if x]
    for x in missed:
        print(f"validate_deploy self-test: FAIL {x}", file=sys.stderr)
    if OPTS["verbose"] or missed:
        print(f"validate_deploy self-test: {len(MUTATIONS) - len(missed)} passed, {len(missed)} failed")
    return 1 if missed else 0


# ---------------------------------------------------------------- main
