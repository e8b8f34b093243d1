#!/usr/bin/env bash
# Installs the Debian packages the test suite runs for real (idempotent; safe to re-run).
#   etcd, containerd/runc, docker-registry, skopeo/umoci, nginx + stream module, CNI plugins,
#   systemd-analyze, shellcheck, openssl, qemu/debootstrap for the VM end-to-end test, ansible-core (the generated
#   rollout playbook is run by the tests and by the VM test's ansible scenario),
#   the nginx release tarball that Debian's source package carries byte for byte, and, for the arm64 fixtures,
#   Debian's arm64 .deb files of etcd, containerd, runc, the CNI plugins and busybox-static (downloaded with a
#   private apt state, not installed: dpkg's architectures stay as they are) plus the aarch64 cross compiler.
# Usage: tests/install-test-deps.sh [--for=demo]   (--for=demo: only what the loopback mirror and the Demo need)
# Environment: KUBE_AIRGAP_TEST_DEPS_DIR (where fetched sources go; default /var/cache/kube-airgap-test)
set -euo pipefail

# what the loopback mirror (tests/e2e/mirror.sh) and the Demo need
demo_packages=(
  etcd-server etcd-client
  containerd runc containernetworking-plugins
  docker-registry skopeo umoci busybox-static
  openssl curl ca-certificates python3 gnupg
  build-essential gcc-aarch64-linux-gnu libc6-dev-arm64-cross
)
packages=(
  "${demo_packages[@]}"
  apache2-utils
  nginx libnginx-mod-stream
  shellcheck systemd iproute2 nftables
  ansible-core openssh-client
  qemu-system-x86 qemu-utils debootstrap e2fsprogs xfsprogs
)
# arm64 stand-ins for the mirror: Debian's own arm64 builds, same versions as the amd64 packages above
arm64_debs=(etcd-server etcd-client containerd runc containernetworking-plugins busybox-static)
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

# fetch_arm64_debs: Debian's arm64 .debs into DEPS_DIR/arm64, through an apt state of their own (lists and cache
# under DEPS_DIR/apt-arm64, the sources of /etc/apt/sources.list.d), so the host's dpkg architectures are untouched.
fetch_arm64_debs() {
  local target="$deps_dir/arm64" state="$deps_dir/apt-arm64" p missing=()
  for p in "${arm64_debs[@]}"; do
    compgen -G "$target/${p}_*_arm64.deb" >/dev/null || missing+=("$p")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    info "arm64 packages present: $target"
    return
  fi
  local apt_opts=(-o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache"
    -o APT::Architecture=arm64 -o APT::Architectures::=arm64
    -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=/etc/apt/sources.list.d
    -o APT::Sandbox::User=root)
  as_root mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$target"
  info "downloading Debian's arm64 packages (not installed): ${missing[*]}"
  as_root apt-get -qq "${apt_opts[@]}" update
  (cd "$target" && as_root apt-get -qq "${apt_opts[@]}" download "${missing[@]/%/:arm64}" >/dev/null)
  info "arm64 packages in $target"
}

for arg in "$@"; do
  case "$arg" in
    --for=demo) packages=("${demo_packages[@]}") ;;
    --for=all) ;;
    *) echo "usage: $0 [--for=demo|all]" >&2; exit 2 ;;
  esac
done

{
  install_packages
  fetch_nginx_source
  fetch_arm64_debs
}
