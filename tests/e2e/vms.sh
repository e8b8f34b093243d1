#!/usr/bin/env bash
# VM harness library: sourced by the e2e scripts, never run directly.
#   vms_init WORKDIR IMAGE_DIR      create the network namespace, a bridge (no address) and nothing else
#   vms_start NAME IP/PREFIX INPUT_TAR HOSTS [KERNEL_ARGS]
#                                   qcow2 overlay + tap + qemu (TCG, 1 GiB), input tar as /dev/vdb; the NIC gets the
#                                   name udev gives it (ens*), found by its MAC (guest/ka-net); KERNEL_ARGS shape the
#                                   host (ka.resolved=1, ka.without=nft, systemd.wants=...)
#   vms_wait NAME TIMEOUT           wait until the control agent answers (systemd reached multi-user)
#   vm_reboot NAME TIMEOUT          reboot the guest (systemctl reboot) and wait for the agent of the new boot
#   vms_background CMD...           run CMD in the background; teardown kills it by PID if it is still running
#   vm_run NAME TIMEOUT <<<SCRIPT   run a bash script as root in the VM; prints output, returns its exit code
#   vms_diagnose NAME [UNIT...]     serial log tail and the units' journals, to stderr
#   vms_teardown                    stop every VM by PID, delete the namespace (taps, bridge), remove the work dir
# Environment: KA_E2E_MEM (MiB per VM, default 1024), KA_E2E_KEEP_WORK=1 keeps the work dir for inspection.
set -euo pipefail

KA_E2E_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KA_NS=""
KA_WORK=""
KA_IMAGE=""
KA_VMS=()
KA_BG_PIDS=()

vms_log() { echo "[e2e $(date -u +%H:%M:%S)] $*" >&2; }

vms_init() {
  KA_WORK="$1"
  KA_IMAGE="$2"
  KA_NS="ka-e2e-$$"
  mkdir -p "$KA_WORK"
  ip netns add "$KA_NS"
  ip -n "$KA_NS" link set lo up
  ip -n "$KA_NS" link add br0 type bridge
  ip -n "$KA_NS" link set br0 up
  vms_log "namespace $KA_NS with bridge br0, work dir $KA_WORK"
}

