# shellcheck shell=bash
# The install command: files, the current symlink, data directories, system preparation (swap, sysctl,
# modules, kubelet's resolv.conf, NetworkManager), then units, images and add-ons (lib/services.sh). Every step compares what is there with the bundle first, so a second run changes nothing.

CHANGED_PATHS=()

require_root() {
    if [ "$(id -u)" != 0 ]; then
        fatal "run as root (sudo $0 ...)"
    fi
}

changed() {
    local want=$1 p
    for p in "${CHANGED_PATHS[@]+"${CHANGED_PATHS[@]}"}"; do
        # shellcheck disable=SC2254 # the pattern is a glob on purpose (etc/*)
        case "${p}" in
            ${want}) return 0 ;;
        esac
    done
    return 1
}

# --- files from the bundle ---
install_files() {
    local mode sha secret bpath npath count=0
    while IFS=$'\t' read -r mode sha secret bpath npath; do
        [ -n "${bpath}" ] || continue
        count=$((count + 1))
        put_file "${BUNDLE_DIR}/${bpath}" "${mode}" "${sha}" "${npath}"
        if [ "${PUT_CHANGED}" = 1 ]; then
            CHANGED_PATHS+=("${bpath}")
        fi
        : "${secret}"
    done <"${BUNDLE_DIR}/lib/files.tsv"
    info "files: ${count} in the bundle, ${#CHANGED_PATHS[@]} installed or updated"
}

# --- versioned binaries: <prefix>/<version>/bin, reached through <prefix>/current ---
switch_current() {
    local link current
    link=$(target "${KA_PREFIX}/current")
    if [ -L "${link}" ]; then
        current=$(readlink "${link}")
        [ "${current}" != "${KA_VERSION_DIR}" ] || return 0
        if [ ! -f "$(state_file previous-version)" ]; then
            record previous-version "${current}"
        fi
    elif [ -e "${link}" ]; then
        fatal "${KA_PREFIX}/current exists and is not a symlink; move it away first"
    fi
    act "switch ${KA_PREFIX}/current to ${KA_VERSION_DIR}" ln -sfn "${KA_VERSION_DIR}" "${link}"
    CHANGED_PATHS+=("bin/current")
}

# --- data directories: created when missing, with the mode their component would give them (KA_NODE_DATA_DIRS:
# mode:path, the rows of this node's roles), before anything is installed into them or started; so they are install's
# (dirs.list) and uninstall --purge deletes them. One that was there before is the host's: kept, never emptied.
prepare_data_dirs() {
    local entry mode d
    for entry in ${KA_NODE_DATA_DIRS}; do
        mode=${entry%%:*}
        d=${entry#*:}
        if [ -d "$(target "${d}")" ]; then
            info "keeping existing data directory ${d}"
        else
            CHANGES=$((CHANGES + 1))
            ensure_dir "$(dirname "${d}")"
            ensure_dir "${d}" "${mode}"
            [ "${DRY_RUN}" = 1 ] || info "created data directory ${d} (${mode})"
        fi
    done
}

record_installed() {
    put_content "${KA_STATE_DIR}/installed.env" 0644 "$(printf "KA_CLUSTER='%s'\nKA_NODE='%s'\nKA_KUBERNETES_VERSION='%s'\nKA_VERSION_DIR='%s'\n" \
        "${KA_CLUSTER}" "${KA_NODE}" "${KA_KUBERNETES_VERSION}" "${KA_VERSION_DIR}")"
}

# --- system preparation: swap off for good, sysctl, kernel modules ---
# kubelet refuses to start with swap on. Commenting out /etc/fstab is not enough: systemd's swap units (from
# fstab, GPT auto-discovery or zram) come back at boot. As kubespray does: swapoff, mask every swap unit and
# swap.target, and stop the zram generators.
swap_off() {
    local fstab
    fstab=$(target /etc/fstab)
    if [ -f "${fstab}" ] && grep -Eq '^[^#]\S*\s+\S+\s+swap\s' "${fstab}"; then
        backup /etc/fstab
        act "comment out swap in /etc/fstab" sed -i -E 's/^([^#]\S*\s+\S+\s+swap\s)/# kube-airgap: \1/' "${fstab}"
    fi
    disable_zram_generator
    if [ -n "${ROOT}" ]; then
        return 0
    fi
    if [ "$(wc -l <"${KA_PROC:-/proc}/swaps")" -gt 1 ]; then
        act "turn swap off" swapoff -a
    fi
    mask_swap_units
}

# mask_swap_units: every swap unit systemd knows, swap.target and Debian's zramswap.service, masked.
mask_swap_units() {
    systemd_running || return 0
    local unit
    for unit in $(systemctl list-units --type swap --all --plain --no-legend 2>/dev/null | awk '{ print $1 }') swap.target zramswap.service; do
        case "$(systemctl is-enabled "${unit}" 2>/dev/null || true)" in  # a query: not enabled is an answer, not an error
            masked | masked-runtime) continue ;;
        esac
        if [ "${unit}" = zramswap.service ] && [ -z "$(systemctl list-unit-files --no-legend "${unit}" 2>/dev/null)" ]; then
            continue
        fi
        act "mask ${unit} (swap stays off after a reboot)" systemctl mask -q "${unit}"
    done
}

# disable_zram_generator: systemd's zram-generator reads /etc/systemd/zram-generator.conf before the
# distribution's /usr/lib one; a file without a [zramN] section creates no zram swap.
disable_zram_generator() {
    local g found=0
    for g in /usr/lib/systemd/system-generators/zram-generator /lib/systemd/system-generators/zram-generator; do
        [ ! -e "$(target "${g}")" ] || found=1
    done
    [ "${found}" = 1 ] || return 0
    put_content /etc/systemd/zram-generator.conf 0644 "# kube-airgap: no zram swap on a Kubernetes node (kubelet needs swap off)
"
}

