#!/usr/bin/env bash
# kube-airgap node installer: installs this node from the bundle it sits in, with nothing fetched from outside.
#
# Usage: sudo ./install.sh [preflight|install|verify|status|uninstall|rollback|etcd-restore SNAPSHOT] [options]
#   preflight       check the host; print every failing check (nothing is changed)
#   install         (default) verify the bundle, then install and start this node; safe to run again
#   verify          verify the bundle (SHA256SUMS, signature) and the installed files against it
#   status          what is installed, the state of each unit
#   uninstall       reset the node like kubeadm reset (pods, mounts, network rules), remove what install
#                   added, restore the backed-up files; data stays. The node keeps a copy of the installer:
#                   /opt/kube-airgap/uninstall.sh runs this without the tarball.
#   etcd-restore SNAPSHOT  restore this etcd member from SNAPSHOT, etcd stopped on every member (docs/day2.md)
#   rollback        after an upgrade: switch current back to the version this node ran before, restore that
#                   version's configs (kept in /var/lib/kube-airgap/backups/<version>/) and restart what changed;
#                   refuses an etcd minor downgrade and names the snapshot to etcd-restore instead
# Options:
#   --dry-run             print every action, change nothing
#   --root DIR            install into DIR instead of / (skips sysctl -w, modprobe, swapoff, units, image import,
#                         add-ons and the host steps of uninstall)
#   --no-start            install files but do not start units, import images or apply add-ons
#   --yes                 do not ask; for install: go on although preflight failed
#   --purge               uninstall only: also delete the data directories that install created
#   --pubkey FILE         the bundle signing key (Ed25519 public key, PEM), brought to the node apart from the
#                         tarball; the first install pins it as /etc/kube-airgap/trusted.pub, and later bundles
#                         must be signed by the pinned key
#   --payload FILE        fleet layout: the payload tarball this bundle pins (default: its pinned name,
#                         <cluster>-payload-<arch>-<roles>.tar.gz, beside the extracted bundle directory); its
#                         sha256 is checked against the signed pin before anything is extracted from it
#   --insecure-unsigned   accept a bundle that is unsigned or not signed by the trusted key (logged)
#   --start               etcd-restore only: start etcd after restoring (default: leave it stopped)
#   --replace-cluster     install only: accept a bundle of another cluster (other CA or signing key) and pin its key
#   --test-bundle         accept a TEST BUNDLE (KA_TEST_BUNDLE=1 in its signed lib/layout.env: built with the test-only
#                         RelaxSupportedVersions, a component older than its Kubernetes release supports). install,
#                         rollback and etcd-restore refuse such a bundle without it (exit 11); preflight, verify, status
#                         and uninstall only warn. On any other bundle it changes nothing (a warning says so)
#   -h, --help
#
# Trust: SHA256SUMS.sig must be a valid signature over SHA256SUMS by --pubkey or the pinned key. The bundle and
# its payload are copied into a root-owned 0700 directory, verified there, and used only from there. In the fleet
# layout the payload tarball is copied there, its sha256 checked against the pin in the signed lib/layout.env, and
# only then extracted there.
#
# Environment:
#   KA_LOG              log file (default: <root>/var/log/kube-airgap-install.log, from lib/layout.env)
#   KA_TMPDIR           where the verified copy of the bundle is made (default /var/tmp)
#   KA_HEALTH_TIMEOUT   seconds to wait for each unit to become healthy (default 180)
#   KA_ETCD_QUORUM_TIMEOUT  seconds to wait for etcd quorum, i.e. for the other members (default 900)
#   KA_ETCD_JOIN_TIMEOUT    seconds a joining etcd member retries `etcdctl member add` while etcd says
#                           "unhealthy cluster" (default 120)
#   KA_DRAIN_TIMEOUT    seconds `kubectl drain` may take for a node removed from cluster.yaml (default 300)
#   KA_PROC             where /proc is (default /proc), for preflight and uninstall (mountinfo)
#   KA_SYS              where /sys is (default /sys), for preflight and uninstall (cgroups)
#   KA_BOOT             where /boot is (default /boot), for preflight (kernel config)
#   KA_LIB, KA_USR_LIB  where /lib and /usr/lib are (defaults /lib, /usr/lib), for preflight (systemd-timesyncd)
#   KA_BACKUP_STAMP     name of this run's backup directory (default: UTC time, e.g. 20260101T000000Z)
#   KA_RESET_HOST       1: run uninstall's host steps (units, CRI, mounts, network) even under --root (tests)
#   KA_SYSTEMD_RUN      the directory that tells systemd runs (default /run/systemd/system), for uninstall
#
# Exit codes:
#   0 success (or nothing to do)        1 error (message says what)       2 usage
#   3 preflight failed                  4 bundle verification failed (a file, the signature or the trust;
#                                                                      nothing was changed)
#   5 a unit did not become healthy     6 installed files differ from the bundle (verify)
#   7 uninstall: a step failed (the other steps ran; see the messages)
#   8 waiting for etcd quorum: install the other etcd members, then run install again (it goes on from there)
#   9 refused by upstream's version-skew policy (a skipped minor, a downgrade, a kubelet newer than an
#     apiserver, HA apiservers more than one minor apart) or, for rollback, an etcd minor downgrade; nothing changed
#  10 upgrade installed, but controller-manager, scheduler, kubelet and kube-proxy keep their running version until
#     every kube-apiserver runs the new minor: upgrade the other control-plane nodes, then run install again here
#  11 a TEST BUNDLE refused (install, rollback, etcd-restore without --test-bundle); nothing changed
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

SOURCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P) # the extracted bundle, as the operator gave it
BUNDLE_DIR=                                                  # the verified copy; everything is used from here
TRUSTED_KEY=/etc/kube-airgap/trusted.pub
COMMAND=
DRY_RUN=0
ROOT=
NO_START=0
YES=0
PURGE=0
PUBKEY=
PAYLOAD_FILE=     # --payload: the fleet layout's payload tarball ("" = the pinned name beside SOURCE_DIR)
STAGED_OK=1       # 0: lib/layout.env or lib/payload.sh failed their early check (reported by check_staged)
PAYLOAD_TOP=      # fleet layout: the verified payload directory in RUN_TMP, set by lib/payload.sh ("" = self-contained)
SNAPSHOT=
ETCD_RESTORE_START=0
INSECURE=0
REPLACE_CLUSTER=0
TEST_BUNDLE=0     # --test-bundle: a bundle stamped KA_TEST_BUNDLE=1 is accepted
LOG_FILE=
RUN_TMP=
BAD=0             # bad files found while staging
KEY_FILE=         # the verified copy of the signing key ("" when unsigned was accepted)
TRUST_NOTE=       # how the bundle was trusted, for the log

# --- output helpers ---
log_line() {
    if [ -n "${LOG_FILE}" ]; then
        local now
        TZ=UTC0 printf -v now '%(%Y-%m-%dT%H:%M:%SZ)T' -1  # a builtin: no process per log line
        printf '%s %s\n' "${now}" "$*" >>"${LOG_FILE}" 2>/dev/null || true
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
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e '/^# shellcheck /d' -e 's/^# \{0,1\}//'
}

# --- temporary files: one directory per run, removed on exit; a killed run's is removed by the next ---
cleanup() {
    if [ -n "${RUN_TMP}" ] && [ -d "${RUN_TMP}" ]; then
        rm -rf -- "${RUN_TMP}"
    fi
}