vms_start() {
  local name="$1" addr="$2" input="$3" hosts="$4" extra="${5:-}"
  local idx=${#KA_VMS[@]}
  local tap="tap$idx"
  local mac
  mac="$(printf '52:54:00:7a:00:%02x' $((idx + 1)))"
  qemu-img create -q -f qcow2 -F raw -b "$KA_IMAGE/root.img" "$KA_WORK/$name.qcow2"
  ip -n "$KA_NS" tuntap add dev "$tap" mode tap
  ip -n "$KA_NS" link set "$tap" master br0
  ip -n "$KA_NS" link set "$tap" up
  local args=(
    -name "$name" -accel tcg -cpu max -m "${KA_E2E_MEM:-1024}" -smp 1
    -kernel "$KA_IMAGE/vmlinuz" -initrd "$KA_IMAGE/initrd.img"
    -append "console=ttyS0 root=/dev/vda rw ipv6.disable=1 panic=-1 no_timer_check quiet systemd.show_status=1 ka.ip=$addr ka.mac=$mac ka.hostname=$name ka.hosts=$hosts${extra:+ $extra}"
    -drive "file=$KA_WORK/$name.qcow2,if=virtio,format=qcow2"
    -drive "file=$input,if=virtio,format=raw,readonly=on"
    -netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" -device "virtio-net-pci,netdev=n0,mac=$mac"
    -serial "file:$KA_WORK/$name.serial"
    -chardev "socket,id=ctl,path=$KA_WORK/$name.ctl,server=on,wait=off" -serial chardev:ctl
    -display none -vga none -monitor none
    -pidfile "$KA_WORK/$name.pid"
  )
  ip netns exec "$KA_NS" qemu-system-x86_64 "${args[@]}" >"$KA_WORK/$name.qemu.log" 2>&1 &
  echo $! >"$KA_WORK/$name.launcher.pid"
  KA_VMS+=("$name")
  vms_log "started $name ($addr) pid $! on $tap"
}

vm_run() {
  local name="$1" timeout="$2"
  python3 "$KA_E2E_HERE/vmctl.py" "$KA_WORK/$name.ctl" "$timeout"
}

vms_wait() {
  local name="$1" timeout="$2"
  local pid
  pid="$(cat "$KA_WORK/$name.launcher.pid")"
  local deadline=$(( $(date +%s) + timeout ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      vms_log "$name: qemu exited"; cat "$KA_WORK/$name.qemu.log" >&2 || true
      return 1
    fi
    if python3 "$KA_E2E_HERE/vmctl.py" "$KA_WORK/$name.ctl" 10 --ping >/dev/null 2>&1; then
      return 0
    fi
  done
  vms_log "$name: control agent did not answer within $timeout s"
  return 1
}

vm_boot_id() {
  vm_run "$1" 30 <<<"cat /proc/sys/kernel/random/boot_id"
}

vm_reboot() {
  local name="$1" timeout="$2" before now deadline
  before="$(vm_boot_id "$name")"
  vm_run "$name" 30 <<<"systemd-run --on-active=2 --unit=ka-e2e-reboot systemctl reboot" >/dev/null
  deadline=$(( $(date +%s) + timeout ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    sleep 3
    now="$(vm_boot_id "$name" 2>/dev/null || true)"
    if [ -n "$now" ] && [ "$now" != "$before" ]; then return 0; fi
  done
  vms_log "$name: no new boot within $timeout s"
  return 1
}

vms_background() {
  "$@" &
  KA_BG_PIDS+=($!)
}

vms_diagnose() {
  local name="$1"; shift
  {
    echo "----- $name: last 40 lines of the serial console -----"
    tail -n 40 "$KA_WORK/$name.serial" 2>/dev/null | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' || true
    if [ "$#" -gt 0 ]; then
      local u script=""
      for u in "$@"; do
        script+="echo '----- $name: systemctl status $u -----'; systemctl --no-pager status $u 2>&1 | head -n 15; "
        script+="echo '----- $name: journal of $u -----'; journalctl --no-pager -n 40 -u $u 2>&1; "
      done
      vm_run "$name" 60 <<<"$script" || true
    fi
  } >&2
}

vms_teardown() {
  local name pid
  for pid in "${KA_BG_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  KA_BG_PIDS=()
  for name in "${KA_VMS[@]}"; do
    for pid in "$(cat "$KA_WORK/$name.pid" 2>/dev/null)" "$(cat "$KA_WORK/$name.launcher.pid" 2>/dev/null)"; do
      if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; fi
    done
  done
  for name in "${KA_VMS[@]}"; do
    for pid in "$(cat "$KA_WORK/$name.pid" 2>/dev/null)" "$(cat "$KA_WORK/$name.launcher.pid" 2>/dev/null)"; do
      [ -n "$pid" ] || continue
      local tries=50
      while [ "$tries" -gt 0 ] && kill -0 "$pid" 2>/dev/null; do sleep 0.2; tries=$((tries - 1)); done
      kill -KILL "$pid" 2>/dev/null || true
    done
  done
  KA_VMS=()
  if [ -n "$KA_NS" ] && ip netns list | grep -qw "$KA_NS"; then
    ip netns delete "$KA_NS"
  fi
  KA_NS=""
  if [ -n "$KA_WORK" ] && [ -d "$KA_WORK" ]; then
    if [ "${KA_E2E_KEEP_WORK:-0}" = 1 ]; then
      vms_log "work dir kept: $KA_WORK"
    else
      rm -rf "$KA_WORK"
    fi
  fi
}
