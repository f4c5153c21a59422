"""Checks outside Kubernetes: the Dockerfile and deploy/image/Containerfile (hadolint, numeric
non-root USER; the Dockerfile's README build command and binary, Rust version), the systemd unit
(verify, offline security score, drain and reload settings), shellcheck of shell snippets and of
deploy/image/*.sh, and the OTel Collector config's pipeline references."""
from __future__ import annotations

import re
import shlex
import shutil
import tempfile
import tomllib
from pathlib import Path

import yaml

from .common import (DEPLOY, OPTS, ROOT, duration_s, fail, find_binary, notes, pod_specs, rel,
                     run, tool)

SECURITY_THRESHOLD = "20"  # systemd-analyze security, in tenths: exposure 2.0 (the unit scores 1.4)


def dockerfile_runtime() -> dict:
    """Builder RUN lines, runtime COPYs (from the build context) and CMD of deploy/Dockerfile."""
    text = (DEPLOY / "Dockerfile").read_text()
    logical = re.sub(r"\\\n", " ", text)
    stages: list[dict] = []
    for line in logical.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instr, _, rest = line.partition(" ")
        instr = instr.upper()
        if instr == "FROM":
            stages.append({"from": rest, "run": [], "copies": [], "cmd": []})
        elif not stages:
            continue
        elif instr == "RUN":
            stages[-1]["run"].append(rest)
        elif instr == "COPY":
            parts = [p for p in shlex.split(rest) if not p.startswith("--chown")]
            if any(p.startswith("--from") for p in parts):
                stages[-1]["copies_from_build"] = stages[-1].get("copies_from_build", []) + [parts]
                continue
            stages[-1]["copies"].append((parts[0], parts[1]))
        elif instr == "CMD":
            stages[-1]["cmd"] = yaml.safe_load(rest)
    return {"build": stages[0], "copies": stages[-1]["copies"], "cmd": stages[-1]["cmd"],
            "runtime": stages[-1]}


IMAGE_FILES = ("Dockerfile", "image/Containerfile")  # the multi-stage build and buildah's FROM scratch
RUNTIME = ("USER", "VOLUME", "EXPOSE", "STOPSIGNAL", "ENTRYPOINT", "CMD")


def runtime_settings(name: str) -> dict[str, str]:
    """The last stage's RUNTIME instructions of an image file (for each, the last one)."""
    logical = re.sub(r"\\\n", " ", (DEPLOY / name).read_text())
    last = re.split(r"^FROM\s", logical, flags=re.M)[-1]
    return {k: v.strip() for k, v in re.findall(r"^(%s)\s+(.*)$" % "|".join(RUNTIME), last, re.M)}


def check_docker() -> None:
    for name in IMAGE_FILES:
        r = run([tool("hadolint"), str(DEPLOY / name)])
        if r.returncode != 0:
            fail("docker", f"hadolint {name}: {(r.stdout + r.stderr).strip()}")
        user = runtime_settings(name).get("USER", "")
        if not re.fullmatch(r"[1-9]\d*(:\d+)?", user):
            fail("docker", f"{name}: the runtime stage must end with a numeric non-root USER")
    # The two builds make one image: the manifests rely on the same user, volume, ports and command.
    a, b = (runtime_settings(n) for n in IMAGE_FILES)
    for k in RUNTIME:
        if a.get(k) != b.get(k):
            fail("docker", f"{k} differs: Dockerfile {a.get(k)!r}, image/Containerfile {b.get(k)!r}")
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"`(cargo build [^`]*)`\s*\(→\s*`([^`]+)`\)", readme)
    if not m:
        fail("docker", "README.md does not name the release build command and binary "
                       "(`cargo build ...` (→ `target/...`))")
        return
    build_cmd, binary = m[1], m[2]
    df = dockerfile_runtime()
    runs = " ".join(df["build"]["run"])
    steps = [s.strip() for s in re.split(r"&&|;", re.sub(r"--mount=\S+", "", runs))]
    if build_cmd not in steps:
        fail("docker", f"the builder stage does not run the README's build `{build_cmd}` "
                       f"(its steps: {steps})")
    if binary not in runs:
        fail("docker", f"the builder stage does not take the README's binary {binary}")
    copied = [p for ps in df["runtime"].get("copies_from_build", []) for p in ps]
    if not any(p.endswith("/bin/aimsgate") for p in copied):
        fail("docker", "the runtime stage does not copy the built binary")
    rust = re.search(r"ARG RUST_VERSION=(\d+\.\d+)", (DEPLOY / "Dockerfile").read_text())
    msrv = re.search(r'rust-version\s*=\s*"(\d+)\.(\d+)', (ROOT / "Cargo.toml").read_text())
    if rust and msrv and tuple(map(int, rust[1].split("."))) < (int(msrv[1]), int(msrv[2])):
        fail("docker", f"RUST_VERSION {rust[1]} is older than Cargo.toml's rust-version")


