#!/usr/bin/env bash
# kube-airgap node installer: installs this node from the bundle it sits in, with nothing fetched from outside.
#
# Usage: sudo ./install.sh [preflight|install|verify|status|uninstall] [options]
#   preflight       check the host; print every failing check (nothing is changed)
#   install         (default) verify the bundle, then install and start this node; safe to run again
#   verify          verify the bundle (SHA256SUMS, signature) and the installed files against it
#   status          what is installed, the state of each unit
#   uninstall       stop and remove what install added, restore the backed-up files; data stays
# Options:
#   --dry-run       print every action, change nothing
#   --root DIR      install into DIR instead of / (skips sysctl -w, modprobe, swapoff, units, image import, add-ons)
#   --no-start      install files but do not start units, import images or apply add-ons
#   --yes           do not ask; for install: go on although preflight failed
#   --purge         uninstall only: also delete the data directories (etcd, containerd, kubelet)
#   --pubkey FILE   require SHA256SUMS.sig to be a valid Ed25519 signature by FILE (PEM); needs openssl
#   -h, --help
#
# Environment:
#   KA_LOG              log file (default: <root>/var/log/kube-airgap-install.log, from lib/layout.env)
#   KA_HEALTH_TIMEOUT   seconds to wait for each unit to become healthy (default 180)
#   KA_ETCD_QUORUM_TIMEOUT  seconds to wait for etcd quorum, i.e. for the other members (default 900)
#   KA_PROC             where /proc is (default /proc), for preflight
#   KA_SYS              where /sys is (default /sys), for preflight
#   KA_BOOT             where /boot is (default /boot), for preflight (kernel config)
#   KA_BACKUP_STAMP     name of this run's backup directory (default: UTC time, e.g. 20260101T000000Z)
#
# Exit codes:
#   0 success (or nothing to do)        1 error (message says what)       2 usage
#   3 preflight failed                  4 bundle verification failed      5 a unit did not become healthy
#   6 installed files differ from the bundle (verify)
#   7 waiting for etcd quorum: install the other etcd members, then run install again (it goes on from there)
set -euo pipefail

BUNDLE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
COMMAND=install
DRY_RUN=0
ROOT=
NO_START=0
YES=0
PURGE=0
PUBKEY=
LOG_FILE=

# --- output helpers ---
log_line() {
    if [ -n "${LOG_FILE}" ]; then
        printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"${LOG_FILE}" 2>/dev/null || true
    fi
}

info() {
    echo "[INFO]  $*"
    log_line "[INFO]  $*"
}

warn() {
    echo "[WARN]  $*" >&2
    log_line "[WARN]  $*"
}

# fatal MESSAGE [EXIT_CODE]
fatal() {
    echo "[ERROR] $1" >&2
    log_line "[ERROR] $1"
    exit "${2:-1}"
}

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

# --- arguments ---
parse_args() {
    while [ $# -gt 0 ]; do
        case "$1" in
            preflight | install | verify | status | uninstall) COMMAND=$1 ;;
            --dry-run) DRY_RUN=1 ;;
            --root) [ $# -ge 2 ] || fatal "--root needs a directory" 2; ROOT=$2; shift ;;
            --root=*) ROOT=${1#--root=} ;;
            --no-start) NO_START=1 ;;
            --yes | -y) YES=1 ;;
            --purge) PURGE=1 ;;
            --pubkey) [ $# -ge 2 ] || fatal "--pubkey needs a file" 2; PUBKEY=$2; shift ;;
            --pubkey=*) PUBKEY=${1#--pubkey=} ;;
            -h | --help) usage; exit 0 ;;
            *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
        esac
        shift
    done
    if [ "${PURGE}" = 1 ] && [ "${COMMAND}" != uninstall ]; then
        fatal "--purge is for uninstall only" 2
    fi
    if [ -n "${ROOT}" ]; then
        [ -d "${ROOT}" ] || fatal "--root ${ROOT}: not a directory" 2
        ROOT=$(cd "${ROOT}" && pwd)
        [ "${ROOT}" != / ] || ROOT=
    fi
}

