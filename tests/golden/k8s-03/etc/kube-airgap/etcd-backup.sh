#!/usr/bin/env bash
# Rendered by kube-airgap for node k8s-03: do not edit; change templates/etcd/etcd-backup.sh.scriban.
# Takes an etcd snapshot of member k8s-03 with etcdctl and the etcd client certificate, checks it with
# `etcdutl snapshot status`, and only then renames it to snapshot-<UTC time>.db; keeps the
# newest 8. Run by etcd-backup.service (etcd-backup.timer); safe to run by hand.
set -euo pipefail
umask 077

BIN_DIR='/opt/kube-airgap/current/bin'
DIR='/data/k8s/etcd-backup'
KEEP=8
SNAPSHOT_TOOL='etcdutl'
PARTIAL=

log() {
    echo "etcd-backup: $*"
}

etcdctl() {
    ETCDCTL_API=3 "${BIN_DIR}/etcdctl" \
        --endpoints 'https://127.0.0.1:2379' \
        --cacert '/etc/kubernetes/pki/etcd/ca.crt' \
        --cert '/etc/kubernetes/pki/etcd/healthcheck-client.crt' \
        --key '/etc/kubernetes/pki/etcd/healthcheck-client.key' \
        --dial-timeout 10s "$@"
}

# check FILE: the snapshot opens and has a hash and revision (etcdutl on etcd 3.5+, etcdctl on 3.4).
check() {
    local out
    if [ "${SNAPSHOT_TOOL}" = etcdctl ]; then
        out=$(ETCDCTL_API=3 "${BIN_DIR}/etcdctl" snapshot status "$1" --write-out=json)
    else
        out=$("${BIN_DIR}/etcdutl" snapshot status "$1" --write-out=json)
    fi
    case "${out}" in
        *'"hash":'*'"revision":'*) printf '%s' "${out}" ;;
        *) log "snapshot status of $1 printed no hash and revision: ${out}" >&2; return 1 ;;
    esac
}

prune() {
    local old
    while IFS= read -r old; do
        [ -n "${old}" ] || continue
        rm -f -- "${old}"
        log "removed ${old} (keeping the newest ${KEEP})"
    done < <(find "${DIR}" -maxdepth 1 -type f -name 'snapshot-*.db' | LC_ALL=C sort -r | tail -n +$((KEEP + 1)))
}

remove_partial() {
    [ -z "${PARTIAL}" ] || rm -f -- "${PARTIAL}" "${PARTIAL}.part"
}

main() {
    local stamp final status
    mkdir -p "${DIR}"
    chmod 0700 "${DIR}"
    # fail within seconds when the member is down; the snapshot itself gets an hour (big databases take time)
    etcdctl --command-timeout 10s endpoint health >/dev/null
    stamp=$(date -u +%Y%m%dT%H%M%SZ)
    final="${DIR}/snapshot-${stamp}.db"
    PARTIAL="${DIR}/.snapshot-${stamp}.db.tmp"
    trap remove_partial EXIT
    etcdctl --command-timeout 3600s snapshot save "${PARTIAL}" >/dev/null
    status=$(check "${PARTIAL}")
    chmod 0600 "${PARTIAL}"
    mv -f -- "${PARTIAL}" "${final}"
    PARTIAL=
    log "saved ${final}: ${status}"
    prune
}

main "$@"
