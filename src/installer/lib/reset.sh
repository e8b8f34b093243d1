# shellcheck shell=bash
# uninstall's host steps, in kubeadm reset's order: stop kubelet, remove every pod and container through CRI,
# unmount what is mounted under kubelet's directory, stop containerd together with its shims and whatever container
# it left running (runc), remove the network
# state that Calico and kube-proxy created. Each step runs on its own: a failing step is reported, the others
# still run, and uninstall ends non-zero (RESET_FAILED names the steps).

RESET_FAILED=()

# Network state to remove: Calico's and kube-proxy's, by upstream's names (calico node: tunl0, vxlan.calico,
# vxlan-v6.calico, cali<hash> veths, table calico; kube-proxy: table kube-proxy, KUBE-* chains; IPVS: kube-ipvs0).
RESET_LINK_PATTERNS=(tunl0 'vxlan.calico' 'vxlan-v6.calico' 'cali*' kube-ipvs0)
RESET_NFT_TABLES=(kube-proxy calico)
RESET_CHAIN_PREFIXES=(KUBE- cali-)
# CNI configuration and state the Calico add-on writes on the node (its install-cni container).
RESET_CNI_PATHS=(10-calico.conflist calico-kubeconfig)
RESET_CNI_STATE_DIRS=(/var/lib/calico /var/run/calico /run/calico /var/log/calico)

# on_host STEP: host steps act on the running system, which --root is not (KA_RESET_HOST=1 runs them anyway).
on_host() {
    if [ -n "${ROOT}" ] && [ "${KA_RESET_HOST:-0}" != 1 ]; then
        info "$1: skipped under --root"
        return 1
    fi
    return 0
}

# reset_step NAME FUNCTION: run FUNCTION in a subshell with set -e in force (not in a condition); a failure is
# reported and remembered, and the next step runs.
reset_step() {
    local name=$1 rc=0 pid
    shift
    ("$@") &
    pid=$!
    wait "${pid}" || rc=$?
    if [ "${rc}" -ne 0 ]; then
        warn "uninstall step failed: ${name} (exit ${rc}); going on with the other steps"
        RESET_FAILED+=("${name}")
    fi
}

have_systemd() {
    command -v systemctl >/dev/null 2>&1 && [ -d "${KA_SYSTEMD_RUN:-/run/systemd/system}" ]
}

unit_listed() {
    case " ${KA_UNITS} " in *" $1 "*) return 0 ;; *) return 1 ;; esac
}

stop_kubelet() {
    unit_listed kubelet || return 0
    on_host "stop kubelet" || return 0
    if ! have_systemd; then
        info "stop kubelet: systemd is not running on this host"
        return 0
    fi
    act "stop kubelet" systemctl stop kubelet
}

# Every pod sandbox and container through CRI, with the crictl of the installed bin directory.
remove_pods() {
    unit_listed containerd || return 0
    on_host "remove pods and containers through CRI" || return 0
    local crictl socket id
    crictl="$(target "${KA_BIN_DIR}")/crictl"
    socket=$(target "${KA_CONTAINERD_SOCKET}")
    if [ ! -x "${crictl}" ]; then
        warn "remove pods: ${KA_BIN_DIR}/crictl is not installed; pods are not removed through CRI (stopping containerd below kills their shims)"
        return 0
    fi
    if [ ! -S "${socket}" ]; then
        info "remove pods: containerd is not running (no socket ${KA_CONTAINERD_SOCKET})"
        return 0
    fi
    crictl=("${crictl}" --runtime-endpoint "unix://${socket}" --timeout 30s)
    # A list that fails must not read as "no pods" (a failing command substitution in a for list is not an error
    # under set -e): it is said, and the containers are stopped through runc once containerd is down (as kubeadm
    # reset warns and goes on when it cannot remove containers).
    local pods containers
    if ! pods=$("${crictl[@]}" pods -q); then
        warn "remove pods: crictl could not list the pod sandboxes (its error is above); their containers are stopped through runc after containerd"
        return 0
    fi
    for id in ${pods}; do
        act "stop pod sandbox ${id}" "${crictl[@]}" stopp "${id}"
        act "remove pod sandbox ${id}" "${crictl[@]}" rmp -f "${id}"
    done
    if ! containers=$("${crictl[@]}" ps -a -q); then
        warn "remove containers: crictl could not list the containers (its error is above); they are stopped through runc after containerd"
        return 0
    fi
    for id in ${containers}; do
        act "remove container ${id}" "${crictl[@]}" rm -f "${id}"
    done
}