def parse_unit(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            k, _, v = line.partition("=")
            out.setdefault(k.strip(), []).append(v.strip())
    return out


def check_systemd() -> None:
    unit_path = DEPLOY / "systemd/aimsgate.service"
    unit = parse_unit(unit_path)
    cfg = tomllib.loads((DEPLOY / "systemd/aimsgate.toml").read_text())
    grace = duration_s(cfg.get("server", {}).get("shutdown_grace", "30s"))
    stop = duration_s(unit.get("TimeoutStopSec", ["90s"])[-1])
    if stop <= grace:
        fail("systemd", f"TimeoutStopSec {stop:g}s does not exceed shutdown_grace {grace:g}s")
    if unit.get("KillSignal", ["SIGTERM"])[-1] != "SIGTERM" or "-HUP" not in unit.get("ExecReload", [""])[-1]:
        fail("systemd", "KillSignal must be SIGTERM (drain) and ExecReload send SIGHUP (reload)")
    if shutil.which("systemd-analyze") is None:
        notes.append("systemd: skipped: systemd-analyze not installed (Debian package systemd)")
        return
    with tempfile.TemporaryDirectory(prefix="aimsgate-unit-") as t:
        # verify checks that ExecStart's binary exists: point it at a real executable here.
        binary = find_binary()
        target = str(binary) if binary else "/bin/true"
        text = unit_path.read_text().replace("/usr/local/bin/aimsgate", target)
        local = Path(t) / "aimsgate.service"
        local.write_text(text)
        r = run(["systemd-analyze", "verify", "--man=no", str(local)])
        if r.returncode != 0 or r.stderr.strip():
            fail("systemd", f"systemd-analyze verify: {(r.stderr or r.stdout).strip()}")
        r = run(["systemd-analyze", "security", "--offline=true",
                 f"--threshold={SECURITY_THRESHOLD}", "--no-pager", str(local)])
        if r.returncode != 0:
            fail("systemd", f"security exposure above {int(SECURITY_THRESHOLD) / 10}: "
                            f"{(r.stdout + r.stderr).strip().splitlines()[-1:]}")
        elif OPTS["verbose"]:
            print("systemd: " + r.stdout.strip().splitlines()[-1])


def check_shell(sets) -> None:
    """shellcheck on this script's wrapper and on every `sh -c` script in the manifests."""
    scripts: list[tuple[str, str]] = [(rel(ROOT / "scripts/validate_deploy.sh"),
                                       (ROOT / "scripts/validate_deploy.sh").read_text())]
    for set_name, docs in sets.items():
        for _, _, spec in pod_specs(docs):
            for c in spec.get("initContainers", []) + spec.get("containers", []):
                cmd = c.get("command") or []
                if len(cmd) >= 2 and cmd[0].endswith("sh") and cmd[1] == "-c" and c.get("args"):
                    scripts.append((f"{set_name}: container {c['name']}", c["args"][0]))
    for label, text in scripts:
        r = run([tool("shellcheck"), "-s", "sh" if "container" in label else "bash",
                 "-f", "gcc", "-"], input=text)
        if r.returncode != 0:
            fail("shell", f"{label}: {r.stdout.strip()}")
    # The image scripts, as files from the repository root so that `source` is followed.
    image_scripts = sorted(str(p.relative_to(ROOT)) for p in (DEPLOY / "image").glob("*.sh"))
    r = run([tool("shellcheck"), "-x", "-f", "gcc", *image_scripts], cwd=ROOT)
    if r.returncode != 0:
        fail("shell", r.stdout.strip())


def check_otel() -> None:
    path = DEPLOY / "otel-collector.yaml"
    try:
        cfg = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        fail("otel", f"{rel(path)}: {e}")
        return
    pipelines = ((cfg.get("service") or {}).get("pipelines")) or {}
    if not pipelines:
        fail("otel", "no service.pipelines")
    for pname, p in pipelines.items():
        for section in ("receivers", "processors", "exporters"):
            for comp in p.get(section, []):
                if comp not in (cfg.get(section) or {}):
                    fail("otel", f"pipeline {pname} uses {section[:-1]} {comp}, which is not defined")
    for ext in (cfg.get("service") or {}).get("extensions", []):
        if ext not in (cfg.get("extensions") or {}):
            fail("otel", f"service uses extension {ext}, which is not defined")
