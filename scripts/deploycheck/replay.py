"""Replays of `aimsgate serve ... --check`: each pod of the manifests and Helm renders, the
container image's default command and the systemd unit's ExecStart, with their ConfigMaps,
Secrets, env, image files and credentials materialised under a temp root and absolute paths
re-rooted there. Needs a built binary; says so and skips without one."""
from __future__ import annotations

import base64
import os
import re
import shlex
import shutil
import tempfile
import tomllib
from pathlib import Path

from .common import (DEPLOY, OPTS, ROOT, aimsgate_container, by_kind, fail, find_binary, notes,
                     pod_specs, run)
from .hosts import dockerfile_runtime, parse_unit

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
    elif OPTS["verbose"]:
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
