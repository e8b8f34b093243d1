# shellcheck shell=bash
# Day 2: adding and removing nodes (README "Day 2", docs/day2.md).
# - A member that joins a running etcd cluster has KA_ETCD_JOIN (the other members' client URLs): before its first
#   start it is added with `etcdctl member add` (etcd's runtime reconfiguration), and its unit starts etcd with
#   --initial-cluster-state=existing. Its data directory, once etcd wrote it, says it has joined.
# - The first control-plane node carries the removals (KA_REMOVED_NODES, KA_REMOVED_ETCD_MEMBERS): once its own
#   units are healthy it drains and deletes each removed Node and removes each removed etcd member.
# Every step looks first and does only what is missing: a second run changes nothing.

# members_etcdctl_argv ENDPOINTS [COMMAND_TIMEOUT]: sets MEMBERS_ETCDCTL to etcdctl with this node's etcd client
# certificate (KA_ETCD_ADMIN_CERT) against ENDPOINTS, each command within COMMAND_TIMEOUT (default 10s).
MEMBERS_ETCDCTL=()
members_etcdctl_argv() {
    MEMBERS_ETCDCTL=("$(target "${KA_BIN_DIR}")/etcdctl" --endpoints "$1" --cacert "$(target "${KA_ETCD_CACERT}")"
        --cert "$(target "${KA_ETCD_ADMIN_CERT}")" --key "$(target "${KA_ETCD_ADMIN_KEY}")" --command-timeout="${2:-10s}")
}

# members_etcdctl ENDPOINTS ARGS...: run etcdctl (API v3) with ARGS.
members_etcdctl() {
    members_etcdctl_argv "$1"
    shift
    ETCDCTL_API=3 "${MEMBERS_ETCDCTL[@]}" "$@"
}

# members_add PEER_URL: `etcdctl member add` this node at KA_ETCD_JOIN. etcd's strict reconfiguration check answers
# "unhealthy cluster" until its members have been connected for a few seconds (a member that just restarted): that
# is retried for KA_ETCD_JOIN_TIMEOUT seconds (default 120); any other refusal ends the run.
members_add() {
    local peer=$1 timeout=${KA_ETCD_JOIN_TIMEOUT:-120} poll=${KA_POLL_SECONDS:-3} waited=0 out
    CHANGES=$((CHANGES + 1))
    if [ "${DRY_RUN}" = 1 ]; then
        info "[dry-run] would add etcd member ${KA_NODE} (${peer}) to the running cluster at ${KA_ETCD_JOIN} (etcdctl member add)"
        return 0
    fi
    info "etcd: add member ${KA_NODE} (${peer}) to the running cluster at ${KA_ETCD_JOIN} (etcdctl member add)"
    members_etcdctl_argv "${KA_ETCD_JOIN}"
    until out=$(ETCDCTL_API=3 "${MEMBERS_ETCDCTL[@]}" member add "${KA_NODE}" --peer-urls="${peer}" 2>&1); do
        case "${out}" in
            *"unhealthy cluster"*) ;;
            *) fatal "etcd: member add of ${KA_NODE} (${peer}) refused: ${out##*Error: }" ;;
        esac
        [ "${waited}" -lt "${timeout}" ] || fatal "etcd: the cluster still refuses to add a member after ${timeout}s (unhealthy cluster: a member down?); check etcdctl endpoint health --cluster, then run install.sh again"
        info "etcd: the cluster is not ready to add a member yet (unhealthy cluster); again in ${poll}s"
        sleep "${poll}"
        waited=$((waited + poll))
    done
    awk 'NF && !/"level"/' <<<"${out}"
}

# members_list ENDPOINTS: "id status name peer-urls" a line (an unstarted member has no name yet: "-").
members_list() {
    members_etcdctl "$1" member list -w simple | awk -F', ' '{ print $1, $2, ($3 == "" ? "-" : $3), $4 }'
}

# members_id_of LIST NAME PEER_URL: the id of the member with that name or peer URL ("" when none).
members_id_of() {
    printf '%s\n' "$1" | awk -v name="$2" -v peer="$3" '$3 == name || $4 == peer { print $1; exit }'
}

# members_peer_urls LIST: the members' peer URLs, sorted, comma-separated.
members_peer_urls() {
    printf '%s\n' "$1" | awk 'NF { print $4 }' | LC_ALL=C sort | paste -sd, -
}

# members_cluster_urls INITIAL_CLUSTER: the peer URLs of --initial-cluster (name=url,...), sorted, comma-separated.
members_cluster_urls() {
    printf '%s\n' "$1" | tr ',' '\n' | sed 's/^[^=]*=//' | LC_ALL=C sort | paste -sd, -
}

# members_etcd_endpoints NAME: the client URLs of KA_ETCD_CLIENTS (name=host:port ...), comma-separated: every one
# for NAME "", else only NAME's ("" when NAME is no member).
members_etcd_endpoints() {
    local entry out=()
    for entry in ${KA_ETCD_CLIENTS}; do
        [ -z "${1:-}" ] || [ "${entry%%=*}" = "$1" ] || continue
        out+=("https://${entry#*=}")
    done
    local IFS=,
    printf '%s' "${out[*]+"${out[*]}"}"
}

# members_move_stale DIR: an etcd directory of a membership the cluster has removed; kept, renamed.
members_move_stale() {
    local dir=$1
    [ -e "${dir}" ] || return 0
    act "move ${dir} aside to ${dir}.removed-${BACKUP_STAMP} (data of a removed membership; kept, never deleted)" \
        mv -- "${dir}" "${dir}.removed-${BACKUP_STAMP}"
}

