# shellcheck shell=bash
# Day 2: etcd-restore, etcd's disaster-recovery procedure (etcd.io/docs/v3.6/op-guide/recovery) for this member.
# Every member is restored from the same snapshot while all members are stopped; then all are started together.
# The member's identity (--name, --initial-cluster, --initial-cluster-token, --initial-advertise-peer-urls) and its
# directories (--data-dir, --wal-dir) come from the installed etcd.service, so the restored member is exactly the one
# the unit runs. The old data and WAL directories are moved aside, never deleted.

ETCD_RESTORE_START=${ETCD_RESTORE_START:-0}

etcd_unit_file() {
    target "${KA_SYSTEMD_DIR:-/etc/systemd/system}/etcd.service"
}

# etcd_unit_flag NAME: the value of --NAME=... on the installed etcd.service's ExecStart (continuation lines joined).
etcd_unit_flag() {
    local unit=$1 name=$2 word words=()
    read -r -a words < <(sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta' "${unit}" | sed -n 's/^ExecStart=//p')
    for word in "${words[@]+"${words[@]}"}"; do
        case "${word}" in
            "--${name}="*) printf '%s' "${word#--"${name}"=}"; return 0 ;;
        esac
    done
    fatal "${unit}: ExecStart has no --${name}=...; cannot restore a member whose identity is unknown"
}

# etcd_snapshot_tool: etcdutl where the bundle has it (etcd 3.5+; etcdctl's snapshot commands were removed in 3.6),
# else etcdctl (etcd 3.4). Prints "etcdutl" or "etcdctl".
etcd_snapshot_tool() {
    local bin
    bin=$(target "${KA_BIN_DIR}")
    if [ -x "${bin}/etcdutl" ]; then
        printf 'etcdutl'
    elif [ -x "${bin}/etcdctl" ]; then
        printf 'etcdctl'
    else
        fatal "neither etcdutl nor etcdctl in ${KA_BIN_DIR}; is this an etcd member installed by kube-airgap?"
    fi
}

# etcd_snapshot CMD...: run the snapshot tool's CMD (status, restore).
etcd_snapshot() {
    local bin tool
    bin=$(target "${KA_BIN_DIR}")
    tool=$(etcd_snapshot_tool)
    ETCDCTL_API=3 "${bin}/${tool}" snapshot "$@"
}

