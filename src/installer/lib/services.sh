# shellcheck shell=bash
# Units in dependency order, each waited for by its health check; images into containerd's k8s.io
# namespace; add-ons applied once, by the first control-plane node. Skipped under --root and --no-start.

can_start() {
    if [ -n "${ROOT}" ]; then
        info "$1: skipped under --root"
        return 1
    fi
    if [ "${NO_START}" = 1 ]; then
        info "$1: skipped (--no-start)"
        return 1
    fi
    if [ ! -d /run/systemd/system ]; then
        warn "$1: skipped, systemd is not running on this host"
        return 1
    fi
    return 0
}

health_of() {
    local unit=$1 h
    for h in "${KA_HEALTH[@]}"; do
        if [ "${h%%=*}" = "${unit}" ]; then
            printf '%s' "${h#*=}"
            return 0
        fi
    done
    printf 'systemd:'
}

# check_health KIND:TARGET: one probe; 0 when healthy.
check_health() {
    local kind=${1%%:*} arg=${1#*:} host port path reply
    case "${kind}" in
        socket) [ -S "${arg}" ] ;;
        tcp)
            host=${arg%:*}
            port=${arg##*:}
            (exec 3<>"/dev/tcp/${host}/${port}") 2>/dev/null
            ;;
        http)
            host=${arg%%:*}
            port=${arg#*:}
            path=/${port#*/}
            port=${port%%/*}
            reply=$(exec 3<>"/dev/tcp/${host}/${port}" && printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "${path}" "${host}" >&3 && head -n1 <&3) 2>/dev/null || return 1
            case "${reply}" in *" 200 "*) return 0 ;; *) return 1 ;; esac
            ;;
        kubectl)
            "${KA_BIN_DIR}/kubectl" --kubeconfig "${KA_ADMIN_KUBECONFIG}" --request-timeout=5s get --raw "${arg}" </dev/null >/dev/null 2>&1
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

start_units() {
    can_start "starting units" || return 0
    local unit reload=0 restart
    for unit in ${KA_UNITS}; do
        changed "etc/systemd/system/${unit}.service" && reload=1
    done
    changed "etc/systemd/system/*" && reload=1
    [ "${reload}" = 0 ] || act "reload systemd" systemctl daemon-reload
    for unit in ${KA_UNITS}; do
        restart=0
        if changed "etc/systemd/system/${unit}.service" || changed "bin/${unit}" || changed "bin/current" ||
            changed "etc/*" || changed "pki/*" || changed "var/*"; then
            restart=1
        fi
        systemctl is-enabled -q "${unit}" 2>/dev/null || act "enable ${unit}" systemctl enable -q "${unit}"
        if ! systemctl is-active -q "${unit}"; then
            act "start ${unit}" systemctl start "${unit}"
        elif [ "${restart}" = 1 ]; then
            act "restart ${unit} (its files changed)" systemctl restart "${unit}"
        fi
        wait_healthy "${unit}"
    done
}

import_images() {
    case " ${KA_UNITS} " in
        *" containerd "*) ;;
        *) return 0 ;;
    esac
    can_start "image import" || return 0
    local archive sha marker
    archive=${KA_IMAGES_ARCHIVE}
    [ -f "${archive}" ] || return 0
    sha=$(file_sha "${archive}")
    marker=$(state_file images.imported)
    if [ -f "${marker}" ] && [ "$(cat "${marker}")" = "${sha}" ]; then
        info "images: already imported"
        return 0
    fi
    act "import images into containerd (k8s.io)" "${KA_BIN_DIR}/ctr" --address "${KA_CONTAINERD_SOCKET}" -n k8s.io images import "${archive}"
    put_content "${KA_STATE_DIR}/images.imported" 0644 "${sha}"
}

apply_addons() {
    [ "${KA_NODE}" = "${KA_FIRST_CONTROL_PLANE}" ] || return 0
    can_start "add-ons" || return 0
    local dir sums marker
    dir=${KA_ADDONS_DIR}
    [ -d "${dir}" ] || return 0
    sums=$(cd "${dir}" && find . -type f -name '*.yaml' | LC_ALL=C sort | xargs -r sha256sum | sha256sum)
    sums=${sums%% *}
    marker=$(state_file addons.applied)
    if [ -f "${marker}" ] && [ "$(cat "${marker}")" = "${sums}" ]; then
        info "add-ons: already applied"
        return 0
    fi
    wait_healthy kube-apiserver
    # as kubeadm init does: the break-glass super-admin (system:masters) creates the RBAC that gives
    # admin.conf's group its rights; admin.conf is the fallback when the node has no super-admin.conf
    local kubeconfig=${KA_SUPER_ADMIN_KUBECONFIG}
    [ -f "${kubeconfig}" ] || kubeconfig=${KA_ADMIN_KUBECONFIG}
    act "apply add-ons from ${dir}" "${KA_BIN_DIR}/kubectl" --kubeconfig "${kubeconfig}" apply -R -f "${dir}" </dev/null
    put_content "${KA_STATE_DIR}/addons.applied" 0644 "${sums}"
}
