#!/usr/bin/env bash
# End-to-end test: three air-gapped VMs with a real systemd, each shaped like a different typical host, install a
# cluster from their bundles the way operators do, in one boot of each VM (docs/e2e.md has the scenario list):
#
#   hosts        NICs named by udev (ens*), found by MAC; k8s-01 runs systemd-resolved with no upstream; k8s-02 has
#                no nft: preflight fails there naming the package, passes once nft is back, passes elsewhere; the
#                rendered Calico autodetection method, evaluated on each VM as calico-node does, gives the inventory IP
#   signed       verify-bundle.sh checks every tarball before extraction; an unsigned tarball and one signed by
#                another key are refused with nothing changed on the node; installs use the pinned key
#   one-by-one   k8s-03 alone, k8s-01 60 s later, k8s-02 60 s after that; each ends 0 (or the documented "waiting
#                for etcd quorum" exit, then a re-run ends 0); 3 healthy etcd members; every add-on object exactly
#                once; images present before kubelet's first start, pinned; kubectl through kube-nginx
#   restart      a bundle where only kube-proxy's config changed, installed on all three at once: only kube-proxy
#                restarts, /healthz through 127.0.0.1:8443 answers throughout; a second run changes nothing
#   renew        a renewal bundle built with the renewal window's clock 335 days ahead (--pki_asof), installed one node
#                at a time: it differs from the last bundle only in certificates and kubeconfigs; kube-apiserver and
#                etcd serve the new serials (openssl s_client), verified by byte-identical CAs; exactly the units
#                that use a renewed file restart (containerd and kube-nginx do not)
#   egress       a pull of an image that is not in the bundle fails at once, naming it; 0 packets left any VM
#   reboot       k8s-02 reboots: every unit active again without the installer, etcd rejoins, images pinned
#   uninstall    a CRI container with a mounted volume, Calico/kube-proxy leftovers; uninstall leaves none of them
#                and keeps etcd's data
#   interrupt    SIGKILL install.sh while units start, re-run: exit 0 and the same tree as a clean install
#   purge        the node's own uninstaller, no bundle on the node: data directories gone
#   upgrade      (not in the default list; run it alone: KA_E2E_SCENARIOS=upgrade) 1.35.7 bundles on all three, then
#                1.36.3 bundles node by node (k8s-01, k8s-02 hold their kubelet etc. with exit 10 until every apiserver
#                is 1.36; re-runs release them) while /healthz through 127.0.0.1:8443 is polled every second: at most
#                KA_E2E_UPGRADE_MAX_FAILURES (3) polls fail, etcd stays healthy, every node reports 1.36.3; then
#                install.sh rollback on k8s-03 reports 1.35.7 again
#   ansible      (not in the default list; run it alone: KA_E2E_SCENARIOS=ansible) the 3-VM cluster deployed once by the
#                generated Ansible playbook (artifacts/<cluster>/deploy/) over SSH from the jump host's side of the
#                network (the namespace, 10.77.0.1 on its bridge), with a key made for this run authorized in the
#                guests, bundles of layout KA_E2E_ANSIBLE_LAYOUT; then the one-by-one scenario's health checks
#
# Usage: tests/e2e/run.sh            Exit 0 when every check passed.
# Environment:
#   KA_E2E_SCENARIOS        space-separated subset of the scenarios above (default: all, in that order)
#   KA_E2E_KEEP_WORK=1      keep the work directory (bundles, serial logs) for inspection
#   KA_E2E_CACHE            image and download cache (default /var/cache/kube-airgap-e2e)
#   KA_E2E_INSTALL_TIMEOUT  seconds for one install.sh in a VM (default 2700: a guard against a hung install, not a speed check; three TCG VMs on two cores take ~21 min for an install that runs while the other two also install)
#   KA_E2E_ANSIBLE_LAYOUT   Bundle layout of the ansible scenario's set (default fleet; self-contained also works)
#   KA_E2E_BUNDLES_DIR      use bundles already built by an earlier run (a kept work dir's "bundles"); skips the
#                           mirror and the builds, for iterating on the VM part
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=vms.sh
. "$here/vms.sh"

all_scenarios="hosts signed one-by-one restart renew egress reboot uninstall interrupt purge"
scenarios=" ${KA_E2E_SCENARIOS:-$all_scenarios} "
cache_root="${KA_E2E_CACHE:-/var/cache/kube-airgap-e2e}"
install_timeout="${KA_E2E_INSTALL_TIMEOUT:-2700}"
inventory="$repo/tests/fixtures/e2e/cluster.yaml"
# the restart bundle's inventory: the same cluster with one field that only kube-proxy's config uses
kube_proxy_change="  nodePortAddresses: [10.77.0.0/24]"
cluster=e2e
names=(k8s-01 k8s-02 k8s-03)
ips=(10.77.0.11 10.77.0.12 10.77.0.13)
hosts="k8s-01=10.77.0.11,k8s-02=10.77.0.12,k8s-03=10.77.0.13"
# how each VM differs from a bare image: what a typical host has (or lacks)
declare -A shape=(
  [k8s-01]="ka.resolved=1 systemd.wants=systemd-resolved.service"
  [k8s-02]="ka.without=nft"
  [k8s-03]=""
)
units=(containerd etcd kube-nginx kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)
images=(registry.k8s.io/pause:3.10.2 registry.k8s.io/coredns/coredns:v1.14.2 quay.io/calico/node:v3.31.7
        quay.io/calico/cni:v3.31.7 quay.io/calico/kube-controllers:v3.31.7)
pubkey_name="$cluster-bundle-signing.pub"

started_all=$(date +%s)
work="$(mktemp -d /var/tmp/ka-e2e.XXXXXX)"
mirror="$work/mirror"
failed=()
passed=0
failing_vm=""
timings=()

# shellcheck disable=SC2317  # invoked by the EXIT trap
on_exit() {
  local rc=$?
  # diagnostics on failure, not when interrupted (TERM/INT: clean up at once)
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 143 ] && [ "${#KA_VMS[@]}" -gt 0 ]; then
    local n targets=("${KA_VMS[@]}")
    if [ -n "$failing_vm" ]; then targets=("$failing_vm"); fi
    for n in "${targets[@]}"; do vms_diagnose "$n" "${units[@]}"; done
  fi
  "$here/mirror.sh" stop "$mirror" || true
  vms_teardown
  if [ -d "$work" ] && [ "${KA_E2E_KEEP_WORK:-0}" != 1 ]; then rm -rf "$work"; fi
  vms_log "total $(( $(date +%s) - started_all )) s"
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 143' TERM INT

wants() { case "$scenarios" in *" $1 "*) return 0 ;; esac; return 1; }

pass() { passed=$((passed + 1)); vms_log "PASS $1"; }
fail() { failed+=("$1"); vms_log "FAIL $1"; }

# check NAME VM EXPECTED_EXIT SCRIPT: runs SCRIPT in VM, records pass/fail, prints output on failure; at most
# check_timeout seconds (600; a check that runs install.sh gets the install guard: check_timeout=$install_timeout check ...)
check() {
  local name="$1" vm="$2" want="$3" script="$4" out rc=0
  # in the background and waited for, so that TERM/INT reach the EXIT trap at once, not after the VM answers
  vm_run "$vm" "${check_timeout:-600}" <<<"$script" >"$work/check.out" 2>&1 &
  wait "$!" || rc=$?
  out="$(cat "$work/check.out")"
  if [ "$rc" -eq "$want" ]; then
    pass "$vm: $name"
  else
    fail "$vm: $name (exit $rc, want $want)"; failing_vm="$vm"
    printf '%s\n' "$out" | tail -n 40 | sed 's/^/    /' >&2
  fi
  LAST_OUTPUT="$out"
}

