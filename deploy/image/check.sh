#!/usr/bin/env bash
# Builds the OCI image (deploy/image/build.sh) and runs it, as scripts/test.sh does in CI:
#   1. its config: labels, numeric non-root USER, the data dir volume, entrypoint, ports;
#   2. its root file system holds exactly the intended files, all root-owned but the data dir;
#   3. podman runs it with a read-only root file system, no network and the data dir as a
#      volume: `--version`; the default command with `--check` (its data dir must be the
#      writable volume); a write outside the volume fails with EROFS;
#   4. the default command serves, read-only, on loopback ports: /readyz answers, the proxy
#      answers a call without credential with its 401; it stops on SIGTERM with status 0 and
#      `verify` (run from the image too) accepts the log it wrote to the volume.
# Needs buildah, podman and runc (Debian packages; .ci/run installs them) and python3. Fails,
# never skips, when one is missing. Quiet but for one line per step.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/image/common.sh
for t in buildah podman runc python3; do
  command -v "$t" >/dev/null || { echo "image check: $t not found (apt-get install buildah podman runc)" >&2; exit 1; }
done

out=$(deploy/image/build.sh)
echo "$out"
image=$(awk '/^built /{print $2}' <<<"$out")
bin="${AIMSGATE_BIN:-target/release/aimsgate}"
version=$("$bin" --version | awk '{print $2}')
work=$(mktemp -d)
name="aimsgate-check-$$"
# runc, not crun: Debian's crun 1.8 refuses hosts with hybrid cgroup v1/v2 (CI's container is
# one). As root, podman raises the container's RLIMIT_NOFILE/NPROC by default, which needs
# CAP_SYS_RESOURCE that CI's container lacks: ask for limits at or below the current ones.
# --tmpdir: podman's run state too stays in target/oci, apart from any other podman here.
podman=(podman "${STORE[@]}" --tmpdir "$OCI_DIR/run/libpod" --runtime runc --cgroup-manager cgroupfs
        --events-backend file)
lim() { local h; h=$(ulimit -H "$1"); if [ "$h" = unlimited ] || [ "$h" -ge 4096 ]; then echo 4096; else echo "$h"; fi; }
run=(run --read-only --read-only-tmpfs=false -v "$work/data:/var/lib/aimsgate"
     --ulimit "nofile=$(lim -n):$(lim -n)" --ulimit "nproc=$(lim -u):$(lim -u)")
once=("${run[@]}" --rm --network none)
cleanup() {
  "${podman[@]}" rm -f "$name" >/dev/null 2>&1 || true
  [ -z "${ctr:-}" ] || buildah "${STORE[@]}" rm "$ctr" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "image check: FAIL $*" >&2; exit 1; }

# 1. The image config.
buildah "${STORE[@]}" inspect --type image "$image" >"$work/inspect.json"
python3 - "$work/inspect.json" "$version" "$(git rev-parse HEAD)" <<'EOF' || fail "image config (above)"
import json, sys
cfg = json.load(open(sys.argv[1]))["OCIv1"]["config"]
labels = cfg.get("Labels") or {}
want = {"title": "aimsgate", "version": sys.argv[2], "licenses": "Apache-2.0"}
bad = [f"label {k}={labels.get('org.opencontainers.image.' + k)!r}, want {v!r}"
       for k, v in want.items() if labels.get("org.opencontainers.image." + k) != v]
bad += [f"label {k} missing" for k in ("created", "description")
        if labels.get("org.opencontainers.image." + k, "unknown") in ("", "unknown")]
revision = labels.get("org.opencontainers.image.revision", "")
if revision.removesuffix("-dirty") != sys.argv[3]:
    bad.append(f"label revision={revision!r}, want {sys.argv[3]!r} (HEAD)")
checks = {"User": "65532:65532", "Entrypoint": ["/usr/local/bin/aimsgate"],
          "Cmd": ["serve", "--config", "/etc/aimsgate/aimsgate.toml"],
          "Volumes": {"/var/lib/aimsgate": {}}, "ExposedPorts": {"8080/tcp": {}, "9090/tcp": {}}}