# mounts_under DIR...: mount points (from mountinfo) at or below each DIR, deepest first.
mounts_under() {
    local info=${KA_PROC:-/proc}/self/mountinfo dir
    [ -r "${info}" ] || return 0
    for dir in "$@"; do
        dir=$(target "${dir}")
        awk -v d="${dir}" '{ p = $5; gsub(/\\040/, " ", p); if (p == d || index(p, d "/") == 1) print p }' "${info}"
    done | awk -F/ '{ print NF "\t" $0 }' | LC_ALL=C sort -t "$(printf '\t')" -k1,1nr -k2,2r -u | cut -f2-
}

unmount_under() {
    local m
    while IFS= read -r m; do
        [ -n "${m}" ] || continue
        act "unmount ${m}" umount "${m}"
    done < <(mounts_under "$@")
}

unmount_kubelet() {
    on_host "unmount under ${KA_KUBELET_DIR}" || return 0
    unmount_under "${KA_KUBELET_DIR}"
}

# containerd's unit has KillMode=process: stopping it leaves the shims (and their containers) running in its
# cgroup. They are signalled there, TERM first, KILL after 10 s.
# alive PID: running, not a zombie waiting for its parent.
alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

# The processes of containerd.service's cgroup (v2, or v1's systemd/pids hierarchy), one per line.
containerd_cgroup_procs() {
    local cg=${KA_SYS:-/sys}/fs/cgroup f pid
    for f in "${cg}/system.slice/containerd.service/cgroup.procs" \
        "${cg}/systemd/system.slice/containerd.service/cgroup.procs" \
        "${cg}/pids/system.slice/containerd.service/cgroup.procs"; do
        [ -r "${f}" ] || continue
        while read -r pid; do
            if alive "${pid}"; then
                printf '%s\n' "${pid}"
            fi
        done <"${f}"
        return 0
    done
}

stop_containerd() {
    unit_listed containerd || return 0
    on_host "stop containerd and its shims" || return 0
    local pids waited=0
    if have_systemd; then
        act "stop containerd" systemctl stop containerd
    fi
    pids=$(containerd_cgroup_procs | tr '\n' ' ')
    [ -n "${pids// /}" ] || return 0
    # shellcheck disable=SC2086 # one argument per pid
    act "stop what containerd left running (its shims: ${pids% })" kill -TERM ${pids}
    while [ -n "$(containerd_cgroup_procs)" ] && [ "${waited}" -lt 10 ] && [ "${DRY_RUN}" = 0 ]; do
        sleep 1
        waited=$((waited + 1))
    done
    pids=$(containerd_cgroup_procs | tr '\n' ' ')
    [ -n "${pids// /}" ] || return 0
    # shellcheck disable=SC2086
    act "kill what is left of containerd's shims: ${pids% }" kill -KILL ${pids}
}

# runc_state_roots: runc's state root of each containerd namespace (k8s.io, and any other) that holds containers.
runc_state_roots() {
    local ns
    for ns in "$(target "${KA_RUNC_ROOT}")"/*/; do
        [ -d "${ns}" ] || continue
        printf '%s\n' "${ns%/}"
    done
}

# Containers still known to runc once containerd and its shims are gone: CRI could not remove them (crictl failed or
# is missing), or their shim was killed. A killed shim does not take its container with it: the container's
# processes live in the pod's cgroup, not in containerd's. `runc delete --force` kills every process of the
# container and removes its cgroup; the step fails if any container is still there afterwards.
stop_runc_containers() {
    unit_listed containerd || return 0
    on_host "stop the containers containerd left running (runc)" || return 0
    local runc state id ids left=()
    runc="$(target "${KA_BIN_DIR}")/runc"
    [ -n "$(runc_state_roots)" ] || return 0
    if [ ! -x "${runc}" ]; then
        warn "stop containers: ${KA_BIN_DIR}/runc is not installed; containers under ${KA_RUNC_ROOT} are not stopped"
        return 1
    fi
    while IFS= read -r state; do
        ids=$("${runc}" --root "${state}" list -q) || { warn "stop containers: runc could not list ${state} (its error is above)"; return 1; }
        for id in ${ids}; do
            act "stop and delete container ${id} (runc, ${state##*/})" "${runc}" --root "${state}" delete --force "${id}"
        done
        [ "${DRY_RUN}" = 0 ] || continue
        ids=$("${runc}" --root "${state}" list -q) || return 1
        for id in ${ids}; do left+=("${state##*/}/${id}"); done
    done < <(runc_state_roots)
    if [ "${#left[@]}" -gt 0 ]; then
        warn "stop containers: still known to runc after delete --force: ${left[*]}"
        return 1
    fi
}

