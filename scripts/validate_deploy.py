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
  docker      hadolint; the builder runs the README's build command and copies its binary
  systemd     systemd-analyze verify and an offline security score under a threshold
  shell       shellcheck on scripts/validate_deploy.sh and every `sh -c` script in the manifests
  otel        the Collector config's pipelines name only components it defines

Prints nothing on success (unless -v); on failure prints each problem and exits 1.
"""
from __future__ import annotations

import argparse
import base64
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import yaml

ROOT = Path(os.environ.get("VALIDATE_DEPLOY_ROOT") or Path(__file__).resolve().parent.parent)
DEPLOY = ROOT / "deploy"
K8S_VERSION = "1.33.0"  # the oldest Kubernetes the manifests target (native sidecars GA)
SECURITY_THRESHOLD = "20"  # systemd-analyze security, in tenths: exposure 2.0 (the unit scores 1.4)
PROBE_PATHS = {"/healthz", "/readyz"}

problems: list[str] = []
notes: list[str] = []
VERBOSE = False


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


# ---------------------------------------------------------------- yaml


def check_yaml() -> None:
    r = run([tool("yamllint"), "-c", str(DEPLOY / ".yamllint.yaml"), "--strict",
             "-f", "parsable", str(DEPLOY)])
    if r.returncode != 0:
        fail("yaml", (r.stdout + r.stderr).strip())


# ---------------------------------------------------------------- k8s schemas


def load_docs(text: str, origin: str) -> list[dict]:
    try:
        return [d for d in yaml.safe_load_all(text) if d]
    except yaml.YAMLError as e:
        fail("k8s", f"{origin}: not YAML: {e}")
        return []


def validate_docs(docs: list[dict], origin: str) -> None:
    import kubernetes_validate as kv  # noqa: PLC0415 (only in the venv)
    from kubernetes_validate import utils as kvu  # noqa: PLC0415

    for d in docs:
        name = f"{d.get('kind', '?')}/{(d.get('metadata') or {}).get('name', '?')}"
        try:
            kv.validate(d, K8S_VERSION, strict=True)
        except kvu.ValidationError as e:
            path = ".".join(str(p) for p in e.path)
            fail("k8s", f"{origin}: {name}: {path}: {e.message}")
        except kvu.SchemaNotFoundError:
            fail("k8s", f"{origin}: {name}: no schema for {d.get('apiVersion')} {d.get('kind')} "
                        f"in Kubernetes {K8S_VERSION}")
        except Exception as e:  # noqa: BLE001 (report anything the validator raises)
            fail("k8s", f"{origin}: {name}: cannot validate: {e}")


def k8s_sets() -> dict[str, list[tuple[dict, str]]]:
    """Manifest sets as applied together: name -> [(doc, file)]."""
    def docs_of(*dirs: str) -> list[tuple[dict, str]]:
        out = []
        for d in dirs:
            for f in sorted((DEPLOY / "k8s" / d).glob("*.yaml")):
                out += [(doc, rel(f)) for doc in load_docs(f.read_text(), rel(f))]
        return out

    return {
        "k8s/gateway (Deployment)": docs_of("gateway/common", "gateway/deployment"),
        "k8s/gateway (StatefulSet)": docs_of("gateway/common", "gateway/statefulset"),
        "k8s/sidecar": docs_of("sidecar"),
    }


# ---------------------------------------------------------------- helm


def policy_files(bundle: str) -> dict[str, str]:
    d = ROOT / "policies" / bundle
    return {p.name: p.read_text() for p in sorted(d.glob("*.toml")) if p.name != "tests.toml"}


# (name, values, must render?)
def helm_cases() -> list[tuple[str, dict, bool]]:
    return [
        ("defaults (StatefulSet, 2 replicas)", {}, True),
        ("Deployment with own policy and file secrets", {
            "kind": "Deployment",
            "replicaCount": 1,
            "policy": {"files": policy_files("healthcare")},
            "secrets": {"data": {"openai-api-key": "", "team-openai-key": "placeholder",
                                 "evidence-hmac-key": "placeholder"},
                        "files": ["team-openai-key", "evidence-hmac-key"]},
            "config": {"extra": _helm_extra_with_files()},
            "otel": {"endpoint": "http://otel-collector.observability:4318"},
        }, True),
        ("StatefulSet without persistence, existing Secret", {
            "replicaCount": 1, "persistence": {"enabled": False},
            "secrets": {"create": False, "existingSecret": "provider-keys"},
        }, True),
        ("guard: Deployment with 3 replicas on one volume", {"kind": "Deployment", "replicaCount": 3},
         False),
        ("guard: config.extra redefining [server]", {"config": {"extra": "[server]\nlisten = \"x\"\n"}},
         False),
        ("guard: unknown kind", {"kind": "DaemonSet"}, False),
    ]


def _helm_extra_with_files() -> str:
    return """[[upstreams]]
