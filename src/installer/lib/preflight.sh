# shellcheck shell=bash
# preflight: every check runs and every failure is printed, not just the first. Nothing is changed.

PREFLIGHT_FAILED=0

pass() { info "PASS  $*"; }

fail() {
    echo "[FAIL]  $*" >&2
    log_line "[FAIL]  $*"
    PREFLIGHT_FAILED=$((PREFLIGHT_FAILED + 1))
}

check_arch() {
    local machine arch
    machine=$(uname -m)
    case "${machine}" in
        x86_64 | amd64) arch=amd64 ;;
        aarch64 | arm64) arch=arm64 ;;
        *) arch=${machine} ;;
    esac
    if [ "${arch}" = "${KA_ARCH}" ]; then pass "arch ${arch}"; else fail "arch: this host is ${arch}, the bundle is for ${KA_ARCH}"; fi
}

check_systemd() {
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        pass "systemd is running"
    else
        fail "systemd: not running as init (no /run/systemd/system); the units cannot be started"
    fi
}

check_cgroup() {
    local fs
    fs=$(stat -fc %T "${KA_SYS:-/sys}/fs/cgroup" 2>/dev/null || echo missing)
    if [ "${fs}" = cgroup2fs ]; then pass "cgroup v2"; else fail "cgroup: ${KA_SYS:-/sys}/fs/cgroup is ${fs}, need cgroup v2 (systemd.unified_cgroup_hierarchy=1)"; fi
}

check_swap() {
    local n
    n=$(($(wc -l <"${KA_PROC:-/proc}/swaps") - 1))
    if [ "${n}" -le 0 ]; then pass "swap is off"; else fail "swap: ${n} swap device(s) active (install turns swap off; or run swapoff -a)"; fi
}

# module_config NAME: the kernel config symbol of a module.
module_config() {
    case "$1" in
        overlay) echo OVERLAY_FS ;;
        br_netfilter) echo BRIDGE_NETFILTER ;;
        nf_conntrack) echo NF_CONNTRACK ;;
        *) echo "$1" | tr '[:lower:]' '[:upper:]' ;;
    esac
}

# kernel_config SYMBOL: y, m or empty, from /proc/config.gz or /boot/config-<release>.
kernel_config() {
    local symbol="CONFIG_$1" release
    release=$(uname -r)
    if [ -f "${KA_PROC:-/proc}/config.gz" ]; then
        gzip -dc "${KA_PROC:-/proc}/config.gz" | sed -n "s/^${symbol}=//p"
    elif [ -f "${KA_BOOT:-/boot}/config-${release}" ]; then
        sed -n "s/^${symbol}=//p" "${KA_BOOT:-/boot}/config-${release}"
    fi
}

check_modules() {
    local m state missing=()
    for m in ${KA_MODULES}; do
        if [ -d "${KA_SYS:-/sys}/module/${m}" ]; then
            continue
        fi
        state=$(kernel_config "$(module_config "${m}")")
        case "${state}" in
            y) continue ;;
            m) command -v modprobe >/dev/null 2>&1 && continue ;;
        esac
        if [ -f "/lib/modules/$(uname -r)/modules.builtin" ] && grep -q "/${m}.ko" "/lib/modules/$(uname -r)/modules.builtin"; then
            continue
        fi
        if command -v modprobe >/dev/null 2>&1 && modprobe -n "${m}" >/dev/null 2>&1; then
            continue
        fi
        missing+=("${m}")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        pass "kernel modules: ${KA_MODULES:-none needed} (loaded, built in or loadable)"
    else
        fail "kernel modules: ${missing[*]} neither loaded, built in nor loadable"
    fi
}

# listening_ports: every TCP port in LISTEN state, in decimal.
listening_ports() {
    local f
    for f in "${KA_PROC:-/proc}/net/tcp" "${KA_PROC:-/proc}/net/tcp6"; do
        [ -f "${f}" ] || continue
        awk 'NR > 1 && $4 == "0A" { split($2, a, ":"); print a[2] }' "${f}"
    done | while read -r hex; do printf '%d\n' "0x${hex}"; done | sort -un
}

