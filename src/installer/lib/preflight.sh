# shellcheck shell=bash
# preflight: every check runs and every failure is printed with what to do, not just the first. Nothing is
# changed. KA_PROC, KA_SYS, KA_BOOT, KA_ETC, KA_RUN, KA_LIB, KA_USR_LIB point at fake trees in tests.

PREFLIGHT_FAILED=0

pass() { info "PASS  $*"; }

# note: not a failure, something install takes care of or the operator should know.
note() { info "NOTE  $*"; }

etc_file() { printf '%s%s' "${KA_ETC:-/etc}" "$1"; }

# fail PROBLEM ACTION: a failed check, printed as "PROBLEM; ACTION". ACTION says what to do, in the imperative
# (PreflightTests drives every fail of this file and refuses one without it).
fail() {
    local line="$1; ${2:-(no action given: a bug in preflight.sh)}"
    echo "[FAIL]  ${line}" >&2
    log_line "[FAIL]  ${line}"
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
    if [ "${arch}" = "${KA_ARCH}" ]; then
        pass "arch ${arch}"
    elif [ "${arch}" = amd64 ] || [ "${arch}" = arm64 ]; then
        fail "arch: this host is ${arch}, the bundle is for ${KA_ARCH}" "set arch: ${arch} for ${KA_NODE} in the inventory and rebuild the bundles (use the ${arch} bundle on this host), or run this bundle on a ${KA_ARCH} host"
    else
        fail "arch: this host is ${machine}, the bundle is for ${KA_ARCH}" "run it on a host of arch ${KA_ARCH}: kube-airgap builds bundles for amd64 and arm64 only"
    fi
}

check_systemd() {
    if command -v systemctl >/dev/null 2>&1 && [ -d "${KA_RUN:-/run}/systemd/system" ]; then
        pass "systemd is running"
    else
        fail "systemd: not running as init (no ${KA_RUN:-/run}/systemd/system), so the units cannot be started" "boot the host with systemd as init (not in a container or chroot), then run preflight again"
    fi
}

check_cgroup() {
    local fs
    fs=$(stat -fc %T "${KA_SYS:-/sys}/fs/cgroup" 2>/dev/null || echo missing)
    if [ "${fs}" = cgroup2fs ]; then
        pass "cgroup v2"
    else
        fail "cgroup: ${KA_SYS:-/sys}/fs/cgroup is ${fs}, need cgroup v2" "boot with systemd.unified_cgroup_hierarchy=1: add it to GRUB_CMDLINE_LINUX in /etc/default/grub, run update-grub (RHEL: grub2-mkconfig -o /boot/grub2/grub.cfg) and reboot"
    fi
}

check_swap() {
    local n
    n=$(($(wc -l <"${KA_PROC:-/proc}/swaps") - 1))
    if [ "${n}" -le 0 ]; then
        pass "swap is off"
    else
        note "swap: ${n} swap device(s) active; install turns swap off for good (swapoff, /etc/fstab, masks the swap units, no zram)"
    fi
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
        fail "kernel modules: ${missing[*]} neither loaded, built in nor loadable" "$(modules_remedy "${missing[@]}")"
    fi
}

# modules_remedy MODULE...: what makes the modules loadable (install runs modprobe and lists them in
# ${KA_MODULES_LOAD_FILE}).
modules_remedy() {
    local release m configs=""
    release=$(uname -r)
    for m in "$@"; do configs="${configs}${configs:+, }CONFIG_$(module_config "${m}")"; done
    if ! command -v modprobe >/dev/null 2>&1; then
        printf 'install kmod (Debian and RHEL: kmod), which gives modprobe; then install loads them (modprobe %s)' "$*"
    else
        printf 'install the modules of kernel %s so that modprobe %s finds them (Debian: apt-get install linux-image-%s; RHEL: dnf install kernel-modules-%s), or boot a kernel built with %s=y or =m' \
            "${release}" "$*" "${release}" "${release}" "${configs}"
    fi
}

