# shellcheck shell=bash
# Units in start order. containerd first, then the bundle's images (into containerd's k8s.io namespace,
# pinned) before anything can pull; etcd started without blocking and waited for until it has quorum (the
# other members may be installed hours later); the rest of the control plane; add-ons by whichever control-plane
# node finds its apiserver ready; kubelet and kube-proxy last. A unit is restarted only when its own inputs
# (KA_UNIT_INPUTS: binary, unit file, configs, certificates, keys) changed. Skipped under --root and --no-start.

# Exit code when etcd has no quorum yet (documented in install.sh).
readonly EXIT_ETCD_WAITING=8
readonly PINNED_LABEL=io.cri-containerd.pinned=pinned
readonly MANAGED_LABEL=io.cri-containerd.image=managed
readonly ADDONS_RECORD=kube-airgap-addons

systemd_running() {
    [ -d /run/systemd/system ]
}

can_start() {
    if [ -n "${ROOT}" ]; then
        info "$1: skipped under --root"
        return 1
    fi
    if [ "${NO_START}" = 1 ]; then
        info "$1: skipped (--no-start)"
        return 1
    fi
    if ! systemd_running; then
        warn "$1: skipped, systemd is not running on this host"
        return 1
    fi
    return 0
}

has_unit() {
    case " ${KA_UNITS} " in
        *" $1 "*) return 0 ;;
        *) return 1 ;;
    esac
}

# entry_of ARRAY_ITEMS... -- KEY: the value of KEY=VALUE among the items.
entry_of() {
    local key=$1 item
    shift
    for item in "$@"; do
        if [ "${item%%=*}" = "${key}" ]; then
            printf '%s' "${item#*=}"
            return 0
        fi
    done
    return 1
}

health_of() {
    entry_of "$1" "${KA_HEALTH[@]}" || printf 'systemd:'
}