make_run_tmp() {
    local parent=${KA_TMPDIR:-/var/tmp} old pid
    [ -d "${parent}" ] || fatal "KA_TMPDIR ${parent}: not a directory"
    for old in "${parent}"/kube-airgap.*; do
        if [ ! -d "${old}" ] || [ -L "${old}" ] || [ ! -O "${old}" ]; then
            continue
        fi
        pid=$(cat "${old}/pid" 2>/dev/null || echo 0)
        case "${pid}" in '' | *[!0-9]*) pid=0 ;; esac
        if [ "${pid}" -gt 0 ] && kill -0 "${pid}" 2>/dev/null; then
            continue
        fi
        rm -rf -- "${old}"
    done
    RUN_TMP=$(umask 077 && mktemp -d "${parent}/kube-airgap.XXXXXXXX")
    chmod 0700 "${RUN_TMP}"
    printf '%s\n' "$$" >"${RUN_TMP}/pid"
}

# --- arguments ---
set_command() {
    [ -z "${COMMAND}" ] || fatal "two subcommands given: ${COMMAND} and $1 (see --help)" 2
    COMMAND=$1
}

# snapshot_arg VALUE: etcd-restore's SNAPSHOT, a file name (not missing, not an option).
snapshot_arg() {
    case "$1" in
        "" | -*) fatal "etcd-restore needs a snapshot file: install.sh etcd-restore SNAPSHOT [--yes] [--start]" 2 ;;
    esac
}

# non_empty OPTION VALUE: an empty value is a usage error, never a default.
non_empty() {
    [ -n "$2" ] || fatal "$1 needs a non-empty value (see --help)" 2
}