# --- bundle verification (before any lib/ code runs) ---
# The tarball holds this directory and, next to it, the shared payload directory that its bin and images
# symlinks point to (../<payload>/bin, ../<payload>/images). Prints that directory ("" when there are no links).
payload_dir() {
    local link target name payload=
    for link in bin images; do
        [ -L "${BUNDLE_DIR}/${link}" ] || continue
        target=$(readlink "${BUNDLE_DIR}/${link}")
        name=${target#../}
        name=${name%/"${link}"}
        case "${name}" in
            "" | . | .. | */*) name= ;;
        esac
        if [ -z "${name}" ] || [ "${target}" != "../${name}/${link}" ]; then
            fatal "${link}: symlink to ${target}; a bundle's ${link} links to ../<payload>/${link}" 4
        fi
        name="$(dirname "${BUNDLE_DIR}")"
        name="${name%/}/${target#../}"
        name=${name%/"${link}"}
        [ -z "${payload}" ] || [ "${payload}" = "${name}" ] || fatal "bin and images link to different payload directories" 4
        payload=${name}
    done
    printf '%s' "${payload}"
}

# Every file listed in SHA256SUMS must exist, resolve inside this directory or the payload directory (no
# symlink may lead elsewhere), and match; the signature is checked when --pubkey is given.
verify_bundle() {
    local sums="${BUNDLE_DIR}/SHA256SUMS" line expected path actual real payload bad=0 count=0
    [ -f "${sums}" ] || fatal "bundle incomplete: ${sums} is missing" 4
    [ ! -L "${sums}" ] || fatal "SHA256SUMS: is a symlink; the bundle's own files are regular files" 4
    payload=$(payload_dir) || exit 4
    if [ -n "${PUBKEY}" ]; then
        command -v openssl >/dev/null 2>&1 || fatal "--pubkey needs openssl on this node" 4
        [ -f "${BUNDLE_DIR}/SHA256SUMS.sig" ] || fatal "bundle is not signed: SHA256SUMS.sig is missing" 4
        if ! openssl pkeyutl -verify -rawin -pubin -inkey "${PUBKEY}" -in "${sums}" -sigfile "${BUNDLE_DIR}/SHA256SUMS.sig" >/dev/null 2>&1; then
            fatal "SHA256SUMS: signature does not verify with ${PUBKEY}" 4
        fi
        info "SHA256SUMS: signature good (${PUBKEY})"
    fi
    while IFS= read -r line || [ -n "${line}" ]; do
        [ -n "${line}" ] || continue
        expected=${line%%  *}
        path=${line#*  }
        if [ "${#expected}" -ne 64 ] || [ "${path}" = "${line}" ]; then
            echo "[ERROR] SHA256SUMS: malformed line: ${line}" >&2
            bad=$((bad + 1))
            continue
        fi
        count=$((count + 1))
        if [ ! -f "${BUNDLE_DIR}/${path}" ]; then
            echo "[ERROR] ${path}: missing from the bundle (truncated download or extraction?)" >&2
            bad=$((bad + 1))
            continue
        fi
        real=$(readlink -f -- "${BUNDLE_DIR}/${path}")
        case "${real}" in
            "${BUNDLE_DIR}"/* | "${payload:-${BUNDLE_DIR}}"/*) ;;
            *)
                echo "[ERROR] ${path}: resolves to ${real}, outside the bundle (${BUNDLE_DIR}${payload:+ and ${payload}})" >&2
                bad=$((bad + 1))
                continue
                ;;
        esac
        actual=$(sha256sum <"${BUNDLE_DIR}/${path}")
        actual=${actual%% *}
        if [ "${actual}" != "${expected}" ]; then
            echo "[ERROR] ${path}: sha256 ${actual}, expected ${expected}" >&2
            bad=$((bad + 1))
        fi
    done <"${sums}"
    [ "${bad}" -eq 0 ] || fatal "bundle verification failed: ${bad} bad file(s); nothing was changed" 4
    [ "${count}" -gt 0 ] || fatal "SHA256SUMS lists no files" 4
    info "bundle verified: ${count} files match SHA256SUMS"
}

load_bundle() {
    # shellcheck source=/dev/null
    . "${BUNDLE_DIR}/lib/layout.env"
    # shellcheck source=lib/actions.sh
    . "${BUNDLE_DIR}/lib/actions.sh"
    # shellcheck source=lib/preflight.sh
    . "${BUNDLE_DIR}/lib/preflight.sh"
    # shellcheck source=lib/install.sh
    . "${BUNDLE_DIR}/lib/install.sh"
    # shellcheck source=lib/services.sh
    . "${BUNDLE_DIR}/lib/services.sh"
    # shellcheck source=lib/uninstall.sh
    . "${BUNDLE_DIR}/lib/uninstall.sh"
    # shellcheck source=lib/status.sh
    . "${BUNDLE_DIR}/lib/status.sh"
}

open_log() {
    if [ "${DRY_RUN}" = 1 ] || [ "${COMMAND}" = preflight ] || [ "${COMMAND}" = status ] || [ "${COMMAND}" = verify ]; then
        LOG_FILE=
        return
    fi
    LOG_FILE=${KA_LOG:-${ROOT}${KA_INSTALL_LOG}}
    mkdir -p "$(dirname "${LOG_FILE}")"
    touch "${LOG_FILE}"
    chmod 0600 "${LOG_FILE}"
    log_line "=== ${COMMAND} ${KA_CLUSTER}/${KA_NODE} from ${BUNDLE_DIR} (root: ${ROOT:-/})"
}

# --- main ---
{
    parse_args "$@"
    case "${COMMAND}" in
        status) load_bundle; run_status ;;
        *)
            verify_bundle
            load_bundle
            open_log
            log_line "[INFO]  bundle verified against SHA256SUMS"
            case "${COMMAND}" in
                preflight) run_preflight ;;
                install) run_install ;;
                verify) run_verify ;;
                uninstall) run_uninstall ;;
            esac
            ;;
    esac
}
