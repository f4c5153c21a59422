#!/usr/bin/env bash
# Builds the aimsgate OCI image without Docker: buildah, FROM scratch (deploy/image/Containerfile),
# holding only the release binary, the shared libraries `ldd` reports for it plus the dynamic
# loader, the container config and policy bundles, user entries for uid 65532 and an empty data
# dir. Run from anywhere; needs buildah (Debian: apt-get install buildah).
#
#   deploy/image/build.sh     # → image localhost/aimsgate:<version> in target/oci/storage
#                             #   and the archive target/oci/aimsgate-<version>.oci.tar
#
# The binary is the README's `cargo build --release --locked` (run every time: a no-op when
# target/release/aimsgate is current, so the image always matches the tree), or $AIMSGATE_BIN.
# Labels: version from the binary, revision from git (`-dirty` when tracked files differ),
# created = now or $SOURCE_DATE_EPOCH, source = $IMAGE_SOURCE or the git remote `origin` (a
# network URL, never with credentials; left out when there is none). Prints the image name, the
# archive's size and how long the image took.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/image/common.sh
command -v buildah >/dev/null || { echo "build.sh: buildah not found (apt-get install buildah)" >&2; exit 1; }

bin="${AIMSGATE_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release --locked
  bin=target/release/aimsgate
fi
start=$SECONDS
version=$("$bin" --version | awk '{print $2}')
image="localhost/aimsgate:$version"

# The build context (removed once built): rootfs/ is copied to / as root-owned files, data/
# becomes the data dir.
ctx="$OCI_DIR/context"
rm -rf "$ctx"
umask 022
# /var/lib exists in rootfs/ so that only the data dir itself is created owned by 65532.
mkdir -p "$ctx/rootfs/usr/local/bin" "$ctx/rootfs/etc/aimsgate" "$ctx/rootfs/var/lib" "$ctx/data"
install -m 0755 "$bin" "$ctx/rootfs/usr/local/bin/aimsgate"
# The libraries and the loader at the paths ldd names, as regular files (symlinks resolved).
mapfile -t libs < <(shared_objects "$bin")
[ ${#libs[@]} -gt 0 ] || { echo "build.sh: ldd found no libraries for $bin (static binary?)" >&2; exit 1; }
for lib in "${libs[@]}"; do
  mkdir -p "$ctx/rootfs$(dirname "$lib")"
  cp -L "$lib" "$ctx/rootfs$lib"
done
cat >"$ctx/rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
aimsgate:x:65532:65532:aimsgate:/var/lib/aimsgate:/sbin/nologin
EOF
cat >"$ctx/rootfs/etc/group" <<'EOF'
root:x:0:
aimsgate:x:65532:
EOF
# /etc/hosts first (Kubernetes hostAliases), then DNS; glibc's files and dns modules are built in.
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$ctx/rootfs/etc/nsswitch.conf"
cp deploy/aimsgate.container.toml "$ctx/rootfs/etc/aimsgate/aimsgate.toml"
# The bundles as committed (tracked files only: nothing local slips into the image).
git ls-files -z policies | while IFS= read -r -d '' f; do
  install -D -m 0644 "$f" "$ctx/rootfs/etc/aimsgate/$f"
done

revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ "$revision" != unknown ] && ! git diff --quiet HEAD -- 2>/dev/null; then
  revision="$revision-dirty"
fi
created=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%dT%H:%M:%SZ)
# A network URL only (a clone of a local path says nothing to the image's users), without any
# user:token@ it may carry.
source_url="${IMAGE_SOURCE:-$(git remote get-url origin 2>/dev/null | grep -E '^[a-z+]+://[^/]' |
  sed -E 's#://[^/@]*@#://#' || true)}"
extra=()
[ -z "$source_url" ] || extra+=(--label "org.opencontainers.image.source=$source_url")
[ -z "${SOURCE_DATE_EPOCH:-}" ] || extra+=(--timestamp "$SOURCE_DATE_EPOCH")

buildah "${STORE[@]}" bud --quiet --identity-label=false \
  --build-arg VERSION="$version" --build-arg REVISION="$revision" --build-arg CREATED="$created" \
  "${extra[@]}" -f deploy/image/Containerfile -t "$image" "$ctx" >/dev/null
rm -rf "$ctx"
# A rebuild under the same tag leaves the old image dangling; vfs keeps every layer in full.
buildah "${STORE[@]}" rmi --prune >/dev/null 2>&1 || true
archive="$OCI_DIR/aimsgate-$version.oci.tar"
rm -f "$archive"
buildah "${STORE[@]}" push --quiet "$image" "oci-archive:$archive:aimsgate:$version"
echo "built $image ($(du -h "$archive" | cut -f1) as $archive) in $((SECONDS - start))s after the release build"