# port_holder PORT: "NAME (pid N)" of the process listening on PORT, from ss -ltnp; empty when unknown.
port_holder() {
    command -v ss >/dev/null 2>&1 || return 0
    ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1 (pid \2)/p' | head -n1
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
    local listening busy=() p holder
    listening=" $(listening_ports | tr '\n' ' ') "
    for p in ${KA_PORTS}; do
        case "${listening}" in *" ${p} "*) busy+=("${p}") ;; esac
    done
    if [ "${#busy[@]}" -eq 0 ]; then
        pass "ports free: ${KA_PORTS}"
    elif installed_here; then
        info "NOTE  ports in use: ${busy[*]} (this node is installed already; its services hold them)"
    else
        fail "ports in use: $(for p in "${busy[@]}"; do holder=$(port_holder "${p}"); printf '%s%s ' "${p}" "${holder:+ by ${holder}}"; done)(needed: ${KA_PORTS})" \
            "stop what holds them (ss -ltnp 'sport = :<port>' names the process; systemctl stop and disable its unit); if it is another Kubernetes or etcd, uninstall that first"
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
        fail "disk: ${free} MiB free at ${dir}, need ${KA_MIN_DISK_MB} MiB for binaries, images and data" "free $((KA_MIN_DISK_MB - free)) MiB at ${dir}, or mount a larger disk at $(target "${KA_PREFIX}")"
    fi
}

# time_servers: the NTP servers chrony, systemd-timesyncd or ntpd is configured with (one a line).
time_servers() {
    local f
    for f in "$(etc_file /chrony/chrony.conf)" "$(etc_file /chrony.conf)" "$(etc_file /chrony/sources.d)"/*.sources "$(etc_file /chrony/conf.d)"/*.conf \
        "$(etc_file /ntp.conf)" "$(etc_file /ntpsec/ntp.conf)"; do
        [ -f "${f}" ] || continue
        awk '$1 == "server" || $1 == "pool" || $1 == "peer" { print $2 }' "${f}"
    done
    for f in "$(etc_file /systemd/timesyncd.conf)" "$(etc_file /systemd/timesyncd.conf.d)"/*.conf; do
        [ -f "${f}" ] || continue
        sed -n 's/^[[:space:]]*NTP=[[:space:]]*//p' "${f}" | tr ' ' '\n' | sed '/^$/d'
    done
}

check_time_sync() {
    local s daemon="" servers
    for s in chronyd ntpd systemd-timesyncd openntpd; do
        if command -v "${s}" >/dev/null 2>&1 || [ -x "${KA_LIB:-/lib}/systemd/${s}" ] || [ -x "${KA_USR_LIB:-/usr/lib}/systemd/${s}" ]; then
            daemon=${s}
            break
        fi
    done
    servers=$(time_servers | sort -u | tr '\n' ' ')
    if [ -z "${daemon}" ]; then
        fail "time sync: none of chronyd, ntpd, systemd-timesyncd found (etcd and certificates need a synchronised clock)" "install chrony (Debian and RHEL: chrony) and point it at the site's NTP server"
    elif [ -z "${servers}" ]; then
        fail "time sync: ${daemon} has no NTP server configured" "add 'server <ntp-ip> iburst' to /etc/chrony/chrony.conf (RHEL: /etc/chrony.conf) or NTP=<ntp-ip> to /etc/systemd/timesyncd.conf, then restart it"
    else
        pass "time sync: ${daemon}, servers ${servers% }"
    fi
}