# url_listening URL: something accepts TCP connections on URL's host:port.
url_listening() {
    local hostport=${1#*://} host port
    hostport=${hostport%%/*}
    port=${hostport##*:}
    host=${hostport%:*}
    host=${host#[}
    host=${host%]}
    # shellcheck disable=SC2016 # $1 and $2 are the inner shell's arguments
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "${host}" "${port}" 2>/dev/null
}

# etcd_refuse_running UNIT: fatal while etcd runs here (systemd says active, or its client or peer port answers).
etcd_refuse_running() {
    local unit=$1 url
    if [ -z "${ROOT}" ] && command -v systemctl >/dev/null 2>&1 && systemctl is-active -q etcd 2>/dev/null; then
        fatal "etcd is running on this node: stop it on EVERY member first (systemctl stop etcd), then restore each member"
    fi
    for url in $(etcd_unit_flag "${unit}" listen-client-urls | tr ',' ' ') $(etcd_unit_flag "${unit}" listen-peer-urls | tr ',' ' '); do
        if url_listening "${url}"; then
            fatal "something answers on ${url}: etcd is still running here; stop it on EVERY member first (systemctl stop etcd)"
        fi
    done
}

# etcd_print_procedure INITIAL_CLUSTER SNAPSHOT: the whole procedure, for every member.
etcd_print_procedure() {
    local cluster=$1 snapshot=$2 member
    info "etcd disaster recovery (etcd.io/docs/v3.6/op-guide/recovery), same snapshot on every member:"
    info "  1. stop etcd on EVERY member first:       systemctl stop etcd   (and kube-apiserver, which would write)"
    info "  2. copy ${snapshot##*/} to every member; restore each one with the same file:"
    for member in $(printf '%s' "${cluster}" | tr ',' ' '); do
        info "       on ${member%%=*} (${member#*=}):  install.sh etcd-restore ${snapshot##*/} --yes"
    done
    info "  3. start etcd on all members together:    systemctl start etcd   (or etcd-restore --start on each)"
    info "  4. check: etcdctl endpoint health --cluster; then start kube-apiserver"
}

# etcd_move_aside DIR: rename DIR to DIR.before-restore-<stamp> (kept; the operator deletes it when satisfied).
etcd_move_aside() {
    local dir=$1 aside
    [ -e "${dir}" ] || return 0
    aside="${dir}.before-restore-${BACKUP_STAMP}"
    [ ! -e "${aside}" ] || fatal "${aside} exists already; run again in a second or move it away"
    act "move ${dir} aside to ${aside} (kept, never deleted)" mv -- "${dir}" "${aside}"
}

# etcd_restore_member SNAPSHOT: restore this member (the procedure's step 2) from SNAPSHOT; etcd must be stopped.
etcd_restore_member() {
    local snapshot=$1 unit name cluster token peer data wal tool extra=()
    unit=$(etcd_unit_file)
    [ -f "${unit}" ] || fatal "${unit}: not installed; etcd-restore runs on an etcd member"
    [ -f "${snapshot}" ] || fatal "snapshot ${snapshot}: no such file"
    name=$(etcd_unit_flag "${unit}" name)
    cluster=$(etcd_unit_flag "${unit}" initial-cluster)
    token=$(etcd_unit_flag "${unit}" initial-cluster-token)
    peer=$(etcd_unit_flag "${unit}" initial-advertise-peer-urls)
    data=$(etcd_unit_flag "${unit}" data-dir)
    wal=$(etcd_unit_flag "${unit}" wal-dir)

    etcd_print_procedure "${cluster}" "${snapshot}"
    etcd_refuse_running "${unit}"

    tool=$(etcd_snapshot_tool)
    info "checking ${snapshot} with ${tool} snapshot status"
    etcd_snapshot status "${snapshot}" --write-out=table
    if [ "${tool}" = etcdutl ]; then
        # Kubernetes' etcd restore guidance: bump the revision past anything a watch cache has seen and mark it
        # compacted, so that clients re-list instead of waiting on revisions that went back in time.
        extra=(--bump-revision 1000000000 --mark-compacted)
    fi

    etcd_move_aside "$(target "${data}")"
    if [ "${wal}" != "${data}" ] && [ "${wal}" != "${data}/member/wal" ]; then
        etcd_move_aside "$(target "${wal}")"
    fi
    act "restore member ${name} from ${snapshot} into ${data} (WAL ${wal})" \
        etcd_snapshot restore "${snapshot}" \
        --name "${name}" \
        --initial-cluster "${cluster}" \
        --initial-cluster-token "${token}" \
        --initial-advertise-peer-urls "${peer}" \
        --data-dir "$(target "${data}")" \
        --wal-dir "$(target "${wal}")" \
        "${extra[@]+"${extra[@]}"}"
    if [ "${DRY_RUN}" = 0 ]; then
        chmod 0700 "$(target "${data}")" "$(target "${wal}")"
    fi
}

run_etcd_restore() {
    local snapshot=$1 cluster
    require_root
    case " ${KA_ROLES} " in
        *" etcd "*) ;;
        *) fatal "${KA_NODE} is not an etcd member (roles: ${KA_ROLES}); run etcd-restore on the etcd members" ;;
    esac
    if [ "${YES}" = 0 ] && [ "${DRY_RUN}" = 0 ]; then
        cluster=$(etcd_unit_flag "$(etcd_unit_file)" initial-cluster)
        etcd_print_procedure "${cluster}" "${snapshot}"
        fatal "etcd-restore replaces this member's data (moved aside, not deleted): pass --yes once every member is stopped" 2
    fi
    etcd_restore_member "${snapshot}"
    if [ "${ETCD_RESTORE_START}" = 1 ] && [ -z "${ROOT}" ]; then
        # --no-block: a restored member waits for a quorum of the others, which start on their own nodes.
        act "start etcd (quorum forms once the other restored members start)" systemctl start --no-block etcd
    else
        info "etcd stays stopped: start it on all members together (systemctl start etcd)"
    fi
}
