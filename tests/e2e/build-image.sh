#!/usr/bin/env bash
# Builds (once, cached by input hash) the Debian 12 VM image the end-to-end test boots:
#   a minbase rootfs with systemd, the kernel + a small initramfs, and an ext4 root image.
# Prints the cache directory that holds vmlinuz, initrd.img and root.img.
# Environment:
#   KA_E2E_CACHE   cache root, outside the checkout (default /var/cache/kube-airgap-e2e)
#   KA_E2E_MIRROR  Debian mirror for debootstrap (default: the first bookworm URI apt is configured with)
#   KA_E2E_VMNET   the VMs' network, written into the guest's air-gap counter (default 10.77.0.0/24)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${KA_E2E_CACHE:-/var/cache/kube-airgap-e2e}"
vmnet="${KA_E2E_VMNET:-10.77.0.0/24}"
suite=bookworm
# packages of the root file system; the kernel is installed afterwards so its initramfs is built once, small
# systemd-resolved is installed but enabled only on the VM whose kernel command line asks for it; python3-grpcio is
# the CRI client's transport (tools/ka-cri, brought in on the input disk); dbus as on any systemd host; openssh-server
# for the ansible scenario (the playbook reaches the guests over SSH; root logs in with a key only, Debian's default)
packages="systemd,systemd-sysv,udev,dbus,iproute2,kmod,ca-certificates,openssl,curl,openssh-server,python3,python3-yaml,python3-grpcio,nftables,procps,conntrack,socat,iptables,systemd-timesyncd,systemd-resolved"
kernel_packages=(linux-image-amd64 initramfs-tools)
initrd_modules=(virtio_pci virtio_blk virtio_net virtio_console ext4 9p 9pnet_virtio)
image_size=8G

info() { echo "[e2e-image] $*" >&2; }
fatal() { echo "[e2e-image] error: $*" >&2; exit 1; }

default_mirror() {
  local uri
  uri="$(grep -rhs '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)"
  [ -n "$uri" ] || uri="$(grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}' | head -n1 || true)"
  echo "${uri:-http://deb.debian.org/debian}"
}
mirror="${KA_E2E_MIRROR:-$(default_mirror)}"

input_hash() {
  {
    echo "$suite|$packages|${kernel_packages[*]}|${initrd_modules[*]}|$image_size|$vmnet|$mirror"
    cat "$here/build-image.sh"
    (cd "$here/guest" && find . -type f | LC_ALL=C sort | while read -r f; do echo "== $f"; cat "$f"; done)
  } | sha256sum | cut -c1-16
}

hash="$(input_hash)"
out="$cache_root/image-$hash"
if [ -f "$out/root.img" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ]; then
  info "cached: $out"
  echo "$out"
  exit 0
fi

command -v debootstrap >/dev/null || fatal "debootstrap missing (run tests/install-test-deps.sh)"
command -v mkfs.ext4 >/dev/null || fatal "mkfs.ext4 missing (run tests/install-test-deps.sh)"
mkdir -p "$cache_root"
work="$(mktemp -d "$cache_root/.build-$hash.XXXXXX")"
root="$work/rootfs"
cleanup() {
  local rc=$?
  for m in dev/pts dev sys proc; do umountpoint="$root/$m"; mountpoint -q "$umountpoint" 2>/dev/null && umount -l "$umountpoint"; done
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT

started=$(date +%s)
info "debootstrap $suite from $mirror into $root"
debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; fatal "debootstrap failed"; }
info "debootstrap done in $(( $(date +%s) - started )) s"

# no documentation, manuals or locales in the image
mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
printf 'path-exclude /usr/share/doc/*\npath-exclude /usr/share/man/*\npath-exclude /usr/share/locale/*\npath-exclude /usr/share/info/*\n' \
  > "$root/etc/dpkg/dpkg.cfg.d/01-nodoc"
# small initramfs: only the drivers a virtio VM needs
mkdir -p "$root/etc/initramfs-tools/conf.d"
echo "MODULES=list" > "$root/etc/initramfs-tools/conf.d/ka-e2e.conf"
echo "COMPRESS=gzip" >> "$root/etc/initramfs-tools/conf.d/ka-e2e.conf"
printf '%s\n' "${initrd_modules[@]}" > "$root/etc/initramfs-tools/modules"
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"; chmod 0755 "$root/usr/sbin/policy-rc.d"

# systemd-resolved's package points /etc/resolv.conf at its stub, which does not run in the chroot: the kernel's
# download needs the host's resolver
rm -f "$root/etc/resolv.conf"; cp -L /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"; mount --rbind /sys "$root/sys"; mount --rbind /dev "$root/dev"
started=$(date +%s)
info "installing ${kernel_packages[*]}"
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  -o Dpkg::Options::=--force-confold "${kernel_packages[@]}" >"$work/kernel.log" 2>&1 \
  || { tail -n 30 "$work/kernel.log" >&2; fatal "kernel install failed"; }