# unbracket HOST: an IPv6 literal without its brackets ([::1] -> ::1), anything else unchanged.
unbracket() {
    local host=${1#[}
    printf '%s' "${host%]}"
}

# tcp_open HOST PORT: a TCP connection succeeds within 3 s.
tcp_open() {
    # shellcheck disable=SC2016 # expanded by the inner bash
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# check_health KIND:TARGET: one probe; 0 when healthy.
check_health() {
    local kind=${1%%:*} arg=${1#*:} host port path reply
    case "${kind}" in
        socket) [ -S "${arg}" ] ;;
        tcp)
            host=${arg%:*}
            port=${arg##*:}
            tcp_open "${host}" "${port}"
            ;;
        http)
            host=${arg%%:*}
            port=${arg#*:}
            path=/${port#*/}
            port=${port%%/*}
            # bash builtins only (no process per probe), and a read timeout: a member that accepted but cannot answer
            reply=$(exec 2>/dev/null 3<>"/dev/tcp/${host}/${port}" && printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "${path}" "${host}" >&3 &&
                IFS= read -r -t 10 line <&3 && printf '%s' "${line}") 2>/dev/null || return 1
            case "${reply}" in *" 200 "*) return 0 ;; *) return 1 ;; esac
            ;;
        readyz)
            # this node's own apiserver (https://<node-ip>:<port>), not another one behind kube-nginx
            host=${arg#https://}
            path=/${host#*/}
            host=${host%%/*}
            port=${host##*:}
            # a closed port costs no kubectl start (a Go binary and a TLS handshake, seconds on a slow machine)
            tcp_open "$(unbracket "${host%:*}")" "${port}" || return 1
            host=https://${host}
            "${KA_BIN_DIR}/kubectl" --kubeconfig "${KA_ADMIN_KUBECONFIG}" --server "${host}" --request-timeout=5s \
                get --raw "${path}" </dev/null >/dev/null 2>&1
            ;;
        etcd)
            "${KA_BIN_DIR}/etcdctl" --endpoints "https://${KA_NODE_IP}:${arg}" --cacert "${KA_ETCD_CACERT}" \
                --cert "${KA_ETCD_CERT}" --key "${KA_ETCD_KEY}" --command-timeout=5s endpoint health >/dev/null 2>&1
            ;;
        *) return 0 ;;
    esac
}

wait_healthy() {
    local unit=$1 health timeout=${KA_HEALTH_TIMEOUT:-180} waited=0
    health=$(health_of "${unit}")
    [ "${DRY_RUN}" = 0 ] || return 0
    until systemctl is-active -q "${unit}" && check_health "${health}"; do
        if [ "${waited}" -ge "${timeout}" ]; then
            fatal "${unit} is not healthy after ${timeout}s (check ${health}); see: journalctl -u ${unit}" 5
        fi
        sleep 2
        waited=$((waited + 2))
    done
    info "${unit} is healthy (${health})"
}

# --- state records (under KA_STATE_DIR; write_state is in lib/actions.sh) ---
read_state() {
    local file
    file=$(state_file "$1")
    [ ! -f "${file}" ] || cat "${file}"
}


# --- restart inputs ---
# inputs_hash UNIT: sha256 over the sha256 and path of every bundle file that is one of the unit's inputs.
inputs_hash() {
    local unit=$1 inputs mode sha secret bpath npath p sum
    local -a patterns
    inputs=$(entry_of "${unit}" "${KA_UNIT_INPUTS[@]}") || inputs=
    read -ra patterns <<<"${inputs}"
    sum=$(while IFS=$'\t' read -r mode sha secret bpath npath; do
        for p in "${patterns[@]+"${patterns[@]}"}"; do
            # shellcheck disable=SC2254 # the inputs are globs on purpose (var/lib/kubelet/pki/*)
            case "${bpath}" in
                ${p})
                    printf '%s %s\n' "${sha}" "${bpath}"
                    break
                    ;;
            esac
        done
        : "${mode}${secret}${npath}"
    done <"${BUNDLE_DIR}/lib/files.tsv" | sha256sum)
    printf '%s' "${sum%% *}"
}

# daemon-reload when a unit file changed in this run, or systemd says a unit's file is newer than what it loaded
# (a run interrupted after installing it).
reload_units() {
    local unit reload=0
    changed "etc/systemd/*" && reload=1
    for unit in ${KA_UNITS}; do
        [ "$(systemctl show -p NeedDaemonReload --value "${unit}" 2>/dev/null)" != yes ] || reload=1
    done
    [ "${reload}" = 0 ] || act "reload systemd" systemctl daemon-reload
}

# start_unit UNIT [--no-block]: enable (without systemctl's implicit daemon-reload: reload_units did the one reload
# this run needs, and a reload per unit cost ~20 s each on a slow host); restart when its inputs changed since the last start; else start when
# not running. The inputs' hash is recorded as soon as systemd has the job, so an interrupted run does not
# restart the unit twice.
start_unit() {
    local unit=$1 block=${2:-} hash
    hash=$(inputs_hash "${unit}")
    if ! systemctl is-enabled -q "${unit}" 2>/dev/null; then
        act "enable ${unit}" systemctl enable -q --no-reload "${unit}"
    fi
    if [ "$(read_state "inputs.${unit}")" != "${hash}" ]; then
        # a unit still activating (etcd waiting for its peers) is restarted too, so it runs with the new inputs
        case "$(systemctl is-active "${unit}" 2>/dev/null || true)" in
            active | activating | reloading)
                act "restart ${unit} (its inputs changed)" systemctl restart ${block:+"${block}"} "${unit}"
                ;;
            *) act "start ${unit}" systemctl start ${block:+"${block}"} "${unit}" ;;
        esac
        write_state "inputs.${unit}" "${hash}"
    elif ! systemctl is-active -q "${unit}"; then
        act "start ${unit}" systemctl start ${block:+"${block}"} "${unit}"
    fi
}

# --- etcd: quorum needs the other members, which may be installed much later ---
# unreachable_peers: "name host:port" of every other etcd member whose peer port does not answer.
unreachable_peers() {
    local peer name addr host port out=()
    for peer in ${KA_ETCD_PEERS}; do
        name=${peer%%=*}
        addr=${peer#*=}
        host=${addr%:*}
        port=${addr##*:}
        tcp_open "$(unbracket "${host}")" "${port}" || out+=("${name} ${addr}")
    done
    local IFS=,
    printf '%s' "${out[*]+"${out[*]}"}" | sed 's/,/, /g'
}

wait_etcd_quorum() {
    local timeout=${KA_ETCD_QUORUM_TIMEOUT:-900} poll=${KA_POLL_SECONDS:-2} waited=0 report=0 missing health
    [ "${DRY_RUN}" = 0 ] || return 0
    health=$(health_of etcd)
    until check_health "${health}"; do
        if [ "${waited}" -ge "${report}" ]; then
            missing=$(unreachable_peers)
            if [ -n "${missing}" ]; then
                info "waiting for etcd quorum: ${missing} not reachable; install the other etcd members"
            else
                info "waiting for etcd quorum: every peer answers; etcd is joining (journalctl -u etcd)"
            fi
            report=$((waited + 30))
        fi
        if [ "${waited}" -ge "${timeout}" ]; then
            missing=$(unreachable_peers)
            fatal "etcd on ${KA_NODE} has no quorum after ${timeout}s${missing:+ (${missing} not reachable)}; install the other etcd members, then run install.sh again on ${KA_NODE}: it goes on from here (KA_ETCD_QUORUM_TIMEOUT sets the wait)" "${EXIT_ETCD_WAITING}"
        fi
        sleep "${poll}"
        waited=$((waited + poll))
    done
    info "etcd has quorum (${health})"
}

# A control-plane node without etcd: the apiserver is ready only once the etcd cluster has quorum.
wait_apiserver() {
    if has_unit etcd; then
        wait_healthy kube-apiserver
        return 0
    fi
    local timeout=${KA_ETCD_QUORUM_TIMEOUT:-900} poll=${KA_POLL_SECONDS:-2} waited=0 health
    [ "${DRY_RUN}" = 0 ] || return 0
    health=$(health_of kube-apiserver)
    until systemctl is-active -q kube-apiserver && check_health "${health}"; do
        if [ "${waited}" -ge "${timeout}" ]; then
            fatal "kube-apiserver on ${KA_NODE} is not ready after ${timeout}s; the etcd members (${KA_ETCD_CLIENTS}) may not have quorum yet: install them, then run install.sh again" "${EXIT_ETCD_WAITING}"
        fi
        sleep "${poll}"
        waited=$((waited + poll))
    done
    info "kube-apiserver is healthy (${health})"
}

# --- images: present = in containerd's own list with the bundle's digest, and pinned ---
ctr_k8s() {
    "${KA_BIN_DIR}/ctr" --address "${KA_CONTAINERD_SOCKET}" -n k8s.io "$@"
}

ctr_k8s_quiet() {
    ctr_k8s "$@" >/dev/null
}

# archive_images: "name digest" of every image the archive's index.json names (io.containerd.image.name, which
# ctr import names images by; the Images stage writes the digest before the annotations of each entry).
archive_images() {
    tar -xOf "${KA_IMAGES_ARCHIVE}" index.json |
        grep -oE '"digest"[[:space:]]*:[[:space:]]*"sha256:[0-9a-f]{64}"|"io\.containerd\.image\.name"[[:space:]]*:[[:space:]]*"[^"]+"' |
        awk -F'"' '$2 == "digest" { d = $4; next } d != "" { print $4, d; d = "" }'
}

# missing_images: the archive's images that containerd does not hold with the same digest and pinned.
missing_images() {
    local listing images
    listing=$(ctr_k8s images ls | awk 'NR > 1 { print $1, $3, $NF }')
    images=$(archive_images)
    awk -v pin="${PINNED_LABEL}" '
        NR == FNR { if (index("," $3 ",", "," pin ",")) ok[$1 " " $2] = 1; next }
        !(($1 " " $2) in ok) { print $1 }' <(printf '%s\n' "${listing}") <(printf '%s\n' "${images}")
}

import_images() {
    has_unit containerd || return 0
    [ -f "${KA_IMAGES_ARCHIVE}" ] || return 0
    [ "${DRY_RUN}" = 0 ] || { info "[dry-run] would import and pin the images of ${KA_IMAGES_ARCHIVE}"; return 0; }
    local missing name total
    total=$(archive_images | wc -l)
    missing=$(missing_images)
    if [ -z "${missing}" ]; then
        info "images: all ${total} present in containerd (k8s.io) with the bundle's digests, pinned"
        return 0
    fi
    info "images: $(printf '%s\n' "${missing}" | wc -l) of ${total} missing, with another digest or unpinned"
    act "import ${KA_IMAGES_ARCHIVE} into containerd (k8s.io)" ctr_k8s_quiet images import "${KA_IMAGES_ARCHIVE}"
    while read -r name; do
        act "pin ${name} (${PINNED_LABEL})" ctr_k8s_quiet images label "${name}" "${PINNED_LABEL}" "${MANAGED_LABEL}"
    done <<<"${missing}"
    missing=$(missing_images)
    [ -z "${missing}" ] || fatal "images: after import, containerd still lacks (or holds another digest of): ${missing//$'\n'/, }" 1
    info "images: all ${total} present and pinned"
}

# --- add-ons: applied by whichever control-plane node finds its apiserver ready; recorded in the cluster ---
addons_hash() {
    local sum
    sum=$(cd "${KA_ADDONS_DIR}" && find . -type f -name '*.yaml' | LC_ALL=C sort | xargs -r sha256sum | sha256sum)
    printf '%s' "${sum%% *}"
}

# kubectl_admin KUBECONFIG ARGS...: kubectl against this node's own apiserver; stdin is the caller's.
kubectl_admin() {
    "${KA_BIN_DIR}/kubectl" --kubeconfig "$1" --server "https://${KA_APISERVER_ADDRESS}" --request-timeout=30s "${@:2}"
}

# record_addons KUBECONFIG SHA256: the ConfigMap that tells every control-plane node what is applied.
record_addons() {
    kubectl_admin "$1" -n kube-system create configmap "${ADDONS_RECORD}" --from-literal=sha256="$2" \
        --from-literal=node="${KA_NODE}" --dry-run=client -o yaml </dev/null |
        kubectl_admin "$1" apply --server-side --force-conflicts --field-manager=kube-airgap -f - >/dev/null
}

# apply_addons_once KUBECONFIG: server-side apply of every add-on, again after a failure (an apiserver whose etcd
# is electing a leader answers InternalError for a moment; the apply is idempotent), up to KA_ADDON_ATTEMPTS times.
apply_addons_once() {
    local attempt=1 attempts=${KA_ADDON_ATTEMPTS:-3} pause=${KA_POLL_SECONDS:-2}
    until kubectl_admin "$1" apply --server-side --force-conflicts --field-manager=kube-airgap -R -f "${KA_ADDONS_DIR}" </dev/null; do
        [ "${attempt}" -lt "${attempts}" ] || return 1
        warn "add-ons: apply attempt ${attempt} of ${attempts} failed; again in $((pause * 5))s"
        sleep $((pause * 5))
        attempt=$((attempt + 1))
    done
}

apply_addons() {
    case " ${KA_ROLES} " in
        *" control-plane "*) ;;
        *) return 0 ;;
    esac
    can_start "add-ons" || return 0
    [ -d "${KA_ADDONS_DIR}" ] || return 0
    local sum applied kubeconfig=${KA_SUPER_ADMIN_KUBECONFIG}
    # as kubeadm init does: the break-glass super-admin (system:masters) creates the RBAC that gives admin.conf's
    # group its rights; the other control-plane nodes use admin.conf once that binding exists
    [ -f "${kubeconfig}" ] || kubeconfig=${KA_ADMIN_KUBECONFIG}
    sum=$(addons_hash)
    applied=$(kubectl_admin "${kubeconfig}" -n kube-system get configmap "${ADDONS_RECORD}" -o 'jsonpath={.data.sha256}' </dev/null 2>/dev/null) || applied=''
    if [ "${applied}" = "${sum}" ]; then
        info "add-ons: already applied (${ADDONS_RECORD} in kube-system records sha256 ${sum})"
    elif [ "${kubeconfig}" = "${KA_ADMIN_KUBECONFIG}" ] &&
        [ "$(kubectl_admin "${kubeconfig}" auth can-i create clusterrolebindings </dev/null 2>/dev/null)" != yes ]; then
        info "add-ons: admin.conf has no rights yet; the first control-plane node (${KA_FIRST_CONTROL_PLANE}) applies them with super-admin.conf"
        return 0
    else
        act "apply add-ons from ${KA_ADDONS_DIR} (server-side, field manager kube-airgap)" \
            apply_addons_once "${kubeconfig}"
        if [ "${DRY_RUN}" = 0 ]; then
            record_addons "${kubeconfig}" "${sum}"
        fi
        info "add-ons: applied by ${KA_NODE} (sha256 ${sum})"
    fi
    retire_super_admin
}

# --- the sequence ---
# start_timers: every timer of this node's roles (KA_TIMERS, e.g. etcd-backup), enabled and started once the units
# run; a timer whose files changed is restarted with the daemon-reload above.
start_timers() {
    local timer
    for timer in ${KA_TIMERS:-}; do
        if ! systemctl is-enabled -q "${timer}.timer" 2>/dev/null; then
            act "enable ${timer}.timer" systemctl enable -q --no-reload "${timer}.timer"
        fi
        if ! systemctl is-active -q "${timer}.timer"; then
            act "start ${timer}.timer" systemctl start "${timer}.timer"
        elif changed "etc/systemd/system/${timer}.*"; then
            act "restart ${timer}.timer (its files changed)" systemctl restart "${timer}.timer"
        fi
    done
}

# changed_inputs UNIT: the files of this run that are among the unit's restart inputs (space-separated).
changed_inputs() {
    local inputs p c out=()
    local -a patterns
    inputs=$(entry_of "$1" "${KA_UNIT_INPUTS[@]}") || inputs=
    read -ra patterns <<<"${inputs}"
    for c in "${CHANGED_PATHS[@]+"${CHANGED_PATHS[@]}"}"; do
        for p in "${patterns[@]+"${patterns[@]}"}"; do
            # shellcheck disable=SC2254 # the inputs are globs on purpose (var/lib/kubelet/pki/*)
            case "${c}" in
                ${p})
                    out+=("${c}")
                    break
                    ;;
            esac
        done
    done
    printf '%s' "${out[*]+"${out[*]}"}"
}

# report_restarts: when units are not started (--root, --no-start, no systemd), what the restart rule decides per
# unit: restart (inputs changed since its last recorded start), start (never started) or unchanged. Under --root the
# tree's units will start with these inputs, so they are recorded; otherwise the next install run restarts them.
report_restarts() {
    local unit hash recorded files
    for unit in ${KA_UNITS}; do
        hash=$(inputs_hash "${unit}")
        recorded=$(read_state "inputs.${unit}")
        files=$(changed_inputs "${unit}")
        if [ -z "${recorded}" ]; then
            info "unit ${unit}: start (no inputs recorded yet)"
        elif [ "${recorded}" != "${hash}" ]; then
            info "unit ${unit}: restart (its inputs changed${files:+: ${files}})"
        else
            info "unit ${unit}: unchanged, no restart"
            continue
        fi
        if [ -n "${ROOT}" ]; then
            write_state "inputs.${unit}" "${hash}"
        fi
    done
}

start_services() {
    if ! can_start "starting units"; then
        report_restarts
        return 0
    fi
    reload_units
    local unit
    for unit in ${KA_UNITS}; do
        # held by an upgrade (lib/upgrade.sh): not newer than an apiserver it reaches; install again releases it
        case " ${UPGRADE_HELD:-} " in
            *" ${unit} "*)
                warn "${unit}: held at its running version (version-skew policy); not restarted in this run"
                continue
                ;;
        esac
        case "${unit}" in
            etcd)
                members_etcd_join
                start_unit etcd --no-block
                wait_etcd_quorum
                ;;
            kube-apiserver)
                # not blocking on systemd's start job (Type=notify, 90 s): on a slow host the installer's own,
                # longer wait decides, and names what it waits for
                start_unit kube-apiserver --no-block
                wait_apiserver
                ;;
            *)
                start_unit "${unit}"
                wait_healthy "${unit}"
                ;;
        esac
        # images right after containerd, before kubelet or kube-proxy can start a pod
        [ "${unit}" != containerd ] || import_images
    done
    start_timers
    apply_addons
    members_remove_departed
}