parse_args() {
    while [ $# -gt 0 ]; do
        case "$1" in
            preflight | install | verify | status | uninstall) set_command "$1" ;;
            rollback) set_command "$1" ;;
            etcd-restore) set_command "$1"; snapshot_arg "${2:-}"; SNAPSHOT=$2; shift ;;
            --start) ETCD_RESTORE_START=1 ;;
            --dry-run) DRY_RUN=1 ;;
            --root) [ $# -ge 2 ] || fatal "--root needs a directory" 2; non_empty --root "$2"; ROOT=$2; shift ;;
            --root=*) ROOT=${1#--root=}; non_empty --root "${ROOT}" ;;
            --no-start) NO_START=1 ;;
            --yes | -y) YES=1 ;;
            --purge) PURGE=1 ;;
            --pubkey) [ $# -ge 2 ] || fatal "--pubkey needs a file" 2; non_empty --pubkey "$2"; PUBKEY=$2; shift ;;
            --pubkey=*) PUBKEY=${1#--pubkey=}; non_empty --pubkey "${PUBKEY}" ;;
            --payload) [ $# -ge 2 ] || fatal "--payload needs a file" 2; non_empty --payload "$2"; PAYLOAD_FILE=$2; shift ;;
            --payload=*) PAYLOAD_FILE=${1#--payload=}; non_empty --payload "${PAYLOAD_FILE}" ;;
            --insecure-unsigned) INSECURE=1 ;;
            --replace-cluster) REPLACE_CLUSTER=1 ;;
            --test-bundle) TEST_BUNDLE=1 ;;
            -h | --help) usage; exit 0 ;;
            *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
        esac
        shift
    done
    COMMAND=${COMMAND:-install}
    if [ "${PURGE}" = 1 ] && [ "${COMMAND}" != uninstall ]; then
        fatal "--purge is for uninstall only" 2
    fi
    if [ "${REPLACE_CLUSTER}" = 1 ] && [ "${COMMAND}" != install ]; then
        fatal "--replace-cluster is for install only" 2
    fi
    if [ -n "${PUBKEY}" ] && [ ! -f "${PUBKEY}" ]; then
        fatal "--pubkey ${PUBKEY}: no such file" 2
    fi
    if [ -n "${PAYLOAD_FILE}" ] && [ ! -f "${PAYLOAD_FILE}" ]; then
        fatal "--payload ${PAYLOAD_FILE}: no such file; nothing was changed" 2
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
        [ -L "${SOURCE_DIR}/${link}" ] || continue
        target=$(readlink "${SOURCE_DIR}/${link}")
        name=${target#../}
        name=${name%/"${link}"}
        case "${name}" in
            "" | . | .. | */*) name= ;;
        esac
        if [ -z "${name}" ] || [ "${target}" != "../${name}/${link}" ]; then
            fatal "${link}: symlink to ${target}; a bundle's ${link} links to ../<payload>/${link}" 4
        fi
        name="$(dirname "${SOURCE_DIR}")"
        name="${name%/}/${target#../}"
        name=${name%/"${link}"}
        [ -z "${payload}" ] || [ "${payload}" = "${name}" ] || fatal "bin and images link to different payload directories" 4
        payload=${name}
    done
    printf '%s' "${payload}"
}

# key_fingerprint PEM: sha256 of the public key (DER), the form recorded in the installer's state.
key_fingerprint() {
    local sum
    sum=$(openssl pkey -pubin -in "$1" -outform DER 2>/dev/null | sha256sum)
    printf '%s' "${sum%% *}"
}

# Which key the bundle must be signed by: --pubkey, else the key pinned on this node. A --pubkey other than the
# pinned key is refused (a bundle of another cluster) unless --replace-cluster. Sets KEY_FILE to a private copy.
choose_key() {
    local pinned=${ROOT}${TRUSTED_KEY} chosen=
    if [ -n "${PUBKEY}" ]; then
        chosen=${PUBKEY}
    elif [ -f "${pinned}" ]; then
        chosen=${pinned}
    fi
    if [ -z "${chosen}" ]; then
        [ "${INSECURE}" = 1 ] || fatal "no trusted signing key: pass --pubkey FILE (artifacts/<cluster>/<cluster>-bundle-signing.pub, brought to this node apart from the tarball; the first install pins it as ${TRUSTED_KEY}), or --insecure-unsigned" 4
        return 0
    fi
    command -v openssl >/dev/null 2>&1 || fatal "checking the bundle signature needs openssl on this node" 4
    cp -- "${chosen}" "${RUN_TMP}/signing.pub"
    case "$(openssl pkey -pubin -in "${RUN_TMP}/signing.pub" -noout -text 2>/dev/null | head -n1)" in
        ED25519*) ;;
        *) fatal "${chosen}: not an Ed25519 public key (PEM)" 4 ;;
    esac
    KEY_FILE=${RUN_TMP}/signing.pub
    if [ "${chosen}" != "${pinned}" ] && [ -f "${pinned}" ] &&
        [ "$(key_fingerprint "${pinned}")" != "$(key_fingerprint "${KEY_FILE}")" ]; then
        [ "${REPLACE_CLUSTER}" = 1 ] || fatal "--pubkey ${PUBKEY} is not the key pinned on this node (${TRUSTED_KEY}, sha256 $(key_fingerprint "${pinned}")); a bundle signed by another key belongs to another cluster: pass --replace-cluster to replace that cluster on this node" 4
        warn "--replace-cluster: ${PUBKEY} replaces the pinned key ${TRUSTED_KEY}"
    fi
}

# check_signature DIR: SHA256SUMS.sig in DIR must verify with KEY_FILE, unless --insecure-unsigned.
check_signature() {
    local dir=$1 problem=
    if [ -z "${KEY_FILE}" ]; then
        problem="no trusted key"
    elif [ ! -f "${dir}/SHA256SUMS.sig" ]; then
        problem="bundle is not signed: SHA256SUMS.sig is missing"
    elif ! openssl pkeyutl -verify -rawin -pubin -inkey "${KEY_FILE}" -in "${dir}/SHA256SUMS" -sigfile "${dir}/SHA256SUMS.sig" >/dev/null 2>&1; then
        problem="SHA256SUMS: signature does not verify with ${PUBKEY:-${TRUSTED_KEY}}"
    fi
    if [ -z "${problem}" ]; then
        TRUST_NOTE="signature good (${PUBKEY:-${TRUSTED_KEY}}, sha256 $(key_fingerprint "${KEY_FILE}"))"
        info "SHA256SUMS: ${TRUST_NOTE}"
        return 0
    fi
    [ "${INSECURE}" = 1 ] || fatal "${problem}; refusing the bundle (--insecure-unsigned accepts it)" 4
    KEY_FILE=
    TRUST_NOTE="INSECURE: ${problem}; accepted because of --insecure-unsigned"
    warn "${TRUST_NOTE}"
}

# listed_paths SUMS WHAT: the paths of SHA256SUMS to stage: all, or only the installer (install.sh, lib/).
listed_paths() {
    local line path
    while IFS= read -r line || [ -n "${line}" ]; do
        [ -n "${line}" ] || continue
        path=${line#*  }
        [ "${path}" != "${line}" ] || continue
        if [ "$2" = all ] || [ "${path}" = install.sh ] || [ "${path#lib/}" != "${path}" ]; then
            printf '%s\n' "${path}"
        fi
    done <"$1"
}

# Listed files that are missing or whose link leads out of the extracted bundle (and its payload directory) are
# reported and counted in BAD; the others are written to RUN_TMP/copy, to be copied. In the fleet layout the
# payload's files (under bin/ and images/) come from the verified payload (PAYLOAD_TOP) instead: RUN_TMP/copy-payload.
check_source_links() {
    local payload path real
    payload=$(payload_dir) || exit 4
    : >"${RUN_TMP}/copy"
    : >"${RUN_TMP}/copy-payload"
    while IFS= read -r path; do
        if [ -n "${PAYLOAD_TOP}" ] && is_payload_path "${path}"; then
            if [ -f "${PAYLOAD_TOP}/${path}" ] && [ ! -L "${PAYLOAD_TOP}/${path}" ]; then
                printf '%s\n' "${path}" >>"${RUN_TMP}/copy-payload"
            else
                echo "[ERROR] ${path}: missing from the payload tarball ${KA_PAYLOAD_TARBALL}" >&2
                BAD=$((BAD + 1))
            fi
            continue
        fi
        if [ ! -e "${SOURCE_DIR}/${path}" ]; then
            echo "[ERROR] ${path}: missing from the bundle (truncated download or extraction?)" >&2
            BAD=$((BAD + 1))
            continue
        fi
        real=$(readlink -f -- "${SOURCE_DIR}/${path}")
        case "${real}" in
            "${SOURCE_DIR}"/* | "${payload:-${SOURCE_DIR}}"/*) printf '%s\n' "${path}" >>"${RUN_TMP}/copy" ;;
            *)
                echo "[ERROR] ${path}: resolves to ${real}, outside the bundle (${SOURCE_DIR}${payload:+ and ${payload}})" >&2
                BAD=$((BAD + 1))
                ;;
        esac
    done <"${RUN_TMP}/paths"
}

# Every copied file must be a regular file in the copy and match SHA256SUMS.
check_staged() {
    local stage=$1 line expected path actual count=0
    while IFS= read -r line || [ -n "${line}" ]; do
        [ -n "${line}" ] || continue
        expected=${line%%  *}
        path=${line#*  }
        if [ "${#expected}" -ne 64 ] || [ "${path}" = "${line}" ]; then
            echo "[ERROR] SHA256SUMS: malformed line: ${line}" >&2
            BAD=$((BAD + 1))
            continue
        fi
        grep -qxF -- "${path}" "${RUN_TMP}/copy" || continue
        count=$((count + 1))
        if [ -L "${stage}/${path}" ] || [ ! -f "${stage}/${path}" ]; then
            echo "[ERROR] ${path}: not a regular file in the bundle" >&2
            BAD=$((BAD + 1))
            continue
        fi
        actual=$(sha256sum <"${stage}/${path}")
        actual=${actual%% *}
        if [ "${actual}" != "${expected}" ]; then
            echo "[ERROR] ${path}: sha256 ${actual}, expected ${expected}" >&2
            BAD=$((BAD + 1))
        fi
    done <"${stage}/SHA256SUMS"
    [ "${BAD}" -eq 0 ] || fatal "bundle verification failed: ${BAD} bad file(s); nothing was changed" 4
    [ "${count}" -gt 0 ] || fatal "SHA256SUMS lists no files" 4
    info "bundle verified: ${count} files match SHA256SUMS"
}

# stage_listed STAGE PATH: copies one file SHA256SUMS lists into STAGE ahead of the others and checks its sha256
# there (what the installer needs before the rest: lib/layout.env and lib/payload.sh, for the payload tarball).
# A file missing, unlisted or different sets STAGED_OK=0 and is left to check_staged, which reports it with the others.
stage_listed() {
    local stage=$1 path=$2 line expected="" actual
    while IFS= read -r line || [ -n "${line}" ]; do
        if [ "${line#*  }" = "${path}" ]; then
            expected=${line%%  *}
        fi
    done <"${stage}/SHA256SUMS"
    if [ -z "${expected}" ] || [ -L "${SOURCE_DIR}/${path}" ] || [ ! -f "${SOURCE_DIR}/${path}" ]; then
        STAGED_OK=0
        return 0
    fi
    mkdir -p "${stage}/$(dirname "${path}")"
    cp -- "${SOURCE_DIR}/${path}" "${stage}/${path}"
    actual=$(sha256sum <"${stage}/${path}")
    if [ "${actual%% *}" != "${expected}" ]; then
        STAGED_OK=0
    fi
}

# stage_bundle all|installer: copy SHA256SUMS(.sig) and the listed files (links followed) into this run's private
# directory, check the signature and every hash there, and use only that copy from now on: a file changed in the
# extracted directory after this check is never read again.
stage_bundle() {
    local what=$1 stage=${RUN_TMP}/bundle f
    local sums="${SOURCE_DIR}/SHA256SUMS"
    [ -f "${sums}" ] || fatal "bundle incomplete: ${sums} is missing" 4
    [ ! -L "${sums}" ] || fatal "SHA256SUMS: is a symlink; the bundle's own files are regular files" 4
    mkdir -m 0700 "${stage}"
    for f in SHA256SUMS SHA256SUMS.sig; do
        if [ -f "${SOURCE_DIR}/${f}" ] && [ ! -L "${SOURCE_DIR}/${f}" ]; then
            cp -- "${SOURCE_DIR}/${f}" "${stage}/${f}"
        fi
    done
    choose_key
    check_signature "${stage}"
    STAGED_OK=1
    if [ "${what}" = all ]; then
        stage_listed "${stage}" lib/layout.env
        stage_listed "${stage}" lib/payload.sh
    fi
    if [ "${what}" = all ] && [ "${STAGED_OK}" = 1 ]; then
        # shellcheck source=/dev/null
        . "${stage}/lib/layout.env"
        # shellcheck source=lib/payload.sh
        . "${stage}/lib/payload.sh"
        stage_payload
    fi
    listed_paths "${stage}/SHA256SUMS" "${what}" >"${RUN_TMP}/paths"
    check_source_links
    (cd "${SOURCE_DIR}" && xargs -r -d '\n' cp -L --parents -t "${stage}" -- <"${RUN_TMP}/copy") ||
        fatal "copying the bundle into ${stage} failed (disk full? KA_TMPDIR picks another place)" 4
    if [ -s "${RUN_TMP}/copy-payload" ]; then
        (cd "${PAYLOAD_TOP}" && xargs -r -d '\n' cp --link --parents -t "${stage}" -- <"${RUN_TMP}/copy-payload") ||
            fatal "moving the payload's files into ${stage} failed" 4
        cat -- "${RUN_TMP}/copy-payload" >>"${RUN_TMP}/copy"
    fi
    check_staged "${stage}"
    BUNDLE_DIR=${stage}
}

load_bundle() {
    # shellcheck source=/dev/null
    . "${BUNDLE_DIR}/lib/layout.env"
    # shellcheck source=lib/actions.sh
    . "${BUNDLE_DIR}/lib/actions.sh"
    # shellcheck source=lib/trust.sh
    . "${BUNDLE_DIR}/lib/trust.sh"
    # shellcheck source=lib/preflight.sh
    . "${BUNDLE_DIR}/lib/preflight.sh"
    # shellcheck source=lib/install.sh
    . "${BUNDLE_DIR}/lib/install.sh"
    # shellcheck source=lib/services.sh
    . "${BUNDLE_DIR}/lib/services.sh"
    # shellcheck source=lib/reset.sh
    . "${BUNDLE_DIR}/lib/reset.sh"
    # shellcheck source=lib/kept-data.sh
    . "${BUNDLE_DIR}/lib/kept-data.sh"
    # shellcheck source=lib/uninstall.sh
    . "${BUNDLE_DIR}/lib/uninstall.sh"
    # shellcheck source=lib/status.sh
    . "${BUNDLE_DIR}/lib/status.sh"
    # shellcheck source=lib/day2.sh
    . "${BUNDLE_DIR}/lib/day2.sh"
    # shellcheck source=lib/upgrade.sh
    . "${BUNDLE_DIR}/lib/upgrade.sh"
    # shellcheck source=lib/members.sh
    . "${BUNDLE_DIR}/lib/members.sh"
}

# --- test bundles ---
# A bundle rendered with the test-only RelaxSupportedVersions says so in its signed lib/layout.env (KA_TEST_BUNDLE=1,
# KA_TEST_BUNDLE_REASON: which component, which version, which minimum). Nothing that changes the node runs from it
# without --test-bundle; uninstall (which removes it) and the read-only commands only warn.
check_test_bundle() {
    if [ "${KA_TEST_BUNDLE:-}" != 1 ]; then
        if [ "${TEST_BUNDLE}" = 1 ]; then
            warn "--test-bundle: this is not a test bundle; the option changes nothing"
        fi
        return 0
    fi
    case "${COMMAND}" in
        install | rollback | etcd-restore)
            if [ "${TEST_BUNDLE}" != 1 ]; then
                fatal "TEST BUNDLE: ${KA_TEST_BUNDLE_REASON:-no reason recorded}. It was built with the test-only setting RelaxSupportedVersions and is not for production: ${COMMAND} refuses it unless --test-bundle is given; nothing was changed" 11
            fi
            warn "TEST BUNDLE: ${KA_TEST_BUNDLE_REASON:-no reason recorded}; accepted because of --test-bundle (not for production)"
            ;;
        *) warn "TEST BUNDLE: ${KA_TEST_BUNDLE_REASON:-no reason recorded}; not for production (install refuses it without --test-bundle)" ;;
    esac
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
    log_line "=== ${COMMAND} ${KA_CLUSTER}/${KA_NODE} from ${SOURCE_DIR} (root: ${ROOT:-/})"
    log_line "[INFO]  bundle verified against SHA256SUMS; ${TRUST_NOTE}"
    if [ "${KA_TEST_BUNDLE:-}" = 1 ]; then
        log_line "[WARN]  TEST BUNDLE: ${KA_TEST_BUNDLE_REASON:-no reason recorded}"
    fi
}

# A command that fails where set -e is in force ends the run; say which one (its own message is above).
on_error() {
    echo "[ERROR] failed (exit $1): $2" >&2
    log_line "[ERROR] failed (exit $1): $2"
}

# --- main ---
main() {
    parse_args "$@"
    set -E
    trap 'on_error $? "${BASH_COMMAND}"' ERR
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    make_run_tmp
    case "${COMMAND}" in
        status | uninstall | rollback) stage_bundle installer ;;
        *) stage_bundle all ;;
    esac
    load_bundle
    check_test_bundle
    open_log
    case "${COMMAND}" in
        preflight) run_preflight ;;
        install)
            check_cluster_identity
            upgrade_check
            run_install
            trust_after_install
            upgrade_record
            ;;
        verify) run_verify ;;
        status) run_status ;;
        uninstall) run_uninstall ;;
        etcd-restore) run_etcd_restore "${SNAPSHOT}" ;;
        rollback) run_rollback ;;
    esac
}

main "$@"
