#!/usr/bin/env bash
# End-to-end test: three air-gapped VMs with a real systemd install a cluster from their bundles.
#
#   1. builds (or reuses) the VM image, starts the loopback mirror + registry (tests/e2e/mirror.sh)
#   2. builds the bundles with ./build.sh --target=Bundle for tests/fixtures/e2e/cluster.yaml against that mirror
#      (upstream switched off)
#   3. boots three VMs on a private bridge in a network namespace (no route anywhere else), hands each its
#      tarball on a read-only disk, runs install.sh preflight, then install.sh in all three at once
#   4. checks: units active; etcd cluster of 3 healthy members on the VM IPs; images in containerd's k8s.io
#      namespace; kubectl through kube-nginx on node 1, also after the apiserver on node 2 is stopped; zero
#      packets to anything outside the VM network; a second install.sh changes and restarts nothing;
#      uninstall stops the units and keeps etcd's data directory
#   5. always tears everything down (VMs by PID, namespace, mirror servers, work dir)
#
# Usage: tests/e2e/run.sh            Exit 0 when every check passed.
# Environment:
#   KA_E2E_KEEP_WORK=1      keep the work directory (bundles, serial logs) for inspection
#   KA_E2E_CACHE            image and download cache (default /var/cache/kube-airgap-e2e)
#   KA_E2E_INSTALL_TIMEOUT  seconds for install.sh in the VMs (default 1200)
#   KA_E2E_BUNDLES_DIR      use the e2e bundles already built under this artifacts directory (skips the mirror and
#                           the build; for iterating on the VM part)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=vms.sh
. "$here/vms.sh"

cache_root="${KA_E2E_CACHE:-/var/cache/kube-airgap-e2e}"
install_timeout="${KA_E2E_INSTALL_TIMEOUT:-1200}"
inventory="$repo/tests/fixtures/e2e/cluster.yaml"
cluster=e2e
names=(k8s-01 k8s-02 k8s-03)
ips=(10.77.0.11 10.77.0.12 10.77.0.13)
hosts="k8s-01=10.77.0.11,k8s-02=10.77.0.12,k8s-03=10.77.0.13"
units=(containerd etcd kube-nginx kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)
images=(registry.k8s.io/pause:3.10.2 registry.k8s.io/coredns/coredns:v1.14.2 quay.io/calico/node:v3.31.7
        quay.io/calico/cni:v3.31.7 quay.io/calico/kube-controllers:v3.31.7)

started_all=$(date +%s)
work="$(mktemp -d /var/tmp/ka-e2e.XXXXXX)"
mirror="$work/mirror"
failed=()
passed=0
failing_vm=""

# shellcheck disable=SC2317  # invoked by the EXIT trap
on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ "${#KA_VMS[@]}" -gt 0 ]; then
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

# check NAME VM EXPECTED_EXIT SCRIPT: runs SCRIPT in VM, records pass/fail, prints output on failure
check() {
  local name="$1" vm="$2" want="$3" script="$4" out rc=0
  out="$(vm_run "$vm" 600 <<<"$script")" || rc=$?
  if [ "$rc" -eq "$want" ]; then
    passed=$((passed + 1)); vms_log "PASS $vm: $name"
  else
    failed+=("$vm: $name"); failing_vm="$vm"; vms_log "FAIL $vm: $name (exit $rc, want $want)"
    printf '%s\n' "$out" | tail -n 40 | sed 's/^/    /' >&2
  fi
  LAST_OUTPUT="$out"
}

# --- 1. image and mirror -----------------------------------------------------------------------------------
t=$(date +%s)
image="$("$here/build-image.sh")"
vms_log "VM image ready in $(( $(date +%s) - t )) s: $image"
artifacts="${KA_E2E_BUNDLES_DIR:-$work/artifacts}"
if [ -z "${KA_E2E_BUNDLES_DIR:-}" ]; then
  "$here/mirror.sh" start "$mirror"
  mapfile -t mirror_args <"$mirror/build-args"

  # --- 2. bundles --------------------------------------------------------------------------------------------
  t=$(date +%s)
  (cd "$repo" && NO_COLOR=1 ./build.sh --target=Bundle --cluster="$inventory" "${mirror_args[@]}" \
    --paths_artifacts="$artifacts" --paths_state="$work/state" --paths_cache="$cache_root/pipeline-cache") \
    >"$work/bundle.log" 2>&1 || { tail -n 60 "$work/bundle.log" >&2; vms_log "FAIL: ./build.sh --target=Bundle"; exit 1; }
  vms_log "bundles built in $(( $(date +%s) - t )) s"
  "$here/mirror.sh" stop "$mirror"