# check_each NAME EXPECTED_EXIT SCRIPT: the same script in every VM at once (the VMs run in parallel; one at a
# time would triple the wall time); the script learns its node from $(hostname)
check_each() {
  local name="$1" want="$2" script="$3" n rc pids=()
  for n in "${names[@]}"; do
    ( rc=0; vm_run "$n" 600 <<<"$script" >"$work/each-$n.out" 2>&1 || rc=$?; echo "$rc" >"$work/each-$n.rc" ) &
    pids+=($!)
  done
  wait "${pids[@]}"
  for n in "${names[@]}"; do
    rc="$(cat "$work/each-$n.rc")"
    if [ "$rc" -eq "$want" ]; then
      pass "$n: $name"
    else
      fail "$n: $name (exit $rc, want $want)"; failing_vm="$n"
      tail -n 40 "$work/each-$n.out" | sed 's/^/    /' >&2
    fi
  done
}
# check_all: check_each with the node's lib/layout.env sourced first
check_all() { check_each "$1" "$2" ". /root/b1/$cluster-\$(hostname)/lib/layout.env
$3"; }

scenario_started=0
scenario_name=""
scenario() {
  scenario_done
  scenario_name="$1"; scenario_started=$(date +%s)
  vms_log "===== scenario $1 ====="
}
scenario_done() {
  [ -n "$scenario_name" ] || return 0
  timings+=("$scenario_name $(( $(date +%s) - scenario_started ))s")
  scenario_name=""
}

# --- 1. image, mirror, bundles --------------------------------------------------------------------------------------
t=$(date +%s)
image="$("$here/build-image.sh")"
vms_log "VM image ready in $(( $(date +%s) - t )) s: $image"
timings+=("image $(( $(date +%s) - t ))s")

bundles="${KA_E2E_BUNDLES_DIR:-$work/bundles}"
build_bundle() { # NAME INVENTORY [ARGS]: ./build.sh --target=Bundle against the mirror, one state dir for all builds
  local name="$1" inv="$2" t
  t=$(date +%s)
  (cd "$repo" && NO_COLOR=1 ./build.sh --target=Bundle --cluster="$inv" "${mirror_args[@]}" "${@:3}" \
    --paths_artifacts="$bundles/$name" --paths_state="$bundles/state" --paths_cache="$cache_root/pipeline-cache") \
    >"$work/bundle-$name.log" 2>&1 || { tail -n 60 "$work/bundle-$name.log" >&2; vms_log "FAIL: ./build.sh --target=Bundle ($name)"; exit 1; }
  vms_log "bundles $name built in $(( $(date +%s) - t )) s"
}
if [ -z "${KA_E2E_BUNDLES_DIR:-}" ]; then
  t=$(date +%s)
  "$here/mirror.sh" start "$mirror"
  mapfile -t mirror_args <"$mirror/build-args"
  build_bundle b1 "$inventory"
  if wants upgrade; then  # the same cluster at 1.35.7, from a mirror serving 1.35.7; same state: same CA and signing key
    sed 's/^\(  kubernetesVersion:\) 1\.36\.3$/\1 1.35.7/' "$inventory" >"$work/cluster-1.35.7.yaml"
    grep -q '^  kubernetesVersion: 1.35.7$' "$work/cluster-1.35.7.yaml" || { vms_log "no kubernetesVersion: 1.36.3 line in $inventory"; exit 1; }
    "$here/mirror.sh" start "$work/mirror-1.35.7" 1.35.7
    mapfile -t mirror_args <"$work/mirror-1.35.7/build-args"
    build_bundle b0 "$work/cluster-1.35.7.yaml"
    "$here/mirror.sh" stop "$work/mirror-1.35.7"
    mapfile -t mirror_args <"$mirror/build-args"
  fi
  if wants ansible; then  # the same cluster and state, in the layout the rollout is tested with, with its deploy/
    build_bundle ba "$inventory" --bundle_layout="${KA_E2E_ANSIBLE_LAYOUT:-fleet}"
  fi
  if wants restart; then
    sed "/^  proxyMode: /a\\$kube_proxy_change" "$inventory" >"$work/cluster-kube-proxy-change.yaml"
    grep -qxF "$kube_proxy_change" "$work/cluster-kube-proxy-change.yaml" || { vms_log "no network.proxyMode line in $inventory"; exit 1; }
    build_bundle b2 "$work/cluster-kube-proxy-change.yaml"
  fi
  if wants renew; then
    # the same inventory as the set installed before it; the renewal window measured from 335 days ahead
    # (leafValidityDays 365 - renewBeforeDays 30): every leaf of b1 is within it, a new one is not
    renew_inventory="$inventory"; if wants restart; then renew_inventory="$work/cluster-kube-proxy-change.yaml"; fi
    build_bundle b3 "$renew_inventory" --pki_asof="$(date -u -d '+335 days' +%Y-%m-%dT%H:%M:%SZ)"
  fi
  "$here/mirror.sh" stop "$mirror"
  timings+=("mirror+bundles $(( $(date +%s) - t ))s")
fi

tarball_of() { # SET NODE
  find "$bundles/$1" -name "$cluster-$2-amd64.tar.gz" | head -n1
}
b1_dir="$(dirname "$(tarball_of b1 k8s-01)")"
[ -f "$b1_dir/$cluster-k8s-01-amd64.tar.gz" ] || { vms_log "no bundles under $bundles/b1"; exit 1; }
signed=0
if [ -f "$b1_dir/$pubkey_name" ] && [ -f "$b1_dir/verify-bundle.sh" ]; then signed=1; fi
if wants signed && [ "$signed" = 0 ]; then
  fail "bundles: $b1_dir has no $pubkey_name and verify-bundle.sh (Bundle must always sign)"
fi

# The restart bundle must differ from the first only in kube-proxy's configuration (lib/files.tsv: every installed
# file with its sha256), or "only kube-proxy restarted" would prove nothing.
if wants restart; then
  diffs="$(for n in "${names[@]}"; do
    { diff <(tar -xzOf "$(tarball_of b1 "$n")" "$cluster-$n/lib/files.tsv" | cut -f2,5) \
           <(tar -xzOf "$(tarball_of b2 "$n")" "$cluster-$n/lib/files.tsv" | cut -f2,5) || true; } | sed -n 's/^[<>] [0-9a-f]*\t//p'
  done | sort -u)"
  vms_log "installed files that differ between the two bundles: $(echo "$diffs" | tr '\n' ' ')"
  if [ -n "$diffs" ] && ! echo "$diffs" | grep -qv 'kube-proxy'; then
    pass "bundles: the restart bundle differs only in kube-proxy's files ($(echo "$diffs" | tr '\n' ' '))"
  else
    fail "bundles: the restart bundle must differ from the first in kube-proxy's files only (got: $(echo "$diffs" | tr '\n' ' '))"
  fi
fi

# The renewal bundle must differ from the set installed before it only in certificates, keys and kubeconfigs.
if wants renew; then
  renew_prev=b1; if wants restart; then renew_prev=b2; fi
  diffs="$(for n in "${names[@]}"; do
    { diff <(tar -xzOf "$(tarball_of "$renew_prev" "$n")" "$cluster-$n/lib/files.tsv" | cut -f2,5) \
           <(tar -xzOf "$(tarball_of b3 "$n")" "$cluster-$n/lib/files.tsv" | cut -f2,5) || true; } | sed -n 's/^[<>] [0-9a-f]*\t//p'
  done | sort -u)"
  vms_log "installed files that differ in the renewal bundle: $(echo "$diffs" | tr '\n' ' ')"
  if [ -n "$diffs" ] && ! echo "$diffs" | grep -Ev '^/etc/kubernetes/(pki/.*\.crt|[a-z-]+\.conf)$' | grep -q .; then
    pass "bundles: the renewal bundle differs only in certificates and kubeconfigs"
  else
    fail "bundles: the renewal bundle must differ only in certificates and kubeconfigs (got: $(echo "$diffs" | tr '\n' ' '))"
  fi
fi

