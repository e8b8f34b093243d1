#!/usr/bin/env bash
# The offline Demo (./build.sh --target=Demo): everything a newcomer needs to see the pipeline work, with no
# internet: starts the loopback mirror and registry (tests/e2e/mirror.sh) with content for every arch the inventory
# names, builds the bundles for the inventory against them with upstream switched off, installs one node into a
# temporary root with install.sh --root, runs install.sh verify there, prints where everything is, and stops the
# servers it started (by PID), also when a step fails.
#
# Usage: tests/e2e/demo.sh [BUILD_ARGS...]   (extra arguments go to the Bundle build, e.g. --verbosity=diagnostic)
# Environment (the Demo target sets them from --cluster and --node; the defaults are the demo inventory's):
#   KA_DEMO_INVENTORY  inventory file (default tests/fixtures/e2e/demo-cluster.yaml)
#   KA_DEMO_CLUSTER    its cluster.name (default demo-offline)
#   KA_DEMO_NODE       the node to install (default k8s-01)   KA_DEMO_NODE_ARCH  its arch (default amd64)
#   KA_DEMO_ARCHES     every node arch of the inventory, comma-separated (default amd64)
#   KA_DEMO_K8S        cluster.kubernetesVersion (default 1.36.3)
#   KA_DEMO_ARTIFACTS  the build's artifacts directory (default REPO/artifacts)
#   KA_DEMO_STATE      the build's state directory (default REPO/state)
#   KA_DEMO_ROOT       where to install (default: a new /tmp/kube-airgap-demo-root.XXXXXX, kept)
#   KA_BUILD_DLL       the build host to run (default: ./build.sh, which compiles it first)
#   KA_DEMO_MIRROR     a mirror directory already running (./build.sh --target=Mirror): used, not started or stopped
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
inventory="${KA_DEMO_INVENTORY:-$repo/tests/fixtures/e2e/demo-cluster.yaml}"
cluster="${KA_DEMO_CLUSTER:-demo-offline}"
node="${KA_DEMO_NODE:-k8s-01}"
node_arch="${KA_DEMO_NODE_ARCH:-amd64}"
arches="${KA_DEMO_ARCHES:-amd64}"
k8s="${KA_DEMO_K8S:-1.36.3}"
artifacts="${KA_DEMO_ARTIFACTS:-$repo/artifacts}"
state="${KA_DEMO_STATE:-$repo/state}"

say() { echo "[demo] $*"; }
# shellcheck disable=SC2317  # invoked by the EXIT trap
on_exit() {
  local rc=$?
  if [ -z "${KA_DEMO_MIRROR:-}" ] && [ -n "$mirror" ]; then
    "$here/mirror.sh" stop "$mirror" || true
    rm -rf "$mirror"
  fi
  [ "$rc" -eq 0 ] || say "failed (exit $rc)$([ -n "${KA_DEMO_MIRROR:-}" ] || echo "; the servers are stopped")"
  exit "$rc"
}

start_mirror() {
  if [ -n "${KA_DEMO_MIRROR:-}" ]; then
    mirror="$KA_DEMO_MIRROR"
    local pid arch
    pid="$(cat "$mirror/http.pid" 2>/dev/null || true)"
    if [ ! -f "$mirror/build-args" ] || [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
      say "no mirror is running in $mirror: start it with ./build.sh --target=Mirror --mirror_dir=$mirror"; exit 1
    fi
    for arch in ${arches//,/ }; do
      grep -qw "$arch" "$mirror/www/.complete" || {
        say "the mirror in $mirror serves $(cat "$mirror/www/.complete") but the inventory has $arch nodes: restart it with ./build.sh --target=Mirror --cluster=$inventory"
        exit 1
      }
    done
    say "1/4 using the running mirror in $mirror"
    return
  fi
  mirror="$(mktemp -d /tmp/kube-airgap-demo-mirror.XXXXXX)"
  say "1/4 starting the loopback mirror and registry for $arches (no internet is used from here on)"
  "$here/mirror.sh" start "$mirror" "$k8s" "$arches"
}

build() { # ARGS...: the build host, as the user's ./build.sh would run it
  if [ -n "${KA_BUILD_DLL:-}" ]; then
    (cd "$repo" && dotnet "$KA_BUILD_DLL" --working="$repo" "$@")
  else
    (cd "$repo" && ./build.sh "$@")
  fi
}

mirror=
trap on_exit EXIT
started=$(date +%s)
start_mirror
mapfile -t mirror_args <"$mirror/build-args"

say "2/4 Bundle --cluster=$inventory (pins: the mirror's test pins, upstream off)"
build --target=Bundle --cluster="$inventory" "${mirror_args[@]}" "$@"

tarball="$(find "$artifacts/$cluster" -maxdepth 1 -name "$cluster-$node-$node_arch.tar.gz" -newer "$mirror/build-args" | head -n1)"
[ -n "$tarball" ] || { say "no bundle $cluster-$node-$node_arch.tar.gz was written under $artifacts/$cluster"; exit 1; }

root="${KA_DEMO_ROOT:-$(mktemp -d /tmp/kube-airgap-demo-root.XXXXXX)}"
mkdir -p "$root/.bundle"
say "3/4 installing $node ($node_arch) into $root (install.sh --root: files only, nothing is started)"
tar -xzf "$tarball" -C "$root/.bundle"
bundle_dir="$root/.bundle/$cluster-$node"
pubkey="$artifacts/$cluster/$cluster-bundle-signing.pub"
# --test-bundle: the mirror's pins (Debian's containerd 1.6) make a test bundle (docs/e2e.md)
"$bundle_dir/install.sh" install --root "$root" --yes --test-bundle --pubkey "$pubkey"

say "4/4 install.sh verify --root $root"
"$bundle_dir/install.sh" verify --root "$root"

cat <<DONE

[demo] done in $(( $(date +%s) - started )) s. Where everything is:
  bundles        $(dirname "$tarball")/
  node tarball   $tarball
  unpacked       $bundle_dir/  (install.sh, manifest.json, SHA256SUMS, bin/, etc/, pki/, images/)
  installed root $root/  (try: find $root/etc/systemd/system $root/etc/kubernetes | head)
  cluster state  $state/$cluster/  (CA keys and secrets, reused by the next build: back it up)
$([ -n "${KA_DEMO_MIRROR:-}" ] && echo "The mirror in $mirror is still running." || echo "The mirror and registry it started are stopped.") Remove the installed root with: rm -rf $root
DONE