name = "openai"
kind = "openai"
base_url = "https://api.openai.com/v1"
api_key = { env = "OPENAI_API_KEY" }

[[upstreams]]
name = "anthropic"
kind = "anthropic"
base_url = "https://api.anthropic.com"
api_key = { env = "ANTHROPIC_API_KEY" }

[keys]
team-openai = { file = "/etc/aimsgate/secrets/team-openai-key" }

[routing]
openai = "openai"
anthropic = "anthropic"

[identity]
modes = ["virtual_key", "pass_through"]
[[identity.virtual_keys]]
hash = "sha256:4a1ac8d0a4d1f5b3f5e2fd0f4b3a9ac2a1d7a25c63f34a8e5b6c8ad0d24bd1e1"
principal = "svc"
ai_system = "patient-support-assistant"
upstream_key = "team-openai"

[evidence]
hmac_key = { file = "/etc/aimsgate/secrets/evidence-hmac-key" }
"""


def check_helm() -> dict[str, list[tuple[dict, str]]]:
    try:
        import helm_python as helm  # noqa: PLC0415
    except Exception as e:  # noqa: BLE001
        fail("helm", f"helm-python-sdk not importable ({e}); run scripts/validate_deploy.sh")
        return {}
    chart_dir = DEPLOY / "helm" / "aimsgate"
    report = helm.lint(str(chart_dir), strict=True, kube_version=f"v{K8S_VERSION}")
    for m in report.get("messages", []):
        if m.get("severity", 0) >= 2:
            fail("helm", f"lint: {m.get('path')}: {m.get('error')}")
    for e in report.get("errors", []):
        fail("helm", f"lint: {e}")
    chart = helm.Chart.load(str(chart_dir))
    sets: dict[str, list[tuple[dict, str]]] = {}
    for name, values, ok in helm_cases():
        try:
            out = chart.render(values, name="rel", namespace="ns", is_install=True)
        except Exception as e:  # noqa: BLE001
            if ok:
                fail("helm", f"render [{name}]: {e}")
            continue
        if not ok:
            fail("helm", f"render [{name}]: rendered, but the chart must refuse these values")
            continue
        docs = []
        for path, text in sorted(out.items()):
            if path.endswith(".txt"):
                if not text.strip():
                    fail("helm", f"render [{name}]: {path} is empty")
                continue
            docs += [(d, f"helm[{name}] {path}") for d in load_docs(text, path)]
        sets[f"helm [{name}]"] = docs
    return sets


# ---------------------------------------------------------------- wiring


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


def mounted_config(docs, spec: dict, c: dict) -> tuple[str | None, str]:
    """The TOML text of the file the container passes with --config."""
    args = c.get("args", [])
    if "--config" not in args:
        return None, "no --config"
    path = args[args.index("--config") + 1]
    cms = by_kind(docs, "ConfigMap")
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    for m in c.get("volumeMounts", []):
        mp = m["mountPath"].rstrip("/") + "/"
        if path.startswith(mp) and "configMap" in vols.get(m["name"], {}):
            cm = cms.get(vols[m["name"]]["configMap"]["name"])
            if cm is None:
                return None, f"ConfigMap {vols[m['name']]['configMap']['name']} is not in the set"
            return (cm.get("data") or {}).get(path[len(mp):]), path
    return None, f"{path} is not on a mounted ConfigMap"


def port_of(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    return host, int(port)


def duration_s(v: str) -> float:
    m = re.fullmatch(r"(\d+)(ms|s|m)", v)
    if not m:
        return 0.0
    return int(m[1]) * {"ms": 0.001, "s": 1, "m": 60}[m[2]]


def check_wiring(sets: dict[str, list[tuple[dict, str]]]) -> None:
    baseline = policy_files("baseline")
    for set_name, docs in sets.items():
        for d, origin in docs:
            if d.get("kind") == "ConfigMap" and origin.startswith("deploy/k8s") \
                    and d["metadata"]["name"].endswith("policy"):
                if (d.get("data") or {}) != baseline:
                    fail("wiring", f"{origin}: policy ConfigMap differs from policies/baseline "
                                   "(regenerate it from the bundle)")
        for w, origin, spec in pod_specs(docs):
            wname = f"{set_name}: {w['kind']}/{w['metadata']['name']}"
            c = aimsgate_container(spec)
            if c is None:
                fail("wiring", f"{wname}: no container named aimsgate")
                continue
            text, where = mounted_config(docs, spec, c)
            if text is None:
                fail("wiring", f"{wname}: cannot find its config ({where})")
                continue
            try:
                cfg = tomllib.loads(text)
            except tomllib.TOMLDecodeError as e:
                fail("wiring", f"{wname}: {where}: not TOML: {e}")
                continue
            server = cfg.get("server", {})
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
            ahost, aport = port_of(server.get("admin_listen", "127.0.0.1:9090"))
            if ports.get("admin") != aport:
                fail("wiring", f"{wname}: admin port {ports.get('admin')} != admin_listen {aport}")
            if ahost in ("127.0.0.1", "localhost", "[::1]"):
                fail("wiring", f"{wname}: admin_listen on loopback: the kubelet cannot probe it")
            lhost, lport = port_of(server.get("listen", "127.0.0.1:8080"))
            if "proxy" in ports and (ports["proxy"] != lport or lhost.startswith("127.")):
                fail("wiring", f"{wname}: proxy port {ports['proxy']} vs listen {lhost}:{lport}")
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                pr = (c.get(probe) or {}).get("httpGet")
                if not pr:
                    fail("wiring", f"{wname}: no {probe}")
                    continue
                if pr.get("path") not in PROBE_PATHS or pr.get("port") not in ("admin", aport):
                    fail("wiring", f"{wname}: {probe} must hit /healthz or /readyz on the admin port")
            if (c.get("readinessProbe") or {}).get("httpGet", {}).get("path") != "/readyz":
                fail("wiring", f"{wname}: readinessProbe must use /readyz")
            grace = duration_s(server.get("shutdown_grace", "30s"))
            pre = ((c.get("lifecycle") or {}).get("preStop") or {}).get("sleep", {}).get("seconds", 0)
            tgp = spec.get("terminationGracePeriodSeconds", 30)
            if tgp < grace + pre:
                fail("wiring", f"{wname}: terminationGracePeriodSeconds {tgp} < preStop {pre} + "
                               f"shutdown_grace {grace:g}")
            if c in spec.get("initContainers", []) and c.get("restartPolicy") != "Always":
                fail("wiring", f"{wname}: aimsgate as an init container must be a native sidecar "
                               "(restartPolicy: Always), or the pod never gets past it")
            sc = c.get("securityContext") or {}
            psc = spec.get("securityContext") or {}
            if not sc.get("readOnlyRootFilesystem") or sc.get("allowPrivilegeEscalation", True):
                fail("wiring", f"{wname}: needs readOnlyRootFilesystem and no privilege escalation")
            if not (psc.get("runAsNonRoot") or sc.get("runAsNonRoot")):
                fail("wiring", f"{wname}: runAsNonRoot is not set")
            persistent = any("persistentVolumeClaim" in v for v in spec.get("volumes", [])) \
                or bool(w["spec"].get("volumeClaimTemplates"))
            if persistent and "fsGroup" in psc and psc.get("fsGroupChangePolicy") != "OnRootMismatch":
                fail("wiring", f"{wname}: fsGroup without fsGroupChangePolicy: OnRootMismatch "
                               "re-grants group access to signing.key (0600) on every mount")
            if w["kind"] == "Deployment" and w["spec"].get("replicas", 1) > 1:
                claims = [v for v in spec.get("volumes", []) if "persistentVolumeClaim" in v]
                if claims and not c.get("restartPolicy"):
                    fail("wiring", f"{wname}: several replicas would share one evidence volume")
            if w["kind"] == "Deployment" and any("persistentVolumeClaim" in v
                                                 for v in spec.get("volumes", [])):
                if (w["spec"].get("strategy") or {}).get("type") != "Recreate":
                    fail("wiring", f"{wname}: a Deployment on a PVC needs strategy Recreate "
                                   "(a rolling update starts a second writer on the same log)")


# ---------------------------------------------------------------- binary --check


def find_binary() -> Path | None:
    env = os.environ.get("AIMSGATE_BIN")
    if env:
        return Path(env)
    found = [p for p in (ROOT / "target/debug/aimsgate", ROOT / "target/release/aimsgate") if p.exists()]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


ABS_PATH = re.compile(r'"(/[^"]*)"')


def reroot_toml(text: str, root: Path) -> str:
    return ABS_PATH.sub(lambda m: '"' + str(root) + m[1] + '"', text)


def put(root: Path, path: str, content: str | bytes) -> Path:
    p = root / path.lstrip("/")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(content if isinstance(content, bytes) else content.encode())
    return p


def secret_data(s: dict) -> dict[str, str]:
    out = dict(s.get("stringData") or {})
    for k, v in (s.get("data") or {}).items():
        out[k] = base64.b64decode(v).decode()
    return out


def replay(binary: Path, label: str, args: list[str], env: dict[str, str], root: Path,
           config_path: str | None, bundle_id: str | None = None) -> None:
    """Run `aimsgate <args> --check` with absolute paths re-rooted under `root`; when the
    pod mounts a policy bundle, the bundle that loaded must be that one."""
    if config_path:
        cfg = root / config_path.lstrip("/")
        if not cfg.exists():
            fail("binary", f"{label}: --config {config_path} is not provided")
            return
        cfg.write_text(reroot_toml(cfg.read_text(), root))
    argv = [str(root) + a if a.startswith("/") else a for a in args]
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}
    r = run([str(binary), *argv, "--check"], env=full_env, cwd=root, timeout=60)
    if r.returncode != 0:
        fail("binary", f"{label}: `aimsgate {' '.join(args)} --check` exited {r.returncode}: "
                       f"{(r.stderr or r.stdout).strip()}")
    elif bundle_id and f"bundle {bundle_id} " not in r.stdout:
        fail("binary", f"{label}: the mounted policy bundle {bundle_id} was not the one loaded: "
                       f"{r.stdout.strip().splitlines()[:1]}")
    elif VERBOSE:
        print(f"binary: {label}:\n  " + "\n  ".join(r.stdout.strip().splitlines()))


def replay_pod(binary: Path, label: str, docs, workload: dict, spec: dict, c: dict) -> None:
    cms, secrets = by_kind(docs, "ConfigMap"), by_kind(docs, "Secret")
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    for vct in workload.get("spec", {}).get("volumeClaimTemplates", []):
        vols[vct["metadata"]["name"]] = {"name": vct["metadata"]["name"], "persistentVolumeClaim": {}}
    with tempfile.TemporaryDirectory(prefix="aimsgate-replay-") as t:
        root = Path(t)
        for m in c.get("volumeMounts", []):
            v, mp = vols.get(m["name"]), m["mountPath"]
            if v is None:
                fail("binary", f"{label}: volumeMount {m['name']} has no volume")
                continue
            data: dict[str, str] | None = None
            if "configMap" in v:
                ref = cms.get(v["configMap"]["name"])
                data = (ref or {}).get("data") if ref else None
                src = v["configMap"]
            elif "secret" in v:
                ref = secrets.get(v["secret"]["secretName"])
                data = secret_data(ref) if ref else None
                src = v["secret"]
            else:  # PVC, emptyDir: an empty writable directory
                (root / mp.lstrip("/")).mkdir(parents=True, exist_ok=True)
                continue
            if data is None:
                if src.get("optional"):
                    continue
                else:
                    fail("binary", f"{label}: volume {m['name']} refers to an object not in the set")
                    continue
            items = src.get("items") or [{"key": k, "path": k} for k in data]
            for it in items:
                if it["key"] not in data:
                    fail("binary", f"{label}: volume {m['name']}: key {it['key']} missing")
                    continue
                if m.get("subPath"):
                    if it["path"] == m["subPath"]:
                        put(root, mp, data[it["key"]])
                else:
                    put(root, f"{mp}/{it['path']}", data[it["key"]])
        env: dict[str, str] = {}
        for e in c.get("env", []):
            if "value" in e:
                env[e["name"]] = e["value"]
            elif "secretKeyRef" in (e.get("valueFrom") or {}):
                ref = e["valueFrom"]["secretKeyRef"]
                s = secrets.get(ref["name"])
                if s is not None and ref["key"] in secret_data(s):
                    env[e["name"]] = secret_data(s)[ref["key"]]
                elif not ref.get("optional"):
                    fail("binary", f"{label}: env {e['name']}: Secret {ref['name']} key "
                                   f"{ref['key']} is not in the set and not optional")
            else:
                env[e["name"]] = "placeholder"
        args = list(c.get("command", [])[1:] if c.get("command") else []) + list(c.get("args", []))
        cfg = args[args.index("--config") + 1] if "--config" in args else None
        bundle_id = None
        for b in root.rglob("bundle.toml"):
            bundle_id = tomllib.loads(b.read_text()).get("id")
        replay(binary, label, args, env, root, cfg, bundle_id)


def check_binary(sets) -> None:
    binary = find_binary()
    if binary is None:
        notes.append("binary: skipped `serve --check` replays: no target/debug/aimsgate or "
                     "target/release/aimsgate (build first, or set AIMSGATE_BIN)")
        return
    for set_name, docs in sets.items():
        for w, _, spec in pod_specs(docs):
            c = aimsgate_container(spec)
            if c is not None:
                replay_pod(binary, f"{set_name}: {w['kind']}/{w['metadata']['name']}", docs, w, spec, c)
    # The image: COPY sources land at their destinations; the default command runs.
    df = dockerfile_runtime()
    with tempfile.TemporaryDirectory(prefix="aimsgate-replay-") as t:
        root = Path(t)
        for src, dst in df["copies"]:
            s = ROOT / src
            if s.is_dir():
                shutil.copytree(s, root / dst.lstrip("/"))
            elif s.exists():
                put(root, dst, s.read_bytes())
            else:
                fail("docker", f"COPY {src}: no such file in the repository")
        (root / "var/lib/aimsgate").mkdir(parents=True, exist_ok=True)
        args = df["cmd"]
        cfg = args[args.index("--config") + 1] if "--config" in args else None
        replay(binary, "deploy/Dockerfile default command", args, {}, root, cfg)
    # The systemd unit: its config installed, its credentials loaded.
    unit = parse_unit(DEPLOY / "systemd/aimsgate.service")
    with tempfile.TemporaryDirectory(prefix="aimsgate-replay-") as t:
        root = Path(t)
        put(root, "/etc/aimsgate/aimsgate.toml", (DEPLOY / "systemd/aimsgate.toml").read_text())
        for cred in unit.get("LoadCredential", []):
            put(root, f"/run/credentials/aimsgate.service/{cred.split(':', 1)[0]}", "placeholder")
        argv = shlex.split(unit["ExecStart"][0])[1:]
        cfg = argv[argv.index("--config") + 1] if "--config" in argv else None
        replay(binary, "deploy/systemd/aimsgate.service ExecStart", argv, {}, root, cfg)


# ---------------------------------------------------------------- docker


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


def check_docker() -> None:
    r = run([tool("hadolint"), str(DEPLOY / "Dockerfile")])
    if r.returncode != 0:
        fail("docker", f"hadolint: {(r.stdout + r.stderr).strip()}")
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
    user = re.findall(r"^USER\s+(\S+)", (DEPLOY / "Dockerfile").read_text(), re.M)
    if not user or not re.fullmatch(r"[1-9]\d*(:\d+)?", user[-1]):
        fail("docker", "the runtime stage must end with a numeric non-root USER")


# ---------------------------------------------------------------- systemd


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
        elif VERBOSE:
            print("systemd: " + r.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- shell


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


# ---------------------------------------------------------------- otel


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


# ---------------------------------------------------------------- self-test

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
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

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
            r = run([sys.executable, str(Path(__file__).resolve())], env=env, timeout=120)
            if r.returncode == 0 or f"[{check}]" not in r.stderr:
                return (f"{path}: {old!r} -> {new!r} was not caught by [{check}] "
                        f"(exit {r.returncode}): {r.stderr.strip()[-300:]}")
        return None

    with ThreadPoolExecutor(max_workers=4) as pool:
        missed = [x for x in pool.map(one, MUTATIONS) if x]
    for x in missed:
        print(f"validate_deploy self-test: FAIL {x}", file=sys.stderr)
    if VERBOSE or missed:
        print(f"validate_deploy self-test: {len(MUTATIONS) - len(missed)} passed, {len(missed)} failed")
    return 1 if missed else 0


# ---------------------------------------------------------------- main


def main() -> int:
    global VERBOSE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--self-test", action="store_true",
                    help="break the deployment files one way at a time (in a copy) and expect each "
                         "break to be reported")
    a = ap.parse_args()
    VERBOSE = a.verbose
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
    if VERBOSE:
        print(f"validate_deploy: OK ({len(sets)} manifest sets)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
