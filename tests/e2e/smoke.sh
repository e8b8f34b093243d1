#!/usr/bin/env bash
# Harness self-test: boots three VMs on the private network, checks that systemd is up, that each
# VM got its input disk, that the VMs reach each other over TCP and nothing else, then tears down.
# Prints the boot time. Usage: tests/e2e/smoke.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=vms.sh
. "$here/vms.sh"

image="$("$here/build-image.sh")"
work="$(mktemp -d /var/tmp/ka-e2e-smoke.XXXXXX)"
# shellcheck disable=SC2317  # invoked by the EXIT trap
on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then for n in "${KA_VMS[@]}"; do vms_diagnose "$n"; done; fi
  vms_teardown
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 143' TERM INT
vms_init "$work" "$image"

names=(k8s-01 k8s-02 k8s-03)
ips=(10.77.0.11 10.77.0.12 10.77.0.13)
hosts="k8s-01=10.77.0.11,k8s-02=10.77.0.12,k8s-03=10.77.0.13"
for i in 0 1 2; do
  mkdir -p "$work/in-$i"; echo "payload for ${names[$i]}" > "$work/in-$i/hello.txt"
  tar -C "$work/in-$i" -cf "$work/${names[$i]}.in.tar" hello.txt
done
started=$(date +%s)
for i in 0 1 2; do vms_start "${names[$i]}" "${ips[$i]}/24" "$work/${names[$i]}.in.tar" "$hosts"; done
for n in "${names[@]}"; do vms_wait "$n" 300; done
boot=$(( $(date +%s) - started ))
vms_log "3 VMs answered on their control channel after $boot s"

fail=0
check() { # NAME DESCRIPTION EXPECTED SCRIPT
  local out
  out="$(vm_run "$1" 120 <<<"$4")" || true
  if [ "$out" = "$3" ]; then vms_log "ok   $1: $2"; else vms_log "FAIL $1: $2: expected '$3', got '$out'"; fail=1; fi
}
for i in 0 1 2; do
  n="${names[$i]}"
  check "$n" "hostname" "$n" "hostname"
  check "$n" "address" "${ips[$i]}" "ip -4 -o addr show scope global | awk '\$2 ~ /^en/ {print \$4}' | cut -d/ -f1"
  check "$n" "no default route" "" "ip route show default"
  check "$n" "input disk" "payload for $n" "tar -xOf /dev/vdb hello.txt"
  check "$n" "systemd state" "running" "systemctl is-system-running --wait 2>/dev/null || systemctl --failed --no-legend"
done
# TCP between VMs: k8s-02 listens, k8s-01 connects
vm_run k8s-02 30 <<<"nohup python3 -c 'import socket; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((\"0.0.0.0\", 7777)); s.listen()
for _ in range(2):
    c,_=s.accept(); c.sendall(b\"pong\"); c.close()' >/dev/null 2>&1 &" >/dev/null
sleep 2
for n in k8s-01 k8s-03; do
  check "$n" "tcp to k8s-02" "pong" "python3 -c 'import socket; s=socket.create_connection((\"k8s-02\", 7777), 10); print(s.recv(10).decode())'"
done
# anything outside the VM network is unreachable, and counted
check k8s-01 "no route outside" "unreachable" "python3 -c 'import socket
try:
    socket.create_connection((\"192.0.2.1\", 80), 3); print(\"reached\")
except OSError: print(\"unreachable\")'"
for n in "${names[@]}"; do
  check "$n" "air-gap counter outside == 0" "0" "nft -j list counter inet airgap outside | python3 -c 'import json,sys; print([o for o in json.load(sys.stdin)[\"nftables\"] if \"counter\" in o][0][\"counter\"][\"packets\"])'"
  check "$n" "air-gap counter inside > 0" "yes" "nft -j list counter inet airgap inside | python3 -c 'import json,sys; print(\"yes\" if [o for o in json.load(sys.stdin)[\"nftables\"] if \"counter\" in o][0][\"counter\"][\"packets\"] > 0 else \"no\")'"
done
vms_log "boot to control channel: $boot s for 3 VMs"
exit $fail