# tool_packages COMMAND: "Debian package / RHEL package" from KA_TOOL_PACKAGES.
tool_packages() {
    local item pkgs
    for item in "${KA_TOOL_PACKAGES[@]+"${KA_TOOL_PACKAGES[@]}"}"; do
        if [ "${item%%=*}" = "$1" ]; then
            pkgs=${item#*=}
            printf 'Debian: apt-get install %s; RHEL: dnf install %s' "${pkgs%% *}" "${pkgs#* }"
            return 0
        fi
    done
}

check_tools() {
    local t absent=0
    for t in ${KA_TOOLS}; do
        if ! command -v "${t}" >/dev/null 2>&1; then
            fail "host tool ${t} missing (kube-proxy mode ${KA_PROXY_MODE})" "install it ($(tool_packages "${t}"))"
            absent=$((absent + 1))
        fi
    done
    [ "${absent}" -gt 0 ] || pass "host tools: ${KA_TOOLS:-none needed}"
}

# check_kernel: kube-proxy's nftables mode needs kernel >= KA_MIN_KERNEL.
check_kernel() {
    [ -n "${KA_MIN_KERNEL}" ] || return 0
    local release version
    release=$(uname -r)
    version=$(printf '%s' "${release}" | grep -oE '^[0-9]+\.[0-9]+')
    if [ "$(printf '%s\n%s\n' "${KA_MIN_KERNEL}" "${version}" | sort -V | head -n1)" = "${KA_MIN_KERNEL}" ]; then
        pass "kernel ${release} (kube-proxy mode ${KA_PROXY_MODE} needs >= ${KA_MIN_KERNEL})"
    else
        fail "kernel ${release} is older than ${KA_MIN_KERNEL}, which kube-proxy's ${KA_PROXY_MODE} mode needs" "upgrade the kernel or set network.proxyMode: iptables in cluster.yaml and rebuild the bundles"
    fi
}

# check_calico_interface: Calico's interface= autodetection (comma-separated regexes) must match a NIC here.
check_calico_interface() {
    [ -n "${KA_CALICO_INTERFACES}" ] || return 0
    local names regex found=
    names=$(ls "${KA_SYS:-/sys}/class/net" 2>/dev/null || true)
    for regex in ${KA_CALICO_INTERFACES//,/ }; do
        found=$(printf '%s\n' "${names}" | grep -E -- "${regex}" | head -n1 || true)
        [ -z "${found}" ] || break
    done
    if [ -n "${found}" ]; then
        pass "Calico autodetection interface=${KA_CALICO_INTERFACES}: ${found}"
    else
        fail "Calico autodetection interface=${KA_CALICO_INTERFACES} matches none of this host's interfaces ($(printf '%s' "${names}" | tr '\n' ' '))" "set network.calicoIpAutodetection in cluster.yaml (kubernetes-internal-ip, or interface=<name>) and rebuild the bundles"
    fi
}

# firewall_allows RULES PORT: whether a listing of firewall rules names the port (tcp/2379, udp/4789, or ipip:
# IP protocol 4, "ipencap" in /etc/protocols; "ipip" there is protocol 94, not what Calico uses).
firewall_allows() {
    local rules=$1 port=$2 number=${2#*/}
    case "${port}" in
        ipip) grep -Eqi 'ipencap|protocol[ =]4([^0-9]|$)|-p 4([^0-9]|$)|(^|[ ,])4([ ,]|$)' <<<"${rules}" ;;
        *) grep -Eq "(^|[^0-9])${number}([^0-9]|$)" <<<"${rules}" ;;
    esac
}

# check_firewall: each tool's output is read whole before grep looks at it (grep -q on a pipe exits at the first
# match, the writer gets SIGPIPE, and pipefail then made an active ufw or nftables drop policy look absent).
check_firewall() {
    local rules="" tool="" p missing=() status=""
    if command -v ufw >/dev/null 2>&1; then status=$(ufw status 2>/dev/null || true); fi
    if command -v nft >/dev/null 2>&1; then rules=$(nft list ruleset 2>/dev/null || true); fi
    if command -v firewall-cmd >/dev/null 2>&1 && [ "$(firewall-cmd --state 2>/dev/null)" = running ]; then
        tool=firewalld
        rules="$(firewall-cmd --list-ports 2>/dev/null) $(firewall-cmd --list-protocols 2>/dev/null)"
    elif grep -q '^Status: active' <<<"${status}"; then
        tool=ufw
        rules="${status} $(cat "$(etc_file /ufw/before.rules)" 2>/dev/null || true)"
    elif grep -Eq 'hook input .*policy drop' <<<"${rules}"; then
        tool=nftables
    fi
    if [ -z "${tool}" ]; then
        pass "firewall: no firewalld, ufw or dropping nftables input policy active (other nodes reach ${KA_INBOUND_PORTS// /, })"
        return 0
    fi
    for p in ${KA_INBOUND_PORTS}; do
        firewall_allows "${rules}" "${p}" || missing+=("${p}")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        pass "firewall (${tool}) allows ${KA_INBOUND_PORTS// /, }"
        return 0
    fi
    case "${tool}" in
        firewalld) fail "firewall (firewalld) does not open ${missing[*]} that other nodes need" "run: $(firewall_remedy firewalld "${missing[@]}")" ;;
        ufw) fail "firewall (ufw) does not allow ${missing[*]} that other nodes need" "run: $(firewall_remedy ufw "${missing[@]}")" ;;
        *) fail "firewall (nftables, input policy drop) has no rule for ${missing[*]} that other nodes need" "add to the input chain in /etc/nftables.conf: $(firewall_remedy nftables "${missing[@]}")" ;;
    esac
}

# firewall_remedy TOOL PORT...: the commands (or nftables rules) that open the ports (tcp/2379, udp/4789, ipip).
firewall_remedy() {
    local tool=$1 p
    shift
    for p in "$@"; do
        case "${tool}/${p}" in
            firewalld/ipip) printf 'firewall-cmd --permanent --add-protocol=4; ' ;;
            firewalld/*) printf 'firewall-cmd --permanent --add-port=%s/%s; ' "${p#*/}" "${p%/*}" ;;
            ufw/ipip) printf 'add "-A ufw-before-input -p 4 -j ACCEPT" to /etc/ufw/before.rules; ' ;;
            ufw/*) printf 'ufw allow %s/%s; ' "${p#*/}" "${p%/*}" ;;
            nftables/ipip) printf 'ip protocol 4 accept; ' ;;
            nftables/*) printf '%s dport %s accept; ' "${p%/*}" "${p#*/}" ;;
        esac
    done
    case "${tool}" in
        firewalld) printf 'firewall-cmd --reload' ;;
        ufw) printf 'then ufw reload' ;;
        nftables) printf 'then nft -f /etc/nftables.conf' ;;
    esac
}

