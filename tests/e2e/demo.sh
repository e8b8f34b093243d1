#!/usr/bin/env bash
# The offline Demo (./build.sh --target=Demo): everything a newcomer needs to see the pipeline work, with no
# internet: starts the loopback mirror and registry (tests/e2e/mirror.sh), builds the bundles for
# tests/fixtures/e2e/demo-cluster.yaml against them with upstream switched off, installs node k8s-01 into a
# temporary root with install.sh --root, runs install.sh verify there, prints where everything is, and stops
# the servers it started (by PID), also when a step fails.
#
# Usage: tests/e2e/demo.sh [BUILD_ARGS...]   (extra arguments go to ./build.sh, e.g. --verbosity=diagnostic)
# Environment: KA_DEMO_ROOT  where to install (default: a new /tmp/kube-airgap-demo-root.XXXXXX, kept)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
inventory="$repo/tests/fixtures/e2e/demo-cluster.yaml"
cluster=demo-offline
node=k8s-01

say() { echo "[demo] $*"; }
mirror="$(mktemp -d /tmp/kube-airgap-demo-mirror.XXXXXX)"
# shellcheck disable=SC2317  # invoked by the EXIT trap
on_exit() {
  local rc=$?
  "$here/mirror.sh" stop "$mirror" || true
  rm -rf "$mirror"
  [ "$rc" -eq 0 ] || say "failed (exit $rc); the servers are stopped"
  exit "$rc"
}
trap on_exit EXIT

started=$(date +%s)
say "1/4 starting the loopback mirror and registry (no internet is used from here on)"
"$here/mirror.sh" start "$mirror"
mapfile -t mirror_args <"$mirror/build-args"

say "2/4 ./build.sh --target=Bundle --cluster=${inventory#"$repo"/} (pins: the mirror's test pins, upstream off)"
(cd "$repo" && ./build.sh --target=Bundle --cluster="$inventory" "${mirror_args[@]}" "$@")

tarball="$(find "$repo/artifacts" -name "$cluster-$node-amd64.tar.gz" -newer "$mirror/build-args" | head -n1)"
[ -n "$tarball" ] || { say "no bundle $cluster-$node-amd64.tar.gz was written under $repo/artifacts"; exit 1; }

root="${KA_DEMO_ROOT:-$(mktemp -d /tmp/kube-airgap-demo-root.XXXXXX)}"
mkdir -p "$root/.bundle"
say "3/4 installing $node into $root (install.sh --root: files only, nothing is started)"
tar -xzf "$tarball" -C "$root/.bundle"
bundle_dir="$root/.bundle/$cluster-$node"
"$bundle_dir/install.sh" install --root "$root" --yes

say "4/4 install.sh verify --root $root"
"$bundle_dir/install.sh" verify --root "$root"

cat <<EOF

[demo] done in $(( $(date +%s) - started )) s. Where everything is:
  bundles        $(dirname "$tarball")/
  node tarball   $tarball
  unpacked       $bundle_dir/  (install.sh, manifest.json, SHA256SUMS, bin/, etc/, pki/, images/)
  installed root $root/  (try: find $root/etc/systemd/system $root/etc/kubernetes | head)
  cluster state  $repo/state/$cluster/  (CA keys and secrets, reused by the next build)
The mirror and registry it started are stopped. Remove the installed root with: rm -rf $root
EOF