# what an attacker could put on the transport medium for k8s-03, each as a set (tarball + SHA256SUMS) beside the
# real public key and verify-bundle.sh: bad-unsigned (no signatures at all), bad-otherkey (the tarball's and the
# set's SHA256SUMS signed by a fresh Ed25519 key)
make_bad_sets() { # OUT_DIR
  local out="$1" src t name="$cluster-k8s-03-amd64.tar.gz"
  src="$(tarball_of b1 k8s-03)"
  t="$work/bad-src"; rm -rf "$t"; mkdir -p "$t"
  tar -xzf "$src" -C "$t"
  openssl genpkey -algorithm ed25519 -out "$work/other.key" 2>/dev/null
  mkdir -p "$out/bad-unsigned" "$out/bad-otherkey"
  rm -f "$t/$cluster-k8s-03/SHA256SUMS.sig"
  tar -czf "$out/bad-unsigned/$name" -C "$t" .
  (cd "$out/bad-unsigned" && sha256sum "$name" >SHA256SUMS)
  openssl pkeyutl -sign -rawin -inkey "$work/other.key" -in "$t/$cluster-k8s-03/SHA256SUMS" -out "$t/$cluster-k8s-03/SHA256SUMS.sig"
  tar -czf "$out/bad-otherkey/$name" -C "$t" .
  (cd "$out/bad-otherkey" && sha256sum "$name" >SHA256SUMS)
  openssl pkeyutl -sign -rawin -inkey "$work/other.key" -in "$out/bad-otherkey/SHA256SUMS" -out "$out/bad-otherkey/SHA256SUMS.sig"
  cp "$b1_dir/$pubkey_name" "$b1_dir/verify-bundle.sh" "$out/bad-unsigned/"
  cp "$b1_dir/$pubkey_name" "$b1_dir/verify-bundle.sh" "$out/bad-otherkey/"
  rm -rf "$t"
}

# the ansible scenario's SSH key, made for this run only; its public half goes into each VM's input disk
if wants ansible; then
  ssh-keygen -q -t ed25519 -N '' -C "ka-e2e-$$" -f "$work/ansible-key"
fi

# --- 2. VMs ------------------------------------------------------------------------------------------------------------
vms_init "$work/vms" "$image"
for i in 0 1 2; do
  n="${names[$i]}"
  in="$work/in-$n"; mkdir -p "$in/b0" "$in/b1" "$in/b2" "$in/b3"
  cp "$(tarball_of b1 "$n")" "$in/b1/"
  if wants upgrade; then cp "$(tarball_of b0 "$n")" "$in/b0/"; fi
  if wants restart; then cp "$(tarball_of b2 "$n")" "$in/b2/"; fi
  if wants renew; then cp "$(tarball_of b3 "$n")" "$in/b3/"; fi
  cp -r "$here/tools" "$in/tools"
  if wants ansible; then mkdir -p "$in/ssh" && cp "$work/ansible-key.pub" "$in/ssh/authorized_keys"; fi
  # as an operator receives them: the tarball with the signed SHA256SUMS, the public key and verify-bundle.sh
  for set in b0 b1 b2 b3; do
    if [ ! -d "$bundles/$set" ] || [ -z "$(tarball_of "$set" "$n")" ]; then continue; fi
    d="$(dirname "$(tarball_of "$set" "$n")")"
    for f in SHA256SUMS SHA256SUMS.sig "$pubkey_name" verify-bundle.sh; do
      if [ -f "$d/$f" ]; then cp "$d/$f" "$in/$set/"; fi
    done
  done
  if [ "$n" = k8s-03 ] && [ "$signed" = 1 ] && wants signed; then make_bad_sets "$in"; fi
  tar -C "$in" -cf "$work/$n.in.tar" .
  rm -rf "$in"
  vms_start "$n" "${ips[$i]}/24" "$work/$n.in.tar" "$hosts" "${shape[$n]}"
done
t=$(date +%s)
for n in "${names[@]}"; do vms_wait "$n" 600 || { failing_vm="$n"; exit 1; }; done
vms_log "3 VMs booted to their control channel in $(( $(date +%s) - t )) s"
timings+=("boot $(( $(date +%s) - t ))s")

# in each VM: /root/in holds the input disk (tarballs, key, verify-bundle.sh, tests/e2e/tools); /root/b1 and /root/b2
# the unpacked bundles
check_each "copy the input disk" 0 "mkdir -p /root/in && tar -xf /dev/vdb -C /root/in && ls -R /root/in"
bundle_of() { echo "/root/$2/$cluster-$1"; }            # NODE SET -> bundle directory in the VM
env_of() { echo ". $(bundle_of "$1" b1)/lib/layout.env"; }
pubkey_arg() { if [ "$signed" = 1 ]; then echo "--pubkey /root/in/b1/$pubkey_name"; fi; }

tools=/root/in/tools
tree_manifest() { echo "$tools/tree-manifest.sh $(bundle_of "$1" "$2")/lib/layout.env"; }  # NODE SET

# --- scenario: hosts ------------------------------------------------------------------------------------------------------
if wants hosts; then
  scenario hosts
  for i in 0 1 2; do
    n="${names[$i]}"
    check "the NIC is named by udev (en*), not eth*, and holds the inventory IP" "$n" 0 \
      "ip -o -4 addr show | awk '{print \$2, \$4}'; ip -o -4 addr show | grep -q ' eth' && exit 1
ip -o -4 addr show | awk '{print \$2, \$4}' | grep -qE '^en[a-z0-9]+ ${ips[$i]}/24\$'"
  done
  check "systemd-resolved active with no upstream; /etc/resolv.conf is its stub 127.0.0.53" k8s-01 0 \
    "systemctl is-active systemd-resolved && cat /etc/resolv.conf && grep -q '^nameserver 127.0.0.53' /etc/resolv.conf
resolvectl dns; ! resolvectl dns | grep -qE ':.*[0-9a-f][.:][0-9a-f]'"
  for n in k8s-02 k8s-03; do
    check "systemd-resolved not running, no nameserver" "$n" 0 "! systemctl is-active -q systemd-resolved && ! grep -q nameserver /etc/resolv.conf"
  done
  check "nft is missing on this host" k8s-02 0 "! command -v nft && ! test -e /usr/sbin/nft"
fi

# k8s-02 boots without nft for the hosts scenario, which puts it back; without that scenario every later install needs it
# there (kube-proxy's nftables mode exits without it: run 10, upgrade alone, crash-looped kube-proxy on k8s-02)
if ! wants hosts; then
  check "nft provided (no hosts scenario in this run)" k8s-02 0 "[ ! -e /var/lib/ka-e2e/hidden/nft ] || mv /var/lib/ka-e2e/hidden/nft /usr/sbin/nft; nft --version"
fi

# --- scenario: signed -----------------------------------------------------------------------------------------------------
# the node's tree as the refused bundles could have changed it
node_snapshot="find /etc /opt /usr /var/lib /data -xdev \\( -path /var/lib/systemd -o -path /var/lib/dpkg -o -path /var/lib/ka-e2e \\) -prune -o -printf '%p %y %m %s %T@\\n' 2>/dev/null | sort | sha256sum"
if wants signed && [ "$signed" = 1 ]; then
  scenario signed
  check_each "verify-bundle.sh accepts the tarballs before extraction" 0 \
      "for t in /root/in/b1/*.tar.gz \$(ls /root/in/b2/*.tar.gz 2>/dev/null); do (cd \$(dirname \$t) && ./verify-bundle.sh \$(basename \$t)) || exit 1; done"
  check "verify-bundle.sh refuses the unsigned tarball and the one signed by another key" k8s-03 0 \
    "for b in unsigned otherkey; do cd /root/in/bad-\$b && if ./verify-bundle.sh $cluster-k8s-03-amd64.tar.gz; then echo \"accepted bad-\$b\"; exit 1; fi; done"
  check "install.sh --pubkey refuses (exit 4) an unsigned bundle and one signed by another key; nothing on the node changed" k8s-03 0 \
    "before=\$($node_snapshot)