fi

# --- 3. VMs ------------------------------------------------------------------------------------------------------
vms_init "$work/vms" "$image"
for i in 0 1 2; do
  n="${names[$i]}"
  tarball="$(find "$artifacts" -name "$cluster-$n-amd64.tar.gz" | head -n1)"
  [ -n "$tarball" ] || { vms_log "no bundle for $n under $artifacts"; exit 1; }
  tar -C "$(dirname "$tarball")" -cf "$work/$n.in.tar" "$(basename "$tarball")"
  vms_start "$n" "${ips[$i]}/24" "$work/$n.in.tar" "$hosts"
done
t=$(date +%s)
for n in "${names[@]}"; do vms_wait "$n" 600 || { failing_vm="$n"; exit 1; }; done
vms_log "3 VMs booted to their control channel in $(( $(date +%s) - t )) s"

# the bundle directory inside each VM; lib/layout.env says where everything went
bundle="/root/bundle/$cluster"
env_of() { echo ". $bundle-$1/lib/layout.env"; }
for n in "${names[@]}"; do
  check "unpack the bundle from the read-only disk" "$n" 0 \
    "mkdir -p /root/bundle && tar -xOf /dev/vdb $cluster-$n-amd64.tar.gz | tar -xzf - -C /root/bundle && test -x $bundle-$n/install.sh"
done
for n in "${names[@]}"; do
  check "install.sh preflight passes" "$n" 0 "cd $bundle-$n && ./install.sh preflight"
done

# --- 4. install in all three at once (etcd needs a quorum before any member reports healthy) ------------------
t=$(date +%s)
declare -A install_rc
install_pids=()
for n in "${names[@]}"; do
  ( vm_run "$n" "$install_timeout" <<<"cd $bundle-$n && ./install.sh --yes" >"$work/$n.install.log" 2>&1; echo $? >"$work/$n.install.rc" ) &
  install_pids+=($!)
done
wait "${install_pids[@]}"  # not a bare wait: the VMs are children of this shell too
for n in "${names[@]}"; do
  install_rc[$n]="$(cat "$work/$n.install.rc")"
  if [ "${install_rc[$n]}" = 0 ]; then
    passed=$((passed + 1)); vms_log "PASS $n: install.sh exits 0"
  else
    failed+=("$n: install.sh exits 0 (got ${install_rc[$n]})"); failing_vm="$n"
    vms_log "FAIL $n: install.sh exited ${install_rc[$n]}"; tail -n 40 "$work/$n.install.log" | sed 's/^/    /' >&2
  fi
done
vms_log "install in 3 VMs took $(( $(date +%s) - t )) s"

for n in "${names[@]}"; do
  for u in "${units[@]}"; do
    check "systemctl is-active $u" "$n" 0 "systemctl is-active $u"
  done
done

