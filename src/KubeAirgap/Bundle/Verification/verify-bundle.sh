#!/usr/bin/env bash
# verify-bundle.sh: checks kube-airgap tarballs BEFORE they are extracted, with openssl and sha256sum only.
#
#   ./verify-bundle.sh [--pubkey FILE] [TARBALL...]   (no TARBALL: every tarball SHA256SUMS lists, beside this script)
#
# 1. SHA256SUMS (next to the tarballs) must carry a valid Ed25519 signature (SHA256SUMS.sig) by the public key:
#    --pubkey FILE, else the one <cluster>-bundle-signing.pub next to this script. Compare that key's fingerprint
#    (printed below) with the one the build printed, over a channel other than the transport medium.
# 2. Each TARBALL's sha256 must be the one SHA256SUMS lists for its name. Both layouts: the self-contained node
#    tarballs, and the fleet layout's payload tarballs (<cluster>-payload-<arch>-<roles>.tar.gz) and node tarballs
#    (each node's installer checks its payload tarball against the pin in its signed bundle again).
# Exit 0 only when every tarball passes. Written by kube-airgap's Bundle task; it is not part of any tarball.
set -euo pipefail

log() { printf 'verify-bundle: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() {
  sed -n '4,5p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# The public key to trust: --pubkey, else the single *-bundle-signing.pub beside this script.
find_pubkey() {
  local dir=$1
  local keys=()
  local k
  for k in "${dir}"/*-bundle-signing.pub; do
    [ -e "${k}" ] && keys+=("${k}")
  done
  [ "${#keys[@]}" -eq 1 ] || die "expected one *-bundle-signing.pub in ${dir}, found ${#keys[@]}; pass --pubkey FILE"
  printf '%s\n' "${keys[0]}"
}

fingerprint() {
  openssl pkey -pubin -in "$1" -outform DER | sha256sum | cut -d' ' -f1
}

verify_signature() {
  local sums=$1 pubkey=$2
  [ -f "${sums}" ] || die "${sums} not found"
  [ -f "${sums}.sig" ] || die "${sums}.sig not found: the bundle set is unsigned"
  log "public key ${pubkey} (sha256 of its DER: $(fingerprint "${pubkey}"))"
  openssl pkeyutl -verify -pubin -inkey "${pubkey}" -rawin -in "${sums}" -sigfile "${sums}.sig" >/dev/null \
    || die "${sums}: signature does not verify with ${pubkey}"
  log "${sums}: signature good"
}

verify_tarball() {
  local sums=$1 tarball=$2
  local name expected actual
  name=$(basename -- "${tarball}")
  expected=$(awk -v n="${name}" '$2 == n || $2 == "*" n { print $1 }' "${sums}")
  [ -n "${expected}" ] || die "${name}: not listed in ${sums}"
  actual=$(sha256sum -- "${tarball}" | cut -d' ' -f1)
  [ "${actual}" = "${expected}" ] || die "${name}: sha256 ${actual}, ${sums} says ${expected}"
  log "${name}: sha256 ${actual} matches the signed ${sums}"
}

# listed_tarballs SUMS: every *.tar.gz SHA256SUMS lists, as paths beside it (a missing one fails the check later).
listed_tarballs() {
  local sums=$1
  [ -f "${sums}" ] || die "${sums} not found"
  awk '$2 ~ /\.tar\.gz$/ { sub(/^\*/, "", $2); print $2 }' "${sums}" | while IFS= read -r name; do
    printf '%s/%s\n' "$(dirname -- "${sums}")" "${name}"
  done
}

main() {
  local pubkey=""
  local tarballs=()
  while [ "$#" -gt 0 ]; do
    case "$1" in
      --pubkey) [ "$#" -ge 2 ] || usage; pubkey=$2; shift 2 ;;
      -h|--help) usage ;;
      -*) log "unknown option $1"; usage ;;
      *) tarballs+=("$1"); shift ;;
    esac
  done
  command -v openssl >/dev/null || die "openssl not found"
  command -v sha256sum >/dev/null || die "sha256sum not found"

  local here
  here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
  if [ -z "${pubkey}" ]; then
    pubkey=$(find_pubkey "${here}")
  fi
  [ -f "${pubkey}" ] || die "public key ${pubkey} not found"
  if [ "${#tarballs[@]}" -eq 0 ]; then
    mapfile -t tarballs < <(listed_tarballs "${here}/SHA256SUMS")
    [ "${#tarballs[@]}" -gt 0 ] || die "${here}/SHA256SUMS lists no tarballs"
  fi

  local tarball sums
  for tarball in "${tarballs[@]}"; do
    [ -f "${tarball}" ] || die "${tarball} not found"
    sums="$(cd -- "$(dirname -- "${tarball}")" && pwd)/SHA256SUMS"
    verify_signature "${sums}" "${pubkey}"
    verify_tarball "${sums}" "${tarball}"
  done
  log "OK: ${#tarballs[@]} tarball(s) verified; extract them now"
}

main "$@"