for b in unsigned otherkey; do
  mkdir -p /root/bad-\$b && tar -xzf /root/in/bad-\$b/$cluster-k8s-03-amd64.tar.gz -C /root/bad-\$b
  rc=0; /root/bad-\$b/$cluster-k8s-03/install.sh --yes $(pubkey_arg) || rc=\$?
  echo \"\$b: exit \$rc\"; [ \"\$rc\" -eq 4 ] || exit 1
done
after=\$($node_snapshot)
[ \"\$before\" = \"\$after\" ] || { echo 'the node changed'; exit 1; }"
fi
# unpack SET...: extract the node's tarball of each set that is on the input disk, when the scenario needs it (each
# costs a minute of an emulated CPU: not all of them up front)
unpack() {
  check_each "unpack the bundles $*" 0 "for s in $*; do [ ! -d /root/\$s ] || continue; ls /root/in/\$s/*.tar.gz >/dev/null 2>&1 || continue; mkdir -p /root/\$s && tar -xzf /root/in/\$s/*.tar.gz -C /root/\$s; done
test -x /root/b1/$cluster-\$(hostname)/install.sh"
}
unpack b1 b0

# --- scenario: hosts (preflight, Calico autodetection from the rendered files) ----------------------------------------------
# shellcheck disable=SC2016  # expanded in the VM
calico_method_script='m=$(grep -rh -A1 "name: IP_AUTODETECTION_METHOD" "$1" | sed -n "s/^ *value: *//p" | tr -d "\"'"'"'" | head -n1)'
if wants hosts; then
  check "install.sh preflight fails without nft, naming the package" k8s-02 3 "cd $(bundle_of k8s-02 b1) && ./install.sh preflight $(pubkey_arg)"
  if echo "$LAST_OUTPUT" | grep -q 'nft' && echo "$LAST_OUTPUT" | grep -q 'nftables'; then
    pass "k8s-02: the preflight failure names nft and the nftables package"
  else
    fail "k8s-02: the preflight failure names nft and the nftables package"
  fi
  check "nft provided (the nftables package's binary back in place)" k8s-02 0 "mv /var/lib/ka-e2e/hidden/nft /usr/sbin/nft && nft --version"
  # on k8s-01 and k8s-03 as they are, on k8s-02 once nft is there (all three at once: each verifies the bundle first)
  check_each "install.sh preflight passes (on k8s-02 once nft is there)" 0 "cd $(bundle_of "\$(hostname)" b1) && ./install.sh preflight $(pubkey_arg)"
  check_all "the rendered Calico autodetection method, evaluated here, gives the rendered kubelet --node-ip on an en* NIC" 0 \
      "set -- /root/b1/$cluster-\$(hostname); $calico_method_script
nodeip=\$(grep -rhoE -- '--node-ip=[0-9.]+' \$1 | head -n1 | cut -d= -f2)
echo \"method \$m, kubelet --node-ip \$nodeip, inventory \$KA_NODE_IP\"
got=\$($tools/ka-calico-autodetect \"\$m\" \"\$nodeip\") || exit 1; echo \"calico would take: \$got\"
[ \"\${got%%/*}\" = \"\$KA_NODE_IP\" ] && [ \"\$nodeip\" = \"\$KA_NODE_IP\" ] && echo \"\$got\" | grep -qE ' en[a-z0-9]+\$'"
  scenario_done
fi

# --- scenario: one-by-one -------------------------------------------------------------------------------------------------
# install_start TAG NODE SET [ARGS]: install.sh in the VM, in the background; install_wait TAG sets INSTALL_RC/OUT
# (--test-bundle: the mirror's pins make test bundles, docs/e2e.md; on the 1.35.7 bundle, not one, it only warns)
install_job() {
  local tag="$1" n="$2" set="$3" rc=0; shift 3
  vm_run "$n" "$install_timeout" <<<"cd $(bundle_of "$n" "$set") && ./install.sh --yes --test-bundle $*" >"$work/$tag.log" 2>&1 || rc=$?
  if [ "$rc" = 124 ]; then  # the harness gave up waiting: what had the installer got to (its own log, timestamped)?
    { echo "--- the installer's log on $n after ${install_timeout} s:"
      vm_run "$n" 120 <<<"tail -n 40 /var/log/kube-airgap-install.log; systemctl list-units --no-pager --state=activating,failed" 2>&1 || true
    } >>"$work/$tag.log"
  fi
  echo "$rc" >"$work/$tag.rc"
}
install_start() { rm -f "$work/$1.rc"; vms_background install_job "$@"; }
install_wait() {
  local tag="$1"
  while [ ! -f "$work/$tag.rc" ]; do sleep 2; done
  INSTALL_RC="$(cat "$work/$tag.rc")"
  INSTALL_OUT="$(cat "$work/$tag.log")"
}
install_passed() { # TAG NODE WHAT: exit 0 passes; the "waiting for etcd quorum" exit passes if a re-run exits 0
  local tag="$1" n="$2" what="$3"
  install_wait "$tag"
  # only the documented exit (8, "waiting for etcd quorum") earns a re-run; any other failure is one
  if [ "$INSTALL_RC" = 8 ] && echo "$INSTALL_OUT" | grep -qE 'has no quorum after|may not have quorum yet'; then
    vms_log "$n: install.sh ended with the documented waiting exit $INSTALL_RC:"
    echo "$INSTALL_OUT" | grep -i 'quorum' | tail -n 3 | sed 's/^/    /' >&2
    install_start "$tag" "$n" b1 "$(pubkey_arg)"
    install_wait "$tag"
    what="$what (after the documented quorum wait, re-run)"
  fi
  if [ "$INSTALL_RC" = 0 ]; then
    pass "$n: $what exits 0"
  else
    fail "$n: $what exits 0 (got $INSTALL_RC)"; failing_vm="$n"
    echo "$INSTALL_OUT" | tail -n 40 | sed 's/^/    /' >&2
  fi
}

units_active="for u in ${units[*]}; do s=\$(systemctl is-active \$u); echo \"\$u \$s\"; [ \"\$s\" = active ] || bad=1; done; [ -z \"\${bad:-}\" ]"
# shellcheck disable=SC2016  # expanded in the VM
etcd_health='out=$(ETCDCTL_API=3 $KA_BIN_DIR/etcdctl --endpoints https://$KA_NODE_IP:2379 --cacert $KA_ETCD_CACERT --cert $KA_ETCD_CERT --key $KA_ETCD_KEY endpoint health --cluster 2>&1); echo "$out"'
etcd_3_healthy="$etcd_health
[ \$(echo \"\$out\" | grep -c 'is healthy') -eq 3 ] && for ip in ${ips[*]}; do echo \"\$out\" | grep -q \"https://\$ip:2379 is healthy\" || exit 1; done"
images_pinned="list=\$(\$KA_BIN_DIR/ctr --address \$KA_CONTAINERD_SOCKET -n k8s.io images ls); echo \"\$list\" | awk '{print \$1, \$NF}'
for img in ${images[*]}; do echo \"\$list\" | grep \"^\$img \" | grep -q 'io.cri-containerd.pinned=pinned' || { echo \"\$img missing or not pinned\"; exit 1; }; done"
# shellcheck disable=SC2016  # expanded in the VM
kubectl_healthz='for i in 1 2 3; do out=$($KA_BIN_DIR/kubectl --kubeconfig $KA_ADMIN_KUBECONFIG --request-timeout=10s get --raw /healthz </dev/null 2>&1); echo "$out"; [ "$out" = ok ] || exit 1; done
grep -q "server: https://127.0.0.1:8443" $KA_ADMIN_KUBECONFIG'

if wants one-by-one; then
  scenario one-by-one
  order=(k8s-03 k8s-01 k8s-02)
  t0=$(date +%s)
  for k in 0 1 2; do
    n="${order[$k]}"
    if [ "$k" -gt 0 ]; then
      while [ "$(date +%s)" -lt $((t0 + 61 * k)) ]; do sleep 1; done
    fi
    vms_log "starting install.sh on $n ($(( $(date +%s) - t0 )) s after the first)"
    install_start "one-$n" "$n" b1 "$(pubkey_arg)"
  done
  for n in "${order[@]}"; do install_passed "one-$n" "$n" "install.sh (one by one)"; done
  vms_log "one-by-one installs done $(( $(date +%s) - t0 )) s after the first started"
  for n in "${order[@]}"; do  # kept with the work dir: where an install spends its time, step by step
    vm_run "$n" 120 <<<"cat /var/log/kube-airgap-install.log" >"$work/install-log-$n.txt" 2>&1 || true
    vms_log "$n: $("$here/tools/slowest-steps.py" "$work/install-log-$n.txt" 6 2>&1)"
  done

  check_all "every unit active" 0 "$units_active"
  check "etcd: 3 healthy members on the VM IPs" k8s-01 0 "$(env_of k8s-01)
$etcd_3_healthy"
  check "every add-on object exists exactly once" k8s-02 0 "$(env_of k8s-02)
keys=\$(ETCDCTL_API=3 \$KA_BIN_DIR/etcdctl --endpoints https://\$KA_NODE_IP:2379 --cacert \$KA_ETCD_CACERT --cert \$KA_ETCD_CERT --key \$KA_ETCD_KEY get --prefix /registry/ --keys-only | grep . | grep -v '^/registry/kube-airgap-fixture/')
echo \"\$keys\" | $tools/addons-once.py \$KA_ADDONS_DIR"
  check_all "images imported before kubelet's first start (journal: containerd ImageCreate events vs kubelet start)" 0 \
    "first=\$(journalctl --no-pager -o short-unix -u kubelet | grep -m1 -E '^[0-9]' | cut -d' ' -f1); echo \"kubelet first journal entry at \$first\"
[ -n \"\$first\" ] || exit 1
for img in ${images[*]}; do
  at=\$(journalctl --no-pager -o short-unix -u containerd | grep 'ImageCreate event' | grep -m1 \"Name:\$img,\" | cut -d' ' -f1)
  echo \"\$img created at \${at:-never}\"
  [ -n \"\$at\" ] && python3 -c \"import sys; sys.exit(0 if float('\$at') < float('\$first') else 1)\" || exit 1
done"
  check_all "images present in containerd's k8s.io namespace and pinned" 0 "$images_pinned"
  check "kubectl get --raw /healthz through 127.0.0.1:8443 is ok" k8s-01 0 "$(env_of k8s-01)
$kubectl_healthz"
  check "stop the apiserver on k8s-02" k8s-02 0 "systemctl stop kube-apiserver && ! systemctl is-active -q kube-apiserver"
  check "kubectl get --raw /healthz still ok with k8s-02's apiserver down" k8s-01 0 "$(env_of k8s-01)
$kubectl_healthz"
  check "start the apiserver on k8s-02 again" k8s-02 0 "systemctl start kube-apiserver && sleep 5 && systemctl is-active kube-apiserver"
  if wants hosts; then
    check_all "Calico's rule on the running kubelet: InternalIP = kubelet --node-ip = the inventory IP, on an en* NIC" 0 \
      "nodeip=\$(tr '\\0' '\\n' </proc/\$(systemctl show -p MainPID --value kubelet)/cmdline | sed -n 's/^--node-ip=//p')
set -- \$KA_ADDONS_DIR; $calico_method_script
got=\$($tools/ka-calico-autodetect \"\$m\" \"\$nodeip\") || exit 1; echo \"method \$m, --node-ip \$nodeip: \$got\"
[ \"\${got%%/*}\" = \"\$KA_NODE_IP\" ] && echo \"\$got\" | grep -qE ' en[a-z0-9]+\$'"
    # kubelet's config names the installer's link (KA_KUBELET_RESOLV_CONF); the link picks the file per host, as kubeadm does
    resolv_is() { echo "conf=\$(sed -n 's/^resolvConf: //p' /var/lib/kubelet/config.yaml); echo \"resolvConf: \$conf -> \$(readlink \"\$conf\")\"
[ \"\$(readlink \"\$conf\")\" = $1 ]"; }
    check "kubelet's resolvConf leads to systemd-resolved's upstream file" k8s-01 0 "$(resolv_is /run/systemd/resolve/resolv.conf)"
    check "kubelet's resolvConf leads to /etc/resolv.conf without systemd-resolved" k8s-03 0 "$(resolv_is /etc/resolv.conf)"
  fi
  scenario_done
fi

# --- scenario: ansible ----------------------------------------------------------------------------------------------------
# The generated deploy/ run as an operator runs it from a jump host inside the gap: ansible-playbook in the namespace
# (the VMs' network; from the root namespace their addresses route out to the real network), as root over SSH with
# this run's key, the signing key's fingerprint given as if from a second channel.
ansible_stage="/var/tmp/kube-airgap-deploy/$cluster"                    # the playbook's default stage directory
ansible_env_of() { echo ". $ansible_stage/$cluster-$1/lib/layout.env"; }
if wants ansible; then
  scenario ansible
  ba_dir="$(dirname "$(tarball_of ba k8s-01)")"
  check_each "authorize this run's SSH key for root; sshd listening on 22" 0 \
    "install -d -m 0700 /root/.ssh && install -m 0600 /root/in/ssh/authorized_keys /root/.ssh/authorized_keys
systemctl is-active -q ssh || systemctl start ssh; ss -ltn | grep -q ':22 '"
  ip -n "$KA_NS" addr add 10.77.0.1/24 dev br0
  fingerprint="$(openssl pkey -pubin -in "$ba_dir/$pubkey_name" -outform DER | sha256sum | cut -d' ' -f1)"
  ansible_run() { # LOG: the playbook from the jump host's side; sets ANSIBLE_RC
    local t; t=$(date +%s); ANSIBLE_RC=0
    vms_log "ansible-playbook from $ba_dir/deploy in namespace $KA_NS (log: $1)"
    (cd "$ba_dir/deploy" && timeout $((install_timeout * 3)) ip netns exec "$KA_NS" env ANSIBLE_NOCOLOR=1 ANSIBLE_HOST_KEY_CHECKING=False \
        ansible-playbook -v playbook.yml -u root --private-key "$work/ansible-key" \
        --ssh-common-args='-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o ConnectTimeout=20' \
        -e "kube_airgap_pubkey_fingerprint=$fingerprint" -e kube_airgap_worker_serial=1 -e kube_airgap_test_bundle=true) >"$1" 2>&1 || ANSIBLE_RC=$?
    vms_log "ansible-playbook exited $ANSIBLE_RC after $(( $(date +%s) - t )) s"
  }
  # k8s-02's host shape hides nft: preflight fails there, and the rollout must stop before installing anything
  ansible_run "$work/ansible-preflight.log"
  if [ "$ANSIBLE_RC" -ne 0 ] && grep -q 'FAIL.*host tool nft missing' "$work/ansible-preflight.log" \
     && ! grep -q '^TASK \[install.sh install' "$work/ansible-preflight.log"; then
    pass "ansible: preflight failing on k8s-02 (no nft) stopped the rollout before any install"
  else
    fail "ansible: preflight failing on k8s-02 (no nft) stopped the rollout before any install (exit $ANSIBLE_RC)"
    tail -n 40 "$work/ansible-preflight.log" | sed 's/^/    /' >&2
  fi
  check_each "nothing installed by the stopped rollout" 0 "test ! -e /etc/kube-airgap/trusted.pub && test ! -e /etc/systemd/system/etcd.service"
  check "nft provided (the nftables package's binary back in place)" k8s-02 0 "test -e /usr/sbin/nft || mv /var/lib/ka-e2e/hidden/nft /usr/sbin/nft; nft --version"
  ansible_run "$work/ansible.log"
  if [ "$ANSIBLE_RC" -eq 0 ] && [ "$(grep -cE '^k8s-0[123] +: ok=[0-9]+ +changed=[0-9]+ +unreachable=0 +failed=0' "$work/ansible.log")" -eq 3 ]; then
    pass "ansible-playbook deployed the cluster (PLAY RECAP: no host unreachable or failed)"
  else
    fail "ansible-playbook deployed the cluster (exit $ANSIBLE_RC)"
    tail -n 60 "$work/ansible.log" | sed 's/^/    /' >&2
  fi
  # the playbook's own order: verification before extraction, preflight on all before the etcd play, etcd together
  if awk '/^TASK \[Verify the signature/{v=NR} /^TASK \[Extract/{x=NR} /^TASK \[Preflight/{p=NR} /^PLAY \[Install the etcd members/{e=NR}
          END { exit !(v && x && p && e && v < x && x < p && p < e) }' "$work/ansible.log"; then
    pass "ansible: verify, extract, preflight on every node, then the etcd play (playbook output order)"
  else
    fail "ansible: verify, extract, preflight on every node, then the etcd play (playbook output order)"
  fi
  check_each "every unit active" 0 "$units_active"
  check "etcd: 3 healthy members on the VM IPs" k8s-01 0 "$(ansible_env_of k8s-01)
$etcd_3_healthy"
  check_each "images present in containerd's k8s.io namespace and pinned" 0 "$(ansible_env_of "\$(hostname)")
$images_pinned"
  check "kubectl get --raw /healthz through 127.0.0.1:8443 is ok" k8s-01 0 "$(ansible_env_of k8s-01)
$kubectl_healthz"
  check "the stage directory is root's alone (0700)" k8s-02 0 "stat -c '%a %U' $ansible_stage; [ \"\$(stat -c '%a %U' $ansible_stage)\" = '700 root' ]"
  scenario_done
fi

# --- scenario: upgrade ----------------------------------------------------------------------------------------------------
# runs_version VERSION: current points at VERSION's directory; every Kubernetes unit was (re)started after the switch and
# its binary reports VERSION; this node's kube-apiserver answers /version with it
runs_version() {
  printf '%s\n' "want=$1
cur=\$(readlink \$KA_PREFIX/current); switched=\$(stat -c %Y \$KA_PREFIX/current); echo \"current -> \$cur (switched at \$switched)\"
case \"\$cur\" in \"\$want\"-*) ;; *) exit 1 ;; esac
for u in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy; do
  v=\$(\$KA_BIN_DIR/\$u --version 2>&1 | head -n1); at=\$(date -d \"\$(systemctl show -p ActiveEnterTimestamp --value \$u)\" +%s)
  echo \"\$u: \$v, active since \$at\"; case \"\$v\" in *\"v\$want\"*) ;; *) exit 1 ;; esac; [ \"\$at\" -ge \"\$switched\" ] || exit 1
done
v=\$(\$KA_BIN_DIR/kubectl --kubeconfig \$KA_ADMIN_KUBECONFIG --server https://\$KA_APISERVER_ADDRESS --request-timeout=10s get --raw /version </dev/null | tr -d ' \\n')
echo \"kube-apiserver /version: \$v\"; echo \"\$v\" | grep -q \"\\\"gitVersion\\\":\\\"v\$want\\\"\""
}
# upgrade_install TAG NODE SET WHAT ACCEPTED_EXITS: install.sh of SET on NODE (re-run after the quorum wait, exit 8)
upgrade_install() {
  local tag="$1" n="$2" set="$3" what="$4" accepted=" $5 "
  install_start "$tag" "$n" "$set" "$(pubkey_arg)"; install_wait "$tag"
  if [ "$INSTALL_RC" = 8 ]; then install_start "$tag" "$n" "$set" "$(pubkey_arg)"; install_wait "$tag"; fi
  case "$accepted" in
    *" $INSTALL_RC "*) pass "$n: $what exits $INSTALL_RC (accepted: $5)" ;;
    *) fail "$n: $what exits one of $5 (got $INSTALL_RC)"; failing_vm="$n"; echo "$INSTALL_OUT" | tail -n 30 | sed 's/^/    /' >&2 ;;
  esac
}
if wants upgrade; then
  scenario upgrade
  for n in "${names[@]}"; do install_start "up0-$n" "$n" b0 "$(pubkey_arg)"; done
  for n in "${names[@]}"; do
    install_wait "up0-$n"
    if [ "$INSTALL_RC" = 8 ]; then upgrade_install "up0-$n" "$n" b0 "install.sh of the 1.35.7 bundle (re-run)" 0
    elif [ "$INSTALL_RC" = 0 ]; then pass "$n: install.sh of the 1.35.7 bundle exits 0"
    else fail "$n: install.sh of the 1.35.7 bundle exits 0 (got $INSTALL_RC)"; failing_vm="$n"; echo "$INSTALL_OUT" | tail -n 30 | sed 's/^/    /' >&2; fi
  done
  check_all "every node runs 1.35.7" 0 "$(runs_version 1.35.7)"
  check "start polling /healthz through 127.0.0.1:8443 every second" k8s-01 0 "$(env_of k8s-01)
rm -f /root/healthz-upgrade.log
(while :; do r=\$(\$KA_BIN_DIR/kubectl --kubeconfig \$KA_ADMIN_KUBECONFIG --request-timeout=30s get --raw /healthz </dev/null 2>&1 | tr '\\n' ' '); echo \"\$(date +%s) \$r\" >>/root/healthz-upgrade.log; sleep 1; done) >/dev/null 2>&1 &
echo \$! >/root/healthz-upgrade.pid"
  # etcd members first, then control-plane nodes one at a time, then workers: every node here is all three, in turn;
  # the first two hold controller-manager, scheduler, kubelet and kube-proxy (exit 10) while an apiserver is 1.35
  for n in k8s-01 k8s-02 k8s-03; do
    want="0 10"; [ "$n" = k8s-03 ] && want=0
    upgrade_install "up1-$n" "$n" b1 "install.sh of the 1.36.3 bundle (upgrade)" "$want"
    check "etcd: 3 healthy members after upgrading $n" "$n" 0 "$(env_of "$n")
$etcd_3_healthy"
  done
  for n in k8s-01 k8s-02; do upgrade_install "up2-$n" "$n" b1 "install.sh of the 1.36.3 bundle again (releases the held units)" 0; done
  check_all "every node runs 1.36.3" 0 "$(runs_version 1.36.3)"
  check "/healthz through 127.0.0.1:8443 failed at most ${KA_E2E_UPGRADE_MAX_FAILURES:-3} times during the upgrade" k8s-01 0 \
    "kill \$(cat /root/healthz-upgrade.pid); n=\$(wc -l </root/healthz-upgrade.log); bad=\$(grep -vcE ' ok ?\$' /root/healthz-upgrade.log); gap=\$(awk 'NR>1 && \$1-p>g {g=\$1-p} {p=\$1} END {print g+0}' /root/healthz-upgrade.log); echo \"\$n polls, \$bad not ok, longest gap between polls \${gap} s\"; grep -vE ' ok ?\$' /root/healthz-upgrade.log | head; [ \"\$n\" -ge 10 ] && [ \"\$bad\" -le ${KA_E2E_UPGRADE_MAX_FAILURES:-3} ]"
  check_timeout=$install_timeout check "install.sh rollback on k8s-03 exits 0" k8s-03 0 "cd $(bundle_of k8s-03 b1) && ./install.sh rollback --test-bundle $(pubkey_arg)"
  check "k8s-03 runs 1.35.7 again" k8s-03 0 "$(env_of k8s-03)
$(runs_version 1.35.7)"
  check "etcd: 3 healthy members after the rollback" k8s-03 0 "$(env_of k8s-03)
$etcd_3_healthy"
  scenario_done
fi

# --- scenario: restart ----------------------------------------------------------------------------------------------------
invocations="for u in ${units[*]}; do echo \"\$u \$(systemctl show -p InvocationID --value \$u)\"; done"
if wants restart; then
  scenario restart
  unpack b2
  declare -A inv_before
  for n in "${names[@]}"; do check "record every unit's InvocationID" "$n" 0 "$invocations"; inv_before[$n]="$LAST_OUTPUT"; done
  check "start polling /healthz through 127.0.0.1:8443 every second" k8s-01 0 "$(env_of k8s-01)
rm -f /root/healthz.log
(while :; do r=\$(\$KA_BIN_DIR/kubectl --kubeconfig \$KA_ADMIN_KUBECONFIG --request-timeout=30s get --raw /healthz </dev/null 2>&1 | tr '\\n' ' '); echo \"\$(date +%s) \$r\" >>/root/healthz.log; sleep 1; done) >/dev/null 2>&1 &
echo \$! >/root/healthz.pid"
  for n in "${names[@]}"; do install_start "restart-$n" "$n" b2; done
  for n in "${names[@]}"; do
    install_wait "restart-$n"
    if [ "$INSTALL_RC" = 0 ]; then pass "$n: install.sh of the kube-proxy-only bundle (pinned key) exits 0"
    else fail "$n: install.sh of the kube-proxy-only bundle exits 0 (got $INSTALL_RC)"; failing_vm="$n"; echo "$INSTALL_OUT" | tail -n 30 | sed 's/^/    /' >&2; fi
  done
  check "/healthz through 127.0.0.1:8443 answered ok throughout" k8s-01 0 \
    "kill \$(cat /root/healthz.pid); n=\$(wc -l </root/healthz.log); bad=\$(grep -vcE ' ok ?\$' /root/healthz.log); gap=\$(awk 'NR>1 && \$1-p>g {g=\$1-p} {p=\$1} END {print g+0}' /root/healthz.log); echo \"\$n polls, \$bad not ok, longest gap between polls \${gap} s\"; grep -vE ' ok ?\$' /root/healthz.log | head; [ \"\$n\" -ge 10 ] && [ \"\$bad\" -eq 0 ]"
  for n in "${names[@]}"; do
    check "read every unit's InvocationID again" "$n" 0 "$invocations"
    changed="$({ diff <(echo "${inv_before[$n]}") <(echo "$LAST_OUTPUT") || true; } | sed -n 's/^> \([^ ]*\) .*/\1/p' | tr '\n' ' ')"
    if [ "$changed" = "kube-proxy " ]; then pass "$n: only kube-proxy restarted"
    else fail "$n: only kube-proxy restarted (restarted: ${changed:-nothing})"; fi
  done
  # a second run of the same bundle changes no file and restarts nothing
  snapshot="$invocations; for u in ${units[*]}; do echo \"\$u \$(systemctl show -p MainPID --value \$u)\"; done
$(tree_manifest k8s-01 b2)"
  check "snapshot units and files" k8s-01 0 "$snapshot"
  before="$LAST_OUTPUT"
  check_timeout=$install_timeout check "install.sh of the same bundle again exits 0" k8s-01 0 "cd $(bundle_of k8s-01 b2) && ./install.sh --yes --test-bundle"
  check "snapshot units and files again" k8s-01 0 "$snapshot"
  if [ "$LAST_OUTPUT" = "$before" ]; then pass "k8s-01: a second install changed no file and restarted no unit"
  else fail "k8s-01: a second install changed no file and restarted no unit"; diff <(echo "$before") <(echo "$LAST_OUTPUT") | head -n 20 | sed 's/^/    /' >&2 || true; fi
  scenario_done
fi

# --- scenario: renew ------------------------------------------------------------------------------------------------------
if wants renew; then
  scenario renew
  unpack b3
  renew_prev=b1; if wants restart; then renew_prev=b2; fi
  declare -A renew_inv_before
  for n in "${names[@]}"; do check "record every unit's InvocationID" "$n" 0 "$invocations"; renew_inv_before[$n]="$LAST_OUTPUT"; done
  # one node at a time, as docs/pki.md says: etcd keeps its quorum
  for n in "${names[@]}"; do
    install_start "renew-$n" "$n" b3 "$(pubkey_arg)"
    install_wait "renew-$n"
    if [ "$INSTALL_RC" = 0 ]; then pass "$n: install.sh of the renewal bundle exits 0"
    else fail "$n: install.sh of the renewal bundle exits 0 (got $INSTALL_RC)"; failing_vm="$n"; echo "$INSTALL_OUT" | tail -n 30 | sed 's/^/    /' >&2; fi
  done
  check_each "kube-apiserver and etcd serve the renewed certificates, same CAs (openssl)" 0 \
    "$tools/renewal-check.sh $(bundle_of "\$(hostname)" b3)/lib/layout.env $(bundle_of "\$(hostname)" "$renew_prev")"
  for n in "${names[@]}"; do
    check "read every unit's InvocationID again" "$n" 0 "$invocations"
    changed="$({ diff <(echo "${renew_inv_before[$n]}") <(echo "$LAST_OUTPUT") || true; } | sed -n 's/^> \([^ ]*\) .*/\1/p' | tr '\n' ' ')"
    if [ "$changed" = "etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy " ]; then
      pass "$n: exactly the units that use a renewed file restarted (not containerd, kube-nginx)"
    else fail "$n: exactly the units that use a renewed file restarted (restarted: ${changed:-nothing})"; fi
  done
  scenario_done
fi

# --- scenario: egress -----------------------------------------------------------------------------------------------------
airgap_counters="nft -j list counters table inet airgap | python3 -c 'import json,sys
c={o[\"counter\"][\"name\"]: o[\"counter\"][\"packets\"] for o in json.load(sys.stdin)[\"nftables\"] if \"counter\" in o}
print(c); sys.exit(0 if c[\"outside\"] == 0 and c[\"inside\"] > 0 else 1)'"
if wants egress; then
  scenario egress
  for n in k8s-01 k8s-03; do
    check "a CRI pull of an image not in the bundle fails within 20 s, naming the image" "$n" 0 "$(env_of "$n")
img=registry.k8s.io/e2e/not-in-the-bundle:v0.0.1
s=\$(date +%s); rc=0; out=\$($tools/ka-cri \$KA_CONTAINERD_SOCKET pull \$img 2>&1) || rc=\$?; d=\$(( \$(date +%s) - s ))
echo \"\$out (exit \$rc after \$d s)\"
[ \"\$rc\" -ne 0 ] && [ \"\$d\" -le 20 ] && echo \"\$out\" | grep -q \"\$img\""
  done
  check_all "air gap: nftables counter shows 0 packets outside 10.77.0.0/24 and >0 inside" 0 "$airgap_counters"
  scenario_done
fi

# --- scenario: reboot -----------------------------------------------------------------------------------------------------
if wants reboot; then
  scenario reboot
  check "install log size before the reboot" k8s-02 0 "$(env_of k8s-02)
stat -c %s \$KA_INSTALL_LOG"
  log_before="$LAST_OUTPUT"
  if vm_reboot k8s-02 600; then pass "k8s-02: rebooted (new boot id)"; else fail "k8s-02: rebooted"; failing_vm=k8s-02; fi
  check "every unit active again after the reboot, without the installer" k8s-02 0 "$(env_of k8s-02)
for i in \$(seq 1 60); do bad=; for u in ${units[*]}; do [ \"\$(systemctl is-active \$u)\" = active ] || bad=1; done; [ -z \"\$bad\" ] && break; sleep 5; done
$units_active; [ \"\$(stat -c %s \$KA_INSTALL_LOG)\" = '$log_before' ] || { echo 'the installer ran'; exit 1; }"
  check "etcd: k8s-02 rejoined, 3 healthy members" k8s-02 0 "$(env_of k8s-02)
for i in \$(seq 1 20); do $etcd_health; [ \$(echo \"\$out\" | grep -c 'is healthy') -eq 3 ] && break; sleep 3; done
$etcd_3_healthy"
  check "images still present and pinned after the reboot" k8s-02 0 "$(env_of k8s-02)
$images_pinned"
  scenario_done
fi

# --- scenario: uninstall --------------------------------------------------------------------------------------------------
if wants uninstall; then
  scenario uninstall
  check "a container through CRI from a bundled image, with a pod volume mounted under kubelet's directory" k8s-03 0 "$(env_of k8s-03)
vol=/var/lib/kubelet/pods/ka-e2e-uid/volumes/kubernetes.io~empty-dir/cache
mkdir -p \$vol && mount -t tmpfs -o size=1m tmpfs \$vol && echo data >\$vol/file
ids=\$($tools/ka-cri \$KA_CONTAINERD_SOCKET run ka-e2e-uninstall registry.k8s.io/coredns/coredns:v1.14.2 \$vol:/data) || exit 1
echo \"sandbox and container: \$ids\"; $tools/ka-cri \$KA_CONTAINERD_SOCKET ps; grep -c ' /var/lib/kubelet' /proc/self/mounts
pgrep -f containerd-shim >/dev/null"
  check "Calico's and kube-proxy's leftovers, as the real ones leave them (interfaces, CNI config, nft and iptables tables)" k8s-03 0 \
    "modprobe ipip && ip link add vxlan.calico type vxlan id 4096 dstport 4789 && ip link add cali0e2e0e2e0e2 type veth peer name ka-e2e-peer
mkdir -p /etc/cni/net.d && echo '{\"name\":\"k8s-pod-network\",\"cniVersion\":\"0.3.1\",\"plugins\":[]}' >/etc/cni/net.d/10-calico.conflist
nft add table ip kube-proxy && nft add table ip6 kube-proxy && nft add table ip calico
iptables -t nat -N KUBE-SERVICES && iptables -t filter -N cali-INPUT
ip -o link | grep -cE 'cali|tunl0|vxlan'"
  check_timeout=$install_timeout check "install.sh uninstall exits 0" k8s-03 0 "cd $(bundle_of k8s-03 b1) && rc=0; ./install.sh uninstall --yes >/root/uninstall.log 2>&1 || rc=\$?; tail -n 30 /root/uninstall.log; exit \$rc"
  # the test's crictl stand-in cannot list pods (no crictl obtainable here): uninstall must say so and stop the
  # container through runc, which is what caught the processes left in run 6
  check "uninstall stopped the CRI container through runc when crictl could not list it" k8s-03 0 \
    "grep -F 'crictl could not list the pod sandboxes' /root/uninstall.log && grep -E 'stop and delete container [0-9a-f]{64} \\(runc, k8s.io\\)' /root/uninstall.log"
  check "no container, shim, mount, CNI interface or config, kube-proxy/Calico table left; etcd's data stays" k8s-03 0 "$(env_of k8s-03)
for u in ${units[*]}; do if systemctl is-active -q \$u; then echo \"\$u still active\"; exit 1; fi; done
croot=\$(sed -n \"s/^root = '\\(.*\\)'/\\1/p\" /etc/containerd/config.toml $(bundle_of k8s-03 b1)/etc/containerd/config.toml 2>/dev/null | head -n1)
$tools/leftovers.sh \"\${croot:-/data/k8s/containerd}\" || exit 1
ls \$KA_ETCD_DATA_DIR | grep -q member"
  scenario_done
fi

# --- scenario: interrupt --------------------------------------------------------------------------------------------------
if wants interrupt; then
  scenario interrupt
  set_for_03=b1; if wants restart; then set_for_03=b2; fi
  check_timeout=$install_timeout check "SIGKILL install.sh while its units are starting" k8s-03 0 "cd $(bundle_of k8s-03 $set_for_03)
if systemctl is-active -q containerd; then ./install.sh uninstall --yes >/root/uninstall-first.log 2>&1 || { tail /root/uninstall-first.log; exit 1; }; fi
(exec setsid ./install.sh --yes --test-bundle $(pubkey_arg) </dev/null >/root/interrupted.log 2>&1) & pid=\$!
for i in \$(seq 1 3000); do
  for u in containerd etcd kube-apiserver; do case \$(systemctl is-active \$u 2>/dev/null) in active|activating) started=\$u ;; esac; done
  [ -n \"\${started:-}\" ] && break; kill -0 \$pid 2>/dev/null || { echo 'install.sh ended before any unit started'; tail /root/interrupted.log; exit 1; }; sleep 0.2
done
kill -KILL \$pid; sleep 1; ! kill -0 \$pid 2>/dev/null || exit 1
echo \"killed install.sh (pid \$pid) as \$started was starting; its log ends:\"; tail -n 3 /root/interrupted.log"
  check_timeout=$install_timeout check "install.sh again after SIGKILL exits 0" k8s-03 0 "cd $(bundle_of k8s-03 $set_for_03) && ./install.sh --yes --test-bundle $(pubkey_arg)"
  check "every unit active" k8s-03 0 "$units_active"
  check "manifest of the tree after interrupt + re-run" k8s-03 0 "$(tree_manifest k8s-03 $set_for_03)"
  interrupted="$LAST_OUTPUT"
  check_timeout=$install_timeout check "uninstall, then a clean install of the same bundle" k8s-03 0 "cd $(bundle_of k8s-03 $set_for_03) && ./install.sh uninstall --yes && ./install.sh --yes --test-bundle $(pubkey_arg)"
  check "manifest of the clean install's tree" k8s-03 0 "$(tree_manifest k8s-03 $set_for_03)"
  if [ "$LAST_OUTPUT" = "$interrupted" ] && [ "$(echo "$interrupted" | wc -l)" -gt 50 ]; then
    pass "k8s-03: the tree after interrupt + re-run equals a clean install's ($(echo "$interrupted" | wc -l) paths, sha256 and modes)"
  else
    fail "k8s-03: the tree after interrupt + re-run equals a clean install's"
    diff <(echo "$interrupted") <(echo "$LAST_OUTPUT") | head -n 30 | sed 's/^/    /' >&2 || true
  fi
  scenario_done
fi

# --- scenario: purge ------------------------------------------------------------------------------------------------------
if wants purge; then
  scenario purge
  # uninstall (its scenario) leaves no node uninstaller behind; install again first when nothing else did
  purge_set=b1; if wants restart; then purge_set=b2; fi
  ka_kept_list=/var/lib/kube-airgap-kept-data.list  # lib/kept-data.sh: --purge leaves no list of kept data behind
  check_timeout=$install_timeout check "an installed node to purge (install.sh again when uninstall ran last)" k8s-03 0 "$(env_of k8s-03)
test -x \$KA_PREFIX/uninstall.sh || { cd $(bundle_of k8s-03 $purge_set) && ./install.sh --yes --test-bundle $(pubkey_arg); }"
  check "the node's own uninstaller --purge, with no bundle on the node: units, files and data directories gone" k8s-03 0 "$(env_of k8s-03)
rm -rf /root/b1 /root/b2 /root/bad-*; find /root/in -name '*.tar.gz' -delete
ls -l \$KA_PREFIX/uninstall.sh || exit 1
rc=0; \$KA_PREFIX/uninstall.sh --purge --yes >/root/purge.log 2>&1 || rc=\$?
tail -n 12 /root/purge.log; echo \"uninstall.sh --purge exited \$rc\"; [ \"\$rc\" = 0 ] || exit 1
for u in ${units[*]}; do if systemctl is-active -q \$u; then echo \"\$u still active\"; exit 1; fi; done
for d in \$KA_DATA_DIRS; do if [ -e \"\$d\" ]; then echo \"\$d still there\"; exit 1; fi; done
if grep -E ' (/var/lib/kubelet|/run/containerd)' /proc/self/mounts; then echo 'mounts left (above)'; exit 1; fi
for f in /etc/kubernetes/admin.conf \$KA_BIN_DIR/kubelet $ka_kept_list; do if [ -e \"\$f\" ]; then echo \"\$f still there\"; exit 1; fi; done"
  scenario_done
fi

# --- summary ------------------------------------------------------------------------------------------------------------------
vms_log "scenarios run: $(echo "$scenarios" | xargs); left out: $(for s in $all_scenarios; do wants "$s" || printf '%s ' "$s"; done)"
vms_log "time per step: ${timings[*]}"
vms_log "$passed checks passed, ${#failed[@]} failed"
if [ "${#failed[@]}" -gt 0 ]; then
  printf '  failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
failing_vm=""
