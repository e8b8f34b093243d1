#!/usr/bin/env bash
# Installs the Debian packages the test suite runs for real (idempotent; safe to re-run).
#   etcd, containerd/runc, docker-registry, skopeo/umoci, nginx + stream module, CNI plugins,
#   systemd-analyze, shellcheck, openssl, qemu/debootstrap for the VM end-to-end test,
#   and the nginx release tarball that Debian's source package carries byte for byte.
# Environment: KUBE_AIRGAP_TEST_DEPS_DIR (where fetched sources go; default /var/cache/kube-airgap-test)
set -euo pipefail

packages=(
  etcd-server etcd-client
  containerd runc containernetworking-plugins
  docker-registry apache2-utils skopeo umoci busybox-static
  nginx libnginx-mod-stream
  shellcheck systemd openssl curl ca-certificates iproute2 nftables
  build-essential
  qemu-system-x86 qemu-utils debootstrap e2fsprogs
)
deps_dir="${KUBE_AIRGAP_TEST_DEPS_DIR:-/var/cache/kube-airgap-test}"
nginx_src_version="1.22.1-9+deb12u9"
nginx_orig="nginx_1.22.1.orig.tar.gz"
nginx_orig_sha256="9ebb333a9e82b952acd3e2b4aeb1d4ff6406f72491bab6cd9fe69f0dea737f31"

info() { echo "[install-test-deps] $*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing_packages() {
  local p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

install_packages() {
  local missing
  mapfile -t missing < <(missing_packages)
  if [ "${#missing[@]}" -eq 0 ]; then
    info "all ${#packages[@]} packages present"
    return
  fi
  info "installing: ${missing[*]}"
  as_root apt-get update -qq
  # the daemons are started by the tests themselves, never by the package scripts
  echo exit 101 | as_root tee /usr/sbin/policy-rc.d >/dev/null
  as_root chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  as_root rm -f /usr/sbin/policy-rc.d
}

ensure_deb_src() {
  if grep -rqs '^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/ \
     || grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/; then
    return
  fi
  info "adding deb-src entries"
  if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
    for f in /etc/apt/sources.list.d/*.sources; do
      as_root sed -i 's/^Types: deb$/Types: deb deb-src/' "$f"
    done
  fi
  if [ -f /etc/apt/sources.list ] && grep -q '^deb ' /etc/apt/sources.list; then
    grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' | as_root tee /etc/apt/sources.list.d/kube-airgap-src.list >/dev/null
  fi
  as_root apt-get update -qq
}

fetch_nginx_source() {
  local target="$deps_dir/$nginx_orig"
  if [ -f "$target" ] && echo "$nginx_orig_sha256  $target" | sha256sum -c --quiet - 2>/dev/null; then
    info "nginx source present: $target"
    return
  fi
  ensure_deb_src
  as_root mkdir -p "$deps_dir"
  info "downloading nginx=$nginx_src_version source"
  (cd "$deps_dir" && as_root apt-get source --download-only -qq "nginx=$nginx_src_version" >/dev/null)
  echo "$nginx_orig_sha256  $target" | sha256sum -c --quiet -
  info "nginx source verified: $target"
}

{
  install_packages
  fetch_nginx_source
}
