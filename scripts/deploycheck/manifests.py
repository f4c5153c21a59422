"""Kubernetes manifests and the Helm chart: yamllint, strict schema validation against the
Kubernetes JSON schemas bundled in kubernetes-validate, offline Helm render and lint through
helm-python-sdk (libhelm_c), and the wiring between each pod and the config it mounts."""
from __future__ import annotations

import tomllib

from .common import (DEPLOY, aimsgate_container, by_kind, duration_s, fail, load_docs,
                     pod_specs, policy_files, rel, run, tool)

K8S_VERSION = "1.33.0"  # validated against this Kubernetes (the manifests need 1.30+)
PROBE_PATHS = {"/healthz", "/readyz"}


def check_yaml() -> None:
    r = run([tool("yamllint"), "-c", str(DEPLOY / ".yamllint.yaml"), "--strict",
             "-f", "parsable", str(DEPLOY)])
    if r.returncode != 0:
        fail("yaml", (r.stdout + r.stderr).strip())


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
team-openai = { file = "/etc/aimsgate/secrets/team-openai-key", upstream = "openai" }

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