bad += [f"{k} is {cfg.get(k)!r}, want {v!r}" for k, v in checks.items() if cfg.get(k) != v]
for b in bad:
    print("image check:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
echo "image check: config OK (labels, USER 65532:65532, VOLUME /var/lib/aimsgate, EXPOSE 8080 9090)"

# 2. The root file system, read from the image itself: exactly these paths (the libraries are the
# ones ldd reports for the binary), every one root-owned but the data dir, none group- or
# world-writable.
ctr=$(buildah "${STORE[@]}" from --quiet "$image")
rootfs=$(buildah "${STORE[@]}" mount "$ctr")
with_parents() { # absolute paths on stdin -> each, and every directory above it
  while read -r p; do while [ "$p" != / ]; do echo "$p"; p=$(dirname "$p"); done; done
}
{
  printf '%s\n' /etc/passwd /etc/group /etc/nsswitch.conf /etc/aimsgate/aimsgate.toml \
    /usr/local/bin/aimsgate /var/lib/aimsgate
  git ls-files policies | sed 's|^|/etc/aimsgate/|'
  shared_objects "$bin"
} | with_parents | sort -u >"$work/want"
(cd "$rootfs" && find . -mindepth 1 | sed 's|^\.||' | sort) >"$work/have"
diff -u "$work/want" "$work/have" >&2 || fail "the image's files differ from the intended ones (- missing, + extra)"
odd=$(cd "$rootfs" && find . -mindepth 1 \( ! -uid 0 -o ! -gid 0 -o -perm /022 \) ! -path ./var/lib/aimsgate -printf '%p %U:%G %m\n')
[ -z "$odd" ] || fail "not root-owned or writable by others: $odd"
[ "$(stat -c %u:%g "$rootfs/var/lib/aimsgate")" = 65532:65532 ] || fail "/var/lib/aimsgate is not owned by 65532"
cmp -s "$bin" "$rootfs/usr/local/bin/aimsgate" || fail "the image's binary is not $bin"
cmp -s deploy/aimsgate.container.toml "$rootfs/etc/aimsgate/aimsgate.toml" || fail "config is not deploy/aimsgate.container.toml"
grep -qx 'data_dir = "/var/lib/aimsgate"' "$rootfs/etc/aimsgate/aimsgate.toml" || fail "the config's data_dir is not the volume"
buildah "${STORE[@]}" rm "$ctr" >/dev/null
ctr=
echo "image check: root file system OK ($(wc -l <"$work/have") paths: binary, $(shared_objects "$bin" | wc -l) shared objects (libraries, loader), config, policies, user entries, data dir)"

# 3. Run it: read-only root, the data dir a volume owned by the image's user.
mkdir -p "$work/data"
chown 65532:65532 "$work/data"
v=$("${podman[@]}" "${once[@]}" "$image" --version)
[ "$v" = "aimsgate $version" ] || fail "--version printed '$v'"
mapfile -t cmd < <(python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["OCIv1"]["config"]["Cmd"]))' "$work/inspect.json")
c=$("${podman[@]}" "${once[@]}" "$image" "${cmd[@]}" --check) || fail "default command --check: $c"
grep -q "data dir /var/lib/aimsgate " <<<"$c" || fail "serve --check did not use the volume: $c"
# The root file system really is read-only: even root cannot make a data dir outside the volume.
if e=$("${podman[@]}" "${once[@]}" --user 0:0 "$image" "${cmd[@]}" --check --data-dir /srv/data 2>&1); then
  fail "a data dir on the root file system was writable: $e"
fi
grep -q "Read-only file system" <<<"$e" || fail "writing outside the volume failed, but not with EROFS: $e"
echo "image check: runs read-only: '$v'; default command --check OK; root file system refuses writes"

# 4. Serve, with both ports published on free loopback ports.
get() { # URL -> "STATUS BODY", or nothing while the port does not answer
  python3 - "$1" <<'EOF'
import sys, urllib.error, urllib.request
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=2)
    print(r.status, r.read().decode(errors="replace")[:300])
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode(errors="replace")[:300])
except OSError:
    pass
EOF
}
"${podman[@]}" "${run[@]}" -d --name "$name" -p 127.0.0.1::8080 -p 127.0.0.1::9090 "$image" >/dev/null
admin=$("${podman[@]}" port "$name" 9090/tcp)
proxy=$("${podman[@]}" port "$name" 8080/tcp)
ready=
for _ in $(seq 100); do
  ready=$(get "http://$admin/readyz")
  [ "${ready%% *}" = 200 ] && break
  sleep 0.2
done
[ "${ready%% *}" = 200 ] || fail "/readyz on $admin: '$ready'; logs: $("${podman[@]}" logs "$name" 2>&1)"
call=$(get "http://$proxy/v1/models")
[[ "$call" == "401 "*unauthenticated* ]] || fail "GET /v1/models without credential: '$call'"
"${podman[@]}" stop -t 40 "$name" >/dev/null
status=$("${podman[@]}" inspect --format '{{.State.ExitCode}}' "$name")
[ "$status" = 0 ] || fail "serve exited $status: $("${podman[@]}" logs "$name" 2>&1)"
"${podman[@]}" rm "$name" >/dev/null
[ -e "$work/data/signing.key" ] || fail "serve wrote no signing key to the volume"
vr=$("${podman[@]}" "${once[@]}" "$image" verify --data-dir /var/lib/aimsgate 2>&1) || fail "verify: $vr"
echo "image check: served read-only (/readyz 200, unauthenticated call 401), stopped on SIGTERM with status 0; verify: ${vr%%;*}"
