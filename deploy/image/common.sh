# Sourced by deploy/image/build.sh and check.sh (from the repository root).
# shellcheck shell=bash

# Where the image is kept: a storage of its own under target/oci (not /var/lib/containers), so
# that a build touches no other image store on the machine; the `vfs` driver, because it needs
# neither overlayfs nor fuse (CI runs inside a container). buildah and podman both take these.
OCI_DIR="$PWD/target/oci"
# shellcheck disable=SC2034 # read by the scripts that source this file
STORE=(--root "$OCI_DIR/storage" --runroot "$OCI_DIR/run" --storage-driver vfs)
# No namespaces or runtime needed to run the build's steps (a FROM scratch build runs none).
export BUILDAH_ISOLATION=chroot

# The shared objects a binary loads: each library ldd resolves (`name => /path`) and the loader
# (the line that is a bare path); not the vDSO, which the kernel provides.
shared_objects() {
  ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'
}
