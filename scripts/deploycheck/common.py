"""Shared state and helpers of the deploy/ validation: where the repository is, the problem
list every check appends to, subprocess and YAML helpers, and manifest navigation. Holds no
check itself."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(os.environ.get("VALIDATE_DEPLOY_ROOT") or Path(__file__).resolve().parents[2])
DEPLOY = ROOT / "deploy"

problems: list[str] = []
notes: list[str] = []
OPTS = {"verbose": False}


def fail(check: str, msg: str) -> None:
    problems.append(f"[{check}] {msg}")


def rel(p: Path) -> str:
    try:
        return str(p.relative_to(ROOT))
    except ValueError:
        return str(p)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def tool(name: str) -> str:
    """A tool from the venv running this script, else from PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def load_docs(text: str, origin: str, check: str = "k8s") -> list[dict]:
    try:
        return [d for d in yaml.safe_load_all(text) if d]
    except yaml.YAMLError as e:
        fail(check, f"{origin}: not YAML: {e}")
        return []


def by_kind(docs: list[tuple[dict, str]], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d, _ in docs if d.get("kind") == kind}


def pod_specs(docs: list[tuple[dict, str]]):
    for d, origin in docs:
        if d.get("kind") in ("Deployment", "StatefulSet"):
            yield d, origin, d["spec"]["template"]["spec"]


def aimsgate_container(spec: dict) -> dict | None:
    for c in spec.get("initContainers", []) + spec.get("containers", []):
        if c.get("name") == "aimsgate":
            return c
    return None


def duration_s(v: str) -> float:
    m = re.fullmatch(r"(\d+)(ms|s|m)", v)
    if not m:
        return 0.0
    return int(m[1]) * {"ms": 0.001, "s": 1, "m": 60}[m[2]]


def find_binary() -> Path | None:
    env = os.environ.get("AIMSGATE_BIN")
    if env:
        return Path(env)
    found = [p for p in (ROOT / "target/debug/aimsgate", ROOT / "target/release/aimsgate") if p.exists()]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def policy_files(bundle: str) -> dict[str, str]:
    d = ROOT / "policies" / bundle
    return {p.name: p.read_text() for p in sorted(d.glob("*.toml")) if p.name != "tests.toml"}