check_ports() {
    local listening busy=() p
    listening=" $(listening_ports | tr '\n' ' ') "
    for p in ${KA_PORTS}; do
        case "${listening}" in *" ${p} "*) busy+=("${p}") ;; esac
    done
    if [ "${#busy[@]}" -eq 0 ]; then
        pass "ports free: ${KA_PORTS}"
    elif installed_here; then
        info "NOTE  ports in use: ${busy[*]} (this node is installed already; its services hold them)"
    else
        fail "ports in use: ${busy[*]} (needed: ${KA_PORTS})"
    fi
}

check_disk() {
    local dir free
    dir=$(target "${KA_PREFIX}")
    while [ ! -d "${dir}" ]; do dir=$(dirname "${dir}"); done
    free=$(df -Pm "${dir}" | awk 'NR == 2 { print $4 }')
    if [ "${free}" -ge "${KA_MIN_DISK_MB}" ]; then
        pass "disk: ${free} MiB free at ${dir} (need ${KA_MIN_DISK_MB})"
    else
        fail "disk: ${free} MiB free at ${dir}, need ${KA_MIN_DISK_MB} MiB for binaries, images and data"
    fi
}

check_time_sync() {
    local s
    for s in chronyd ntpd systemd-timesyncd openntpd; do
        if command -v "${s}" >/dev/null 2>&1 || [ -x "/lib/systemd/${s}" ] || [ -x "/usr/lib/systemd/${s}" ]; then
            pass "time sync: ${s}"
            return 0
        fi
    done
    fail "time sync: none of chronyd, ntpd, systemd-timesyncd found (etcd and certificates need a synchronised clock)"
}

check_tools() {
    local t alt ok missing=()
    for t in ${KA_TOOLS}; do
        ok=0
        for alt in ${t//|/ }; do
            if command -v "${alt}" >/dev/null 2>&1; then ok=1; fi
        done
        [ "${ok}" = 1 ] || missing+=("${t//|/ or }")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        pass "host tools: ${KA_TOOLS:-none needed}"
    else
        fail "host tools missing: ${missing[*]}"
    fi
}

check_glibc() {
    local have need=${KA_KUBE_NGINX_GLIBC}
    [ -n "${need}" ] || { pass "glibc: kube-nginx does not need a particular version"; return 0; }
    have=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{ print $2 }')
    if [ -z "${have}" ]; then
        fail "glibc: not found (kube-nginx needs glibc >= ${need})"
    elif [ "$(printf '%s\n%s\n' "${need}" "${have}" | sort -V | head -n1)" = "${need}" ]; then
        pass "glibc ${have} (kube-nginx needs >= ${need})"
    else
        fail "glibc ${have} is older than ${need}, which kube-nginx needs"
    fi
}

installed_here() {
    [ -f "$(state_file installed.env)" ]
}

check_installed() {
    local cluster node version
    if ! installed_here; then
        pass "nothing installed yet"
        return 0
    fi
    cluster=$(sed -n "s/^KA_CLUSTER='\(.*\)'$/\1/p" "$(state_file installed.env)")
    node=$(sed -n "s/^KA_NODE='\(.*\)'$/\1/p" "$(state_file installed.env)")
    version=$(sed -n "s/^KA_VERSION_DIR='\(.*\)'$/\1/p" "$(state_file installed.env)")
    if [ "${cluster}/${node}" != "${KA_CLUSTER}/${KA_NODE}" ]; then
        fail "installed: ${cluster}/${node} is installed here, this bundle is for ${KA_CLUSTER}/${KA_NODE}"
    elif [ "${version}" = "${KA_VERSION_DIR}" ]; then
        pass "installed: ${version} (this bundle; install will change nothing that matches)"
    else
        pass "installed: ${version}; this bundle upgrades to ${KA_VERSION_DIR}"
    fi
}

# preflight_checks: runs every check; returns 1 when any failed.
preflight_checks() {
    PREFLIGHT_FAILED=0
    check_arch
    check_systemd
    check_cgroup
    check_swap
    check_modules
    check_ports
    check_disk
    check_time_sync
    check_tools
    check_glibc
    check_installed
    [ "${PREFLIGHT_FAILED}" -eq 0 ]
}

run_preflight() {
    if preflight_checks; then
        info "preflight passed for ${KA_CLUSTER}/${KA_NODE} (${KA_ROLES})"
    else
        fatal "preflight: ${PREFLIGHT_FAILED} check(s) failed for ${KA_CLUSTER}/${KA_NODE}" 3
    fi
}