unmount_containerd() {
    on_host "unmount containerd's and the pods' leftovers" || return 0
    local ns
    unmount_under "${KA_CONTAINERD_STATE}" "${KA_CONTAINERD_ROOT}"
    for ns in /run/netns/cni-*; do
        [ -e "$(target "${ns}")" ] || continue
        unmount_under "${ns}"
    done
}

remove_cni_config() {
    local f d
    for f in "${RESET_CNI_PATHS[@]}"; do
        f=${KA_CNI_CONF_DIR}/${f}
        [ -e "$(target "${f}")" ] || continue
        act "remove CNI config ${f}" rm -f -- "$(target "${f}")"
    done
    for d in "${RESET_CNI_STATE_DIRS[@]}"; do
        [ -e "$(target "${d}")" ] || continue
        act "remove CNI state ${d}" rm -rf --one-file-system -- "$(target "${d}")"
    done
}

link_matches() {
    local p
    for p in "${RESET_LINK_PATTERNS[@]}"; do
        # shellcheck disable=SC2053 # glob patterns on purpose
        [[ "$1" == ${p} ]] && return 0
    done
    return 1
}

remove_links() {
    on_host "remove network interfaces" || return 0
    command -v ip >/dev/null 2>&1 || { info "remove network interfaces: no ip command"; return 0; }
    local name
    for name in $(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
        link_matches "${name}" || continue
        if [ "${name}" = tunl0 ]; then
            # the ipip module's fallback device; it cannot be deleted while the module is loaded or built in
            act "take down ${name} and remove its addresses" ip addr flush dev "${name}"
            act "set ${name} down" ip link set "${name}" down
            unload_ipip
        else
            act "delete interface ${name}" ip link delete "${name}"
        fi
    done
}

# unload_ipip: tunl0 goes only with the ipip module. Unload it when it is a loadable module nothing holds (refcnt 0:
# no other IP-in-IP tunnel); built in or in use, tunl0 stays, down and without addresses.
unload_ipip() {
    local refcnt="${KA_SYS:-/sys}/module/ipip/refcnt"
    if [ ! -f "${refcnt}" ]; then
        info "tunl0 stays (down, no address): the ipip module is built into this kernel"
    elif [ "$(cat "${refcnt}")" != 0 ]; then
        info "tunl0 stays (down, no address): the ipip module is in use by $(cat "${refcnt}") other tunnel(s)"
    else
        act "unload the ipip module (tunl0, its fallback device, goes with it)" modprobe -r ipip
    fi
}

remove_nft_tables() {
    on_host "remove nft tables" || return 0
    command -v nft >/dev/null 2>&1 || { info "remove nft tables: no nft command"; return 0; }
    local family name t
    while read -r _ family name; do
        for t in "${RESET_NFT_TABLES[@]}"; do
            [ "${name}" = "${t}" ] || continue
            act "delete nft table ${family} ${name}" nft delete table "${family}" "${name}"
        done
    done < <(nft list tables)
}

# filter_chains: an iptables-save dump without the chains named RESET_CHAIN_PREFIXES, the rules in them and the
# rules that jump to them.
filter_chains() {
    awk -v prefixes="${RESET_CHAIN_PREFIXES[*]}" '
        BEGIN { n = split(prefixes, pre, " ") }
        function ours(c,   i) { for (i = 1; i <= n; i++) if (index(c, pre[i]) == 1) return 1; return 0 }
        /^:/ { if (ours(substr($1, 2))) next }
        /^-A / {
            if (ours($2)) next
            for (i = 3; i < NF; i++) if (($i == "-j" || $i == "-g") && ours($(i + 1))) next
        }
        { print }'
}

remove_iptables_chains() {
    on_host "remove iptables chains" || return 0
    local tool dump filtered
    for tool in iptables ip6tables; do
        command -v "${tool}-save" >/dev/null 2>&1 || continue
        dump=$("${tool}-save")
        filtered=$(printf '%s\n' "${dump}" | filter_chains)
        [ "${filtered}" != "${dump}" ] || continue
        act "remove kube-proxy's and Calico's ${tool} chains (${RESET_CHAIN_PREFIXES[*]})" \
            "${tool}-restore" <<<"${filtered}"
    done
}

reset_node() {
    reset_step "stop kubelet" stop_kubelet
    reset_step "remove pods and containers (CRI)" remove_pods
    reset_step "unmount under ${KA_KUBELET_DIR}" unmount_kubelet
    reset_step "stop containerd and its shims" stop_containerd
    reset_step "stop the containers containerd left running (runc)" stop_runc_containers
    reset_step "unmount containerd leftovers" unmount_containerd
    reset_step "remove CNI config" remove_cni_config
    reset_step "remove network interfaces" remove_links
    reset_step "remove nft tables" remove_nft_tables
    reset_step "remove iptables chains" remove_iptables_chains
}