check "etcd: 3 healthy members on the VM IPs" k8s-01 0 "$(env_of k8s-01)
out=\$(ETCDCTL_API=3 \$KA_BIN_DIR/etcdctl --endpoints https://\$KA_NODE_IP:2379 --cacert \$KA_ETCD_CACERT --cert \$KA_ETCD_CERT --key \$KA_ETCD_KEY endpoint health --cluster 2>&1); echo \"\$out\"
[ \$(echo \"\$out\" | grep -c 'is healthy') -eq 3 ] && for ip in ${ips[*]}; do echo \"\$out\" | grep -q \"https://\$ip:2379 is healthy\" || exit 1; done"

for n in "${names[@]}"; do
  script="$(env_of "$n")
list=\$(\$KA_BIN_DIR/ctr --address \$KA_CONTAINERD_SOCKET -n k8s.io images ls -q); echo \"\$list\""
  for img in "${images[@]}"; do script+="
echo \"\$list\" | grep -qx '$img' || { echo 'missing $img'; exit 1; }"; done
  check "ctr -n k8s.io images ls lists every image under its full name" "$n" 0 "$script"
done

kubectl_healthz="$(env_of k8s-01)
for i in 1 2 3 4 5 6; do out=\$(\$KA_BIN_DIR/kubectl --kubeconfig \$KA_ADMIN_KUBECONFIG --request-timeout=10s get --raw /healthz </dev/null 2>&1); echo \"\$out\"; [ \"\$out\" = ok ] || exit 1; done
grep -q 'server: https://127.0.0.1:8443' \$KA_ADMIN_KUBECONFIG"
check "kubectl get --raw /healthz through 127.0.0.1:8443 is ok" k8s-01 0 "$kubectl_healthz"
check "stop the apiserver on k8s-02" k8s-02 0 "systemctl stop kube-apiserver && ! systemctl is-active -q kube-apiserver"
check "kubectl get --raw /healthz still ok with k8s-02's apiserver down" k8s-01 0 "$kubectl_healthz"
check "start the apiserver on k8s-02 again" k8s-02 0 "systemctl start kube-apiserver && sleep 5 && systemctl is-active kube-apiserver"

# --- re-run: nothing changes, nothing restarts --------------------------------------------------------------------
snapshot="$(env_of k8s-01)
for u in ${units[*]}; do echo \"\$u \$(systemctl show -p InvocationID --value \$u) \$(systemctl show -p MainPID --value \$u)\"; done
find /etc/systemd/system /etc/kubernetes /etc/containerd /etc/kube-nginx \$KA_PREFIX -xdev \\( -type f -o -type l \\) -print0 2>/dev/null | sort -z | xargs -0 sha256sum 2>/dev/null | sha256sum"
check "snapshot units and files before the second install" k8s-01 0 "$snapshot"
before="$LAST_OUTPUT"
check "second install.sh exits 0" k8s-01 0 "cd $bundle-k8s-01 && ./install.sh --yes"
check "snapshot units and files after the second install" k8s-01 0 "$snapshot"
if [ "$LAST_OUTPUT" = "$before" ]; then
  passed=$((passed + 1)); vms_log "PASS k8s-01: second install changed no file and restarted no unit"
else
  failed+=("k8s-01: second install changed nothing"); vms_log "FAIL k8s-01: second install changed something:"
  diff <(echo "$before") <(echo "$LAST_OUTPUT") | sed 's/^/    /' >&2 || true
fi

# --- air gap -------------------------------------------------------------------------------------------------------
for n in "${names[@]}"; do
  check "air gap: nftables counter shows 0 packets outside 10.77.0.0/24 and >0 inside" "$n" 0 \
    "nft -j list counters table inet airgap | python3 -c 'import json,sys
c={o[\"counter\"][\"name\"]: o[\"counter\"][\"packets\"] for o in json.load(sys.stdin)[\"nftables\"] if \"counter\" in o}
print(c); sys.exit(0 if c[\"outside\"] == 0 and c[\"inside\"] > 0 else 1)'"
done

# --- uninstall keeps the data --------------------------------------------------------------------------------------
check "uninstall stops the units and keeps etcd's data directory" k8s-03 0 "$(env_of k8s-03)
cd $bundle-k8s-03 && ./install.sh uninstall --yes || exit 1
for u in ${units[*]}; do if systemctl is-active -q \$u; then echo \"\$u still active\"; exit 1; fi; done
test -d \$KA_ETCD_DATA_DIR && ls \$KA_ETCD_DATA_DIR | grep -q member"

# --- summary ---------------------------------------------------------------------------------------------------------
vms_log "$passed checks passed, ${#failed[@]} failed"
if [ "${#failed[@]}" -gt 0 ]; then
  printf '  failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
failing_vm=""