chroot "$root" apt-get clean
info "kernel installed in $(( $(date +%s) - started )) s"
for m in dev sys proc; do umount -l "$root/$m"; done
rm -f "$root/usr/sbin/policy-rc.d"

# guest configuration
install -m 0755 "$here/guest/ka-net" "$root/usr/local/sbin/ka-net"
install -m 0755 "$here/guest/ka-agent" "$root/usr/local/sbin/ka-agent"
install -m 0644 "$here/guest/ka-net.service" "$root/etc/systemd/system/ka-net.service"
install -m 0644 "$here/guest/ka-agent.service" "$root/etc/systemd/system/ka-agent.service"
sed "s#@VMNET@#$vmnet#g" "$here/guest/nftables.conf" > "$root/etc/nftables.conf"
chmod 0755 "$root/etc/nftables.conf"
mkdir -p "$root/etc/systemd/system/multi-user.target.wants" "$root/etc/systemd/system/network-online.target.wants" \
  "$root/etc/systemd/system/sysinit.target.wants"
ln -sf /etc/systemd/system/ka-net.service "$root/etc/systemd/system/multi-user.target.wants/ka-net.service"
ln -sf /etc/systemd/system/ka-net.service "$root/etc/systemd/system/network-online.target.wants/ka-net.service"
ln -sf /etc/systemd/system/ka-agent.service "$root/etc/systemd/system/multi-user.target.wants/ka-agent.service"
ln -sf /lib/systemd/system/nftables.service "$root/etc/systemd/system/sysinit.target.wants/nftables.service"
for unit in getty@tty1.service getty-static.service serial-getty@ttyS0.service apt-daily.timer apt-daily-upgrade.timer \
            e2scrub_all.timer e2scrub_reap.service fstrim.timer; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
echo 'ka-e2e' > "$root/etc/hostname"
printf '/dev/vda / ext4 rw,noatime 0 0\n' > "$root/etc/fstab"
# resolv.conf is written per VM at boot by ka-net (empty, or systemd-resolved's stub); resolved itself starts only
# where the kernel command line says systemd.wants=systemd-resolved.service, and has no upstream server there
rm -f "$root/etc/resolv.conf"; : > "$root/etc/resolv.conf"
rm -f "$root/etc/systemd/system/multi-user.target.wants/systemd-resolved.service" \
  "$root/etc/systemd/system/sysinit.target.wants/systemd-resolved.service" \
  "$root/etc/systemd/system/dbus-org.freedesktop.resolve1.service"
mkdir -p "$root/etc/systemd/resolved.conf.d"
printf '[Resolve]\nDNS=\nFallbackDNS=\nLLMNR=no\nMulticastDNS=no\nDNSStubListener=yes\n' > "$root/etc/systemd/resolved.conf.d/ka-e2e.conf"
sed -i "s#^root:[^:]*:#root::#" "$root/etc/shadow"
# time sync configured as on an air-gapped site: its own NTP server, here 10.77.0.1 on the VM network (nothing
# answers there; the guest clock comes from the host's RTC), no public fallback
mkdir -p "$root/etc/systemd/timesyncd.conf.d"
printf '[Time]\nNTP=10.77.0.1\nFallbackNTP=\n' > "$root/etc/systemd/timesyncd.conf.d/ka-e2e.conf"
# journald: keep the journal in memory
mkdir -p "$root/etc/systemd/journald.conf.d"
# and copy it to the serial console, so that a failing run's serial log tail shows what the units said
printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=32M\nForwardToConsole=yes\nTTYPath=/dev/ttyS0\nMaxLevelConsole=info\n' > "$root/etc/systemd/journald.conf.d/ka-e2e.conf"
rm -rf "$root/var/cache/apt/"*.bin "$root/var/lib/apt/lists/"* 

cp "$(readlink -f "$root/vmlinuz")" "$work/vmlinuz"
cp "$(readlink -f "$root/initrd.img")" "$work/initrd.img"
info "kernel $(basename "$(readlink -f "$root/vmlinuz")"), initrd $(du -h "$work/initrd.img" | cut -f1), rootfs $(du -sh "$root" | cut -f1)"
mkfs.ext4 -q -F -L ka-root -d "$root" "$work/root.img" "$image_size" >&2
rm -rf "$root"
mkdir -p "$out.tmp"; mv "$work/vmlinuz" "$work/initrd.img" "$work/root.img" "$out.tmp/"
rm -rf "$out"; mv "$out.tmp" "$out"
# images built from other inputs are stale: keep only this one
find "$cache_root" -mindepth 1 -maxdepth 1 -type d -name 'image-*' ! -name "image-$hash" -exec rm -rf {} +
info "image ready: $out"
echo "$out"