# members_etcd_join: before etcd's first start on a member that joins a running cluster, `etcdctl member add` it
# (unless it is listed already), then check that the cluster's members are the unit's --initial-cluster: etcd
# refuses to join otherwise.
members_etcd_join() {
    [ -n "${KA_ETCD_JOIN:-}" ] || return 0
    local unit data wal peer wanted list have
    unit=$(etcd_unit_file)
    [ -f "${unit}" ] || fatal "${unit}: not installed; a joining etcd member needs its unit first"
    peer=$(etcd_unit_flag "${unit}" initial-advertise-peer-urls)
    wanted=$(etcd_unit_flag "${unit}" initial-cluster)
    data=$(target "${KA_ETCD_DATA_DIR}")
    wal=$(target "${KA_ETCD_WAL_DIR}")
    if ! list=$(members_list "${KA_ETCD_JOIN}") || [ -z "${list}" ]; then
        if [ -d "${data}/member" ]; then
            info "etcd: ${KA_NODE} has joined already (${KA_ETCD_DATA_DIR}/member exists); the other members do not answer now"
            return 0
        fi
        fatal "etcd: ${KA_NODE} joins the running etcd cluster, but no member answers at ${KA_ETCD_JOIN} (with ${KA_ETCD_ADMIN_CERT}); start etcd on the existing members, then run install.sh again" "${EXIT_ETCD_WAITING:-8}"
    fi
    have=$(members_id_of "${list}" "${KA_NODE}" "${peer}")
    if [ -d "${data}/member" ]; then
        if [ -n "${have}" ]; then
            info "etcd: ${KA_NODE} has joined already (member ${have}, data in ${KA_ETCD_DATA_DIR})"
            return 0
        fi
        warn "etcd: ${KA_ETCD_DATA_DIR} holds data, but ${KA_NODE} is no member of the cluster (it was removed): it joins afresh"
        members_move_stale "${data}"
        [ "${wal}" = "${data}" ] || members_move_stale "${wal}"
    fi
    if [ -n "${have}" ]; then
        info "etcd: ${KA_NODE} (${peer}) is a member already (${have}, added by an earlier run); it starts with --initial-cluster-state=existing"
    else
        members_add "${peer}"
        [ "${DRY_RUN}" = 0 ] || return 0
        list=$(members_list "${KA_ETCD_JOIN}")
    fi
    if [ "$(members_peer_urls "${list}")" != "$(members_cluster_urls "${wanted}")" ]; then
        fatal "etcd: the cluster's members ($(members_peer_urls "${list}")) are not this bundle's --initial-cluster ($(members_cluster_urls "${wanted}")); etcd would refuse to join. The cluster changed since this bundle was built: build the bundles again from the current cluster.yaml"
    fi
    info "etcd: the cluster lists ${KA_NODE}; its members match --initial-cluster"
}

# members_kubectl ARGS...: kubectl with admin.conf against this node's own apiserver.
members_kubectl() {
    "$(target "${KA_BIN_DIR}")/kubectl" --kubeconfig "$(target "${KA_ADMIN_KUBECONFIG}")" --server "https://${KA_APISERVER_ADDRESS}" \
        --request-timeout=30s "$@" </dev/null
}

# members_remove_node NODE: drain it while its kubelet still runs (cordon, evict; DaemonSet pods stay), then delete
# the Node object. A Node that is not Ready (the machine is gone) is deleted without a drain: its pods go with it.
members_remove_node() {
    local node=$1 out ready
    if ! out=$(members_kubectl get node "${node}" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>&1); then
        case "${out}" in
            *NotFound* | *"not found"*)
                info "Node ${node}: not in the cluster (deleted already)"
                return 0
                ;;
        esac
        fatal "kubectl get node ${node} failed (is this node's apiserver up?): ${out}"
    fi
    ready=${out}
    if [ "${ready}" = True ]; then
        act "drain ${node}: cordon it and evict its pods (DaemonSet pods stay; emptyDir data is lost)" \
            members_kubectl drain "${node}" --ignore-daemonsets --delete-emptydir-data --force --timeout="${KA_DRAIN_TIMEOUT:-300}s"
    else
        warn "Node ${node} is not Ready (Ready=${ready:-unknown}): not drained; its pods are deleted with the Node"
    fi
    act "delete Node ${node}" members_kubectl delete node "${node}" --ignore-not-found
}

# members_remove_etcd NAME PEER_URL: remove the member from etcd (by name, or by peer URL when it never started).
members_remove_etcd() {
    local name=$1 peer=$2 endpoints list id
    endpoints=$(members_etcd_endpoints "") # every member
    [ -n "${endpoints}" ] || fatal "etcd: no etcd members in this bundle (KA_ETCD_CLIENTS) to remove ${name} from"
    list=$(members_list "${endpoints}") || fatal "etcd: no member answers at ${endpoints}; cannot remove ${name}"
    id=$(members_id_of "${list}" "${name}" "${peer}")
    if [ -z "${id}" ]; then
        info "etcd: ${name} (${peer}) is no member (removed already)"
        return 0
    fi
    act "etcd: remove member ${name} (${id}, ${peer}) from the cluster (etcdctl member remove)" \
        members_etcdctl "${endpoints}" member remove "${id}"
}

# members_remove_departed: the first control-plane node's duties for nodes removed from cluster.yaml: drain and
# delete each Node, then remove each etcd member (after the drain, so that the pods moved while it still served).
members_remove_departed() {
    [ -n "${KA_REMOVED_NODES:-}${KA_REMOVED_ETCD_MEMBERS:-}" ] || return 0
    local node entry
    for node in ${KA_REMOVED_NODES:-}; do
        members_remove_node "${node}"
    done
    for entry in ${KA_REMOVED_ETCD_MEMBERS:-}; do
        members_remove_etcd "${entry%%=*}" "${entry#*=}"
    done
}