check_networkmanager() {
    [ -n "${KA_NM_UNMANAGED}" ] || return 0
    if ! { command -v NetworkManager >/dev/null 2>&1 || [ -d "$(etc_file /NetworkManager)" ]; }; then
        pass "NetworkManager: not installed"
    elif [ -f "$(etc_file "${KA_NM_CALICO_CONF#/etc}")" ]; then
        pass "NetworkManager: ${KA_NM_CALICO_CONF} keeps it off Calico's interfaces"
    else
        note "NetworkManager: install adds ${KA_NM_CALICO_CONF} (Calico's drop-in: unmanaged cali*, tunl*, vxlan.calico)"
    fi
}

check_selinux() {
    local enforce="${KA_SYS:-/sys}/fs/selinux/enforce"
    if [ ! -f "${enforce}" ]; then
        pass "SELinux: not enabled"
    elif [ "$(cat "${enforce}")" = 1 ]; then
        fail "SELinux is enforcing: the bundle carries no SELinux policy for containerd and kubelet" "run setenforce 0 and set SELINUX=permissive in /etc/selinux/config (or install container-selinux and label ${KA_PREFIX} yourself)"
    else
        pass "SELinux: permissive"
    fi
}

check_dns() {
    case " ${KA_UNITS} " in *" kubelet "*) ;; *) return 0 ;; esac
    local resolv
    resolv=$(etc_file /resolv.conf)
    if grep -Eq '^[[:space:]]*nameserver[[:space:]]+127\.0\.0\.53([[:space:]]|$)' "${resolv}" 2>/dev/null; then
        if [ -f "${KA_RUN:-/run}/systemd/resolve/resolv.conf" ]; then
            pass "DNS: systemd-resolved; kubelet gets /run/systemd/resolve/resolv.conf through ${KA_KUBELET_RESOLV_CONF}"
        else
            fail "DNS: /etc/resolv.conf points at systemd-resolved's stub (127.0.0.53) but /run/systemd/resolve/resolv.conf is missing" "start systemd-resolved or write a resolv.conf with the site's DNS servers"
        fi
    elif [ -e "${resolv}" ]; then
        pass "DNS: kubelet gets /etc/resolv.conf through ${KA_KUBELET_RESOLV_CONF}"
    else
        fail "DNS: /etc/resolv.conf is missing" "create it (empty is fine inside the gap: CoreDNS then serves the cluster domain only)"
    fi
}

check_glibc() {
    local have need=${KA_KUBE_NGINX_GLIBC}
    [ -n "${need}" ] || { pass "glibc: kube-nginx does not need a particular version"; return 0; }
    # no getconf (a musl host) must not end preflight under set -e: glibc is then "not found"
    have=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{ print $2 }' || true)
    if [ -z "${have}" ]; then
        fail "glibc: not found on this host (getconf GNU_LIBC_VERSION), kube-nginx needs glibc >= ${need}" "$(glibc_remedy "${need}" none)"
    elif [ "$(printf '%s\n%s\n' "${need}" "${have}" | sort -V | head -n1)" = "${need}" ]; then
        pass "glibc ${have} (kube-nginx needs >= ${need})"
    else
        fail "glibc ${have} is older than ${need}, which kube-nginx needs" "$(glibc_remedy "${need}" "${have}")"
    fi
}

# glibc_remedy NEED HAVE: a host with glibc >= NEED, or a kube-nginx that needs no more than HAVE.
glibc_remedy() {
    printf 'run this node on a release with glibc >= %s (Debian 12: 2.36, RHEL 9: 2.34, Ubuntu 22.04: 2.35), or rebuild the bundles with a static kube-nginx ([Nginx] Static=true in cake.config)' "$1"
    [ "$2" = none ] || printf ' or one built on a host whose glibc is %s or older' "$2"
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
        fail "installed: ${cluster}/${node} is installed here, this bundle is for ${KA_CLUSTER}/${KA_NODE}" \
            "uninstall it first (${KA_PREFIX}/uninstall.sh; its data stays unless --purge), or use the bundle of ${cluster}/${node} on this host"
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
    check_kernel
    check_calico_interface
    check_firewall
    check_networkmanager
    check_selinux
    check_dns
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