# --- host integration: DNS for kubelet, NetworkManager and Calico ---
# kubelet's resolvConf (KA_KUBELET_RESOLV_CONF) is a symlink: on a systemd-resolved host (127.0.0.53 in
# /etc/resolv.conf) to /run/systemd/resolve/resolv.conf, which lists the real upstream servers (as kubeadm
# does: the stub would make CoreDNS forward to itself); otherwise to /etc/resolv.conf.
kubelet_resolv_source() {
    if grep -Eq '^[[:space:]]*nameserver[[:space:]]+127\.0\.0\.53([[:space:]]|$)' "$(target /etc/resolv.conf)" 2>/dev/null &&
        [ -f "$(target /run/systemd/resolve/resolv.conf)" ]; then
        printf /run/systemd/resolve/resolv.conf
    else
        printf /etc/resolv.conf
    fi
}

link_resolv_conf() {
    has_unit kubelet || return 0
    if [ -n "${ROOT}" ]; then
        info "kubelet resolv.conf link: skipped under --root (${KA_KUBELET_RESOLV_CONF} is chosen on the node)"
        return 0
    fi
    local link want
    want=$(kubelet_resolv_source)
    link=$(target "${KA_KUBELET_RESOLV_CONF}")
    if [ -L "${link}" ] && [ "$(readlink "${link}")" = "${want}" ]; then
        return 0
    fi
    if [ -e "${link}" ] && [ ! -L "${link}" ]; then
        fatal "${KA_KUBELET_RESOLV_CONF}: exists and is not a symlink; move it away (install links it to the resolv.conf kubelet should use)"
    fi
    [ -L "${link}" ] || record installed.list "${KA_KUBELET_RESOLV_CONF}"
    ensure_dir "$(dirname "${KA_KUBELET_RESOLV_CONF}")"
    act "link ${KA_KUBELET_RESOLV_CONF} to ${want} (kubelet's resolvConf)" ln -sfn "${want}" "${link}"
}

# Calico's documented NetworkManager drop-in, so NetworkManager leaves cali*, tunl*, vxlan.calico alone.
install_networkmanager_dropin() {
    [ -n "${KA_NM_UNMANAGED}" ] || return 0
    [ -d "$(target /etc/NetworkManager)" ] || return 0
    put_content "${KA_NM_CALICO_CONF}" 0644 "# kube-airgap: NetworkManager must not manage Calico's interfaces
[keyfile]
unmanaged-devices=${KA_NM_UNMANAGED}
"
    if [ "${PUT_CHANGED}" = 1 ] && [ -z "${ROOT}" ] && systemd_running && systemctl is-active -q NetworkManager; then
        act "reload NetworkManager (${KA_NM_CALICO_CONF})" systemctl reload NetworkManager
    fi
}

apply_sysctl() {
    if [ -n "${ROOT}" ]; then
        info "sysctl: skipped under --root (${KA_SYSCTL_FILE} is installed; applied at boot)"
        return 0
    fi
    local file sha marker
    file=$(target "${KA_SYSCTL_FILE}")
    [ -f "${file}" ] || return 0
    sha=$(file_sha "${file}")
    marker=$(state_file sysctl.applied)
    if [ -f "${marker}" ] && [ "$(cat "${marker}")" = "${sha}" ]; then
        return 0
    fi
    act "apply ${KA_SYSCTL_FILE}" sysctl -q -p "${file}"
    write_state sysctl.applied "${sha}"
}

load_modules() {
    if [ -n "${ROOT}" ]; then
        [ -z "${KA_MODULES}" ] || info "kernel modules: skipped under --root (${KA_MODULES_LOAD_FILE} is installed)"
        return 0
    fi
    local m
    for m in ${KA_MODULES}; do
        if [ -d "${KA_SYS:-/sys}/module/${m}" ]; then
            continue
        fi
        if command -v modprobe >/dev/null 2>&1; then
            act "load kernel module ${m}" modprobe "${m}"
        else
            warn "kernel module ${m}: not loaded and no modprobe (built in? preflight checks it)"
        fi
    done
}

# --- the command ---
run_install() {
    require_root
    if [ -z "${ROOT}" ] && [ "${DRY_RUN}" = 0 ]; then
        if ! preflight_checks; then
            [ "${YES}" = 1 ] || fatal "preflight failed (see above); fix it, or pass --yes to install anyway" 3
            warn "preflight failed; going on because of --yes"
        fi
    fi
    info "installing ${KA_CLUSTER}/${KA_NODE} (${KA_ROLES}), Kubernetes ${KA_KUBERNETES_VERSION}, into ${ROOT:-/}"
    [ "${DRY_RUN}" = 1 ] || ensure_dir "${KA_STATE_DIR}" 0700
    adopt_kept_data
    prepare_data_dirs
    install_files
    switch_current
    record_installed
    swap_off
    load_modules
    apply_sysctl
    link_resolv_conf
    install_networkmanager_dropin
    start_services
    if [ "${DRY_RUN}" = 1 ]; then
        info "dry run: ${CHANGES} action(s) would be taken; nothing was changed"
    elif [ "${CHANGES}" -eq 0 ]; then
        info "no changes: ${KA_NODE} is already installed from this bundle"
    else
        info "done: ${CHANGES} change(s); log: ${LOG_FILE}"
    fi
}
