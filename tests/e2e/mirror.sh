#!/usr/bin/env bash
# The loopback "internet" the end-to-end test, the Demo and the Mirror target build against: a file mirror (python3
# http.server) and an OCI registry (Debian's docker-registry), both on 127.0.0.1 with free ports, holding, for each
# node arch asked for (amd64, arm64):
#   - the contract fixtures in place of kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy
#     (python scripts: the same file serves every arch)
#   - kubectl: the real one found on this machine for amd64; for arm64 a stand-in script (no arm64 kubectl is
#     obtainable here)
#   - etcd 3.4.23, containerd 1.6.20, runc 1.1.5 and the CNI plugins 1.1.1 from Debian's packages, repacked in the
#     upstream release layouts: amd64 from the installed packages, arm64 from Debian's arm64 .debs (real aarch64
#     ELF files; tests/install-test-deps.sh downloads them into KA_TEST_DEPS_DIR/arm64)
#   - the nginx 1.22.1 release tarball (Debian's orig.tar.gz, byte-identical to nginx.org's)
#   - tiny test images (busybox-static in an OCI image) under the names the release pins: pause, coredns, calico,
#     and one no pin names, quay.io/kube-airgap-demo/hello:1.0, for a user's own manifests (addons.extra);
#     with arm64 asked for, each is a multi-platform image index (linux/amd64 + linux/arm64, each arch's own busybox)
# and writes DIR/images.txt (every image served, as upstream-name:tag@digest) and DIR/pins.yaml: test pins whose sha256 and digests are computed here from those files (tests may
# compute checksums; production pins never are), plus DIR/build-args: the --key=value arguments that point the
# pipeline at this mirror with upstream switched off, and the test-only --test_relaxsupportedversions=true
# (Debian's containerd 1.6 is older than Kubernetes 1.36 supports; that check alone is relaxed).
# With arm64, build-args also name a kube-nginx stand-in for arm64 ([Nginx] Prebuilt_arm64: a static aarch64
# program from tests/fixtures/kube/kube-nginx-standin.c): compiling nginx for arm64 runs configure's test programs,
# which needs qemu-user registered in binfmt_misc, a global change this machine does not get.
#
#   mirror.sh start DIR [KUBERNETES_VERSION] [ARCHES]   build the content (once per DIR and ARCHES), start both
#                                                       servers, write pins (ARCHES: comma-separated, default amd64)
#   mirror.sh stop DIR                                  stop both servers by PID (safe to repeat)
#
# Environment: KA_TEST_DEPS_DIR (nginx source, arm64 .debs; default /var/cache/kube-airgap-test),
#              KA_KUBECTL (kubectl binary to serve; default the newest /usr/lib/google-cloud-sdk/bin/kubectl.1.*)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cmd="${1:?usage: mirror.sh start|stop DIR [VERSION]}"
dir="${2:?usage: mirror.sh start|stop DIR [VERSION]}"
k8s="${3:-1.36.3}"
IFS=', ' read -r -a arches <<<"${4:-amd64}"
deps="${KA_TEST_DEPS_DIR:-/var/cache/kube-airgap-test}"
nginx_src="$deps/nginx_1.22.1.orig.tar.gz"
nginx_sha256=9ebb333a9e82b952acd3e2b4aeb1d4ff6406f72491bab6cd9fe69f0dea737f31
# fixed timestamps inside the repacked tarballs, so their sha256 does not change from run to run
epoch=1700000000

# test images: layout tag -> repository:tag in the loopback registry (which mirrors registry.k8s.io and quay.io)
declare -A image_paths=(
  [pause]=pause:3.10.2
  [coredns]=coredns/coredns:v1.14.2
  [calico-node]=calico/node:v3.31.7
  [calico-cni]=calico/cni:v3.31.7
  [calico-kube-controllers]=calico/kube-controllers:v3.31.7
  # no pin names it: a workload image for trying addons.extra (quay.io/kube-airgap-demo/hello:1.0 in a manifest)
  [hello]=kube-airgap-demo/hello:1.0
)

info() { echo "[mirror] $*" >&2; }
fatal() { echo "[mirror] error: $*" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

stop_pid() {
  local f="$1" pid
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local tries=50
    while [ "$tries" -gt 0 ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; tries=$((tries - 1)); done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

if [ "$cmd" = stop ]; then
  stop_pid "$dir/http.pid"
  stop_pid "$dir/registry.pid"
  exit 0
fi
[ "$cmd" = start ] || fatal "unknown command $cmd (start|stop)"

placed() { mkdir -p "$(dirname "$1")"; echo "$1"; } # the mirror keeps upstream's host/path layout

tarball() { # OUT.tar.gz SRCDIR: deterministic (sorted, fixed mtime, root owner, no gzip name/time)
  tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -C "$2" -cf - . | gzip -n -1 >"$1"
}

# arch_root ARCH: a directory holding that arch's Debian binaries in their installed paths (/ for the host's amd64)
arch_root() {
  case "$1" in
    amd64) echo / ;;
    arm64) echo "$dir/arm64-root" ;;
    *) fatal "no fixture binaries for arch $1 (amd64, arm64)" ;;
  esac
}

unpack_arm64_debs() { # Debian's arm64 packages, unpacked (not installed) into DIR/arm64-root
  local root="$dir/arm64-root" p deb
  rm -rf "$root"; mkdir -p "$root"
  for p in etcd-server etcd-client containerd runc containernetworking-plugins busybox-static; do
    deb="$(compgen -G "$deps/arm64/${p}_*_arm64.deb" | head -n1 || true)"
    [ -n "$deb" ] || fatal "$deps/arm64/${p}_*_arm64.deb missing (run tests/install-test-deps.sh --for=demo)"
    dpkg-deb -x "$deb" "$root"
  done
  info "unpacked Debian's arm64 packages into $root"
}

build_arch_files() { # ARCH
  local arch="$1" www="$dir/www" stage root
  root="$(arch_root "$arch")"
  stage="$(mktemp -d "$dir/.stage.XXXXXX")"
  # Kubernetes binaries: the contract fixtures (python, every arch)
  "$repo/tests/fixtures/kube/make-fixtures.sh" "$www/dl.k8s.io/release/v$k8s/bin/linux/$arch" "$k8s"
  if [ "$arch" = amd64 ]; then
    local kubectl="${KA_KUBECTL:-}"
    if [ -z "$kubectl" ]; then
      kubectl="$(find /usr/lib/google-cloud-sdk/bin -maxdepth 1 -name 'kubectl.1.*' 2>/dev/null | sort -V | tail -n1 || true)"
    fi
    if [ -z "$kubectl" ] || [ ! -x "$kubectl" ]; then fatal "no kubectl binary found (set KA_KUBECTL)"; fi
    install -m 0755 "$kubectl" "$www/dl.k8s.io/release/v$k8s/bin/linux/$arch/kubectl"
  else
    sed "s/@VERSION@/$k8s/" "$repo/tests/fixtures/kube/kubectl-standin" >"$www/dl.k8s.io/release/v$k8s/bin/linux/$arch/kubectl"
    chmod 0755 "$www/dl.k8s.io/release/v$k8s/bin/linux/$arch/kubectl"
  fi
  # etcd 3.4.23 in the upstream release layout (3.4 has no etcdutl)
  mkdir -p "$stage/etcd/etcd-v3.4.23-linux-$arch"
  install -m 0755 "$root/usr/bin/etcd" "$root/usr/bin/etcdctl" "$stage/etcd/etcd-v3.4.23-linux-$arch/"
  tarball "$(placed "$www/github.com/etcd-io/etcd/releases/download/v3.4.23/etcd-v3.4.23-linux-$arch.tar.gz")" "$stage/etcd"
  # containerd 1.6.20: bin/ layout of the upstream release tarball
  mkdir -p "$stage/containerd/bin"
  install -m 0755 "$root/usr/bin/containerd" "$root/usr/bin/containerd-shim-runc-v2" "$root/usr/bin/ctr" "$stage/containerd/bin/"
  tarball "$(placed "$www/github.com/containerd/containerd/releases/download/v1.6.20/containerd-1.6.20-linux-$arch.tar.gz")" "$stage/containerd"
  # runc 1.1.5: a single file, as upstream publishes it
  install -m 0755 "$root/usr/sbin/runc" "$(placed "$www/github.com/opencontainers/runc/releases/download/v1.1.5/runc.$arch")"
  # CNI plugins 1.1.1
  mkdir -p "$stage/cni"
  for p in bridge host-local loopback portmap bandwidth tuning firewall; do install -m 0755 "$root/usr/lib/cni/$p" "$stage/cni/"; done
  tarball "$(placed "$www/github.com/containernetworking/plugins/releases/download/v1.1.1/cni-plugins-linux-$arch-v1.1.1.tgz")" "$stage/cni"
  # crictl: no release obtainable here; a stand-in (a script: every arch) mapping read-only commands onto ctr
  mkdir -p "$stage/crictl"
  sed "s/@VERSION@/1.36.0/" "$repo/tests/fixtures/kube/crictl" >"$stage/crictl/crictl"
  chmod 0755 "$stage/crictl/crictl"
  tarball "$(placed "$www/github.com/kubernetes-sigs/cri-tools/releases/download/v1.36.0/crictl-v1.36.0-linux-$arch.tar.gz")" "$stage/crictl"
  rm -rf "$stage"
}

build_kube_nginx_arm64() { # the [Nginx] Prebuilt_arm64 stand-in: a static aarch64 program (see the header)
  aarch64-linux-gnu-gcc -static -Os -s -o "$dir/kube-nginx-arm64" "$repo/tests/fixtures/kube/kube-nginx-standin.c"
  info "built the arm64 kube-nginx stand-in $dir/kube-nginx-arm64"
}

build_files() {
  local www="$dir/www" arch
  rm -rf "$www"; mkdir -p "$www"
  for arch in "${arches[@]}"; do
    if [ "$arch" = arm64 ]; then unpack_arm64_debs; build_kube_nginx_arm64; fi
    build_arch_files "$arch"
  done
  # the Calico manifest stand-in
  install -m 0644 "$repo/tests/fixtures/kube/calico.yaml" "$(placed "$www/raw.githubusercontent.com/projectcalico/calico/v3.31.7/manifests/calico.yaml")"
  # nginx source
  [ -f "$nginx_src" ] || fatal "$nginx_src missing (run tests/install-test-deps.sh)"
  echo "$nginx_sha256  $nginx_src" | sha256sum -c --quiet - || fatal "$nginx_src: sha256 mismatch"
  cp "$nginx_src" "$(placed "$www/nginx.org/download/nginx-1.22.1.tar.gz")"
  sign_nginx "$www/nginx.org/download/nginx-1.22.1.tar.gz"
}

# Debian ships no .asc for the nginx source, and a source must be verified by an OpenPGP signature: sign it with
# a throw-away test key made here (kept in DIR, trusted only by the test pins written below).
sign_nginx() { # TARBALL
  local home="$dir/gnupg"
  rm -rf "$home"; mkdir -m 0700 "$home"
  GNUPGHOME="$home" gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
    --quick-gen-key 'kube-airgap test mirror <test-mirror@kube-airgap.invalid>' rsa2048 sign never
  GNUPGHOME="$home" gpg --batch --quiet --armor --export >"$dir/test-signing.key"
  GNUPGHOME="$home" gpg --batch --quiet --armor --detach-sign --output "$1.asc" "$1"
  GNUPGHOME="$home" gpgconf --kill gpg-agent
  info "signed $1 with the test key $dir/test-signing.key"
}

build_images() { # OCI layouts with busybox-static: the test stand-ins for pause, coredns and calico
  local oci="$dir/oci" b arch
  rm -rf "$oci"; mkdir -p "$oci"
  umoci init --layout "$oci/layout"
  for image in "${!image_paths[@]}"; do
    for arch in "${arches[@]}"; do
      umoci new --image "$oci/layout:$image-$arch"
      b="$dir/.bundle-$image"
      rm -rf "$b"
      umoci unpack --image "$oci/layout:$image-$arch" "$b" >/dev/null
      mkdir -p "$b/rootfs/bin"
      cp "$(arch_root "$arch")/bin/busybox" "$b/rootfs/bin/busybox"
      ln -sf busybox "$b/rootfs/bin/sh"
      umoci repack --image "$oci/layout:$image-$arch" "$b"
      umoci config --image "$oci/layout:$image-$arch" --os linux --architecture "$arch" \
        --config.entrypoint /bin/busybox --config.cmd sleep --config.cmd 3600 --config.label "org.kube-airgap.test=$image"
      rm -rf "$b"
    done
    # one arch: the image is that manifest; several: an image index naming each arch's manifest
    python3 "$repo/tests/fixtures/kube/oci-index.py" "$oci/layout" "$image" "${arches[@]/#/$image-}"
  done
}

start_servers() {
  local http_port reg_port
  http_port="$(free_port)"; reg_port="$(free_port)"
  mkdir -p "$dir/registry"
  cat >"$dir/registry/config.yml" <<EOF
version: 0.1
storage:
  filesystem:
    rootdirectory: $dir/registry/storage
http:
  addr: 127.0.0.1:$reg_port
  secret: kube-airgap-e2e
log:
  level: warn
EOF
  python3 -m http.server --bind 127.0.0.1 --directory "$dir/www" "$http_port" >"$dir/http.log" 2>&1 &
  echo $! >"$dir/http.pid"
  /usr/bin/docker-registry serve "$dir/registry/config.yml" >"$dir/registry.log" 2>&1 &
  echo $! >"$dir/registry.pid"
  local tries=100
  until curl -fsS "http://127.0.0.1:$http_port/" >/dev/null 2>&1 && curl -fsS "http://127.0.0.1:$reg_port/v2/" >/dev/null 2>&1; do
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || { cat "$dir/http.log" "$dir/registry.log" >&2; fatal "servers did not come up"; }
    sleep 0.2
  done
  echo "$http_port" >"$dir/http.port"
  echo "$reg_port" >"$dir/registry.port"
  info "file mirror http://127.0.0.1:$http_port/, registry 127.0.0.1:$reg_port"
}

push_images() {
  local reg
  reg="127.0.0.1:$(cat "$dir/registry.port")"
  local name
  for name in "${!image_paths[@]}"; do
    skopeo copy -q --all --dest-tls-verify=false "oci:$dir/oci/layout:$name" "docker://$reg/${image_paths[$name]}"
  done
}

digest_of() { skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://127.0.0.1:$(cat "$dir/registry.port")/$1"; }

sha_of() { sha256sum "$dir/www/$1" | cut -d' ' -f1; }

artifacts() { # PATH_TEMPLATE SOURCE: the pins' artifacts of one component, one per arch (@ARCH@ in the path)
  local arch path
  echo "  artifacts:"
  for arch in "${arches[@]}"; do
    path="${1//@ARCH@/$arch}"
    printf "    %s:\n      url: https://%s\n      sha256: %s\n      source: 'computed by tests/e2e/mirror.sh (%s)'\n" \
      "$arch" "$path" "$(sha_of "$path")" "$2"
  done
}

write_pins() {
  local pins="$dir/pins.yaml.tmp" c
  {
    cat <<EOF
# Test pins for the end-to-end test and the Demo: generated by tests/e2e/mirror.sh. The URLs are upstream's;
# the build reaches them only through the loopback mirror ([Mirrors] Map in DIR/build-args, Upstream=false).
# Checksums were computed from the served files when the mirror was built (tests only; production pins never are).
# Versions are what Debian 12 packages (etcd 3.4, containerd 1.6): the test relaxes the supported-versions check.
schemaVersion: 1
releases:
- kubernetes: $k8s
  components:
    etcd: 3.4.23
    containerd: 1.6.20
    runc: 1.1.5
    cni-plugins: 1.1.1
    crictl: 1.36.0
    nginx: 1.22.1
    calico-manifest: 3.31.7
  images:
    pause: 3.10.2
    coredns: v1.14.2
    calico-node: v3.31.7
    calico-cni: v3.31.7
    calico-kube-controllers: v3.31.7
components:
EOF
    for c in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do
      cat <<EOF
- name: $c
  version: $k8s
  license: Apache-2.0
  layout:
    type: file
    files:
    - member: $c
      path: bin/$c
      mode: '0755'
EOF
      artifacts "dl.k8s.io/release/v$k8s/bin/linux/@ARCH@/$c" \
        "$([ "$c" = kubectl ] && echo "kubectl found on this machine; arm64: tests/fixtures/kube/kubectl-standin" || echo "contract fixture from tests/fixtures/kube")"
    done
    cat <<EOF
- name: etcd
  version: 3.4.23
  license: Apache-2.0
  layout:
    type: tar.gz
    files:
    - member: etcd-v3.4.23-linux-{arch}/etcd
      path: bin/etcd
      mode: '0755'
    - member: etcd-v3.4.23-linux-{arch}/etcdctl
      path: bin/etcdctl
      mode: '0755'
EOF
    artifacts "github.com/etcd-io/etcd/releases/download/v3.4.23/etcd-v3.4.23-linux-@ARCH@.tar.gz" "Debian etcd-server/etcd-client 3.4.23 repacked"
    cat <<EOF
- name: containerd
  version: 1.6.20
  license: Apache-2.0
  layout:
    type: tar.gz
    files:
    - member: bin/containerd
      path: bin/containerd
      mode: '0755'
    - member: bin/containerd-shim-runc-v2
      path: bin/containerd-shim-runc-v2
      mode: '0755'
    - member: bin/ctr
      path: bin/ctr
      mode: '0755'
EOF
    artifacts "github.com/containerd/containerd/releases/download/v1.6.20/containerd-1.6.20-linux-@ARCH@.tar.gz" "Debian containerd 1.6.20 repacked"
    cat <<EOF
- name: runc
  version: 1.1.5
  license: Apache-2.0
  layout:
    type: file
    files:
    - member: runc
      path: bin/runc
      mode: '0755'
EOF
    artifacts "github.com/opencontainers/runc/releases/download/v1.1.5/runc.@ARCH@" "Debian runc 1.1.5"
    cat <<EOF
- name: cni-plugins
  version: 1.1.1
  license: Apache-2.0
  layout:
    type: tar.gz
    files:
EOF
    for p in bridge host-local loopback portmap bandwidth tuning firewall; do
      printf "    - member: ./%s\n      path: bin/cni/%s\n      mode: '0755'\n" "$p" "$p"
    done
    artifacts "github.com/containernetworking/plugins/releases/download/v1.1.1/cni-plugins-linux-@ARCH@-v1.1.1.tgz" "Debian containernetworking-plugins 1.1.1 repacked"
    cat <<EOF
- name: crictl
  version: 1.36.0
  license: Apache-2.0
  layout:
    type: tar.gz
    files:
    - member: crictl
      path: bin/crictl
      mode: '0755'
EOF
    artifacts "github.com/kubernetes-sigs/cri-tools/releases/download/v1.36.0/crictl-v1.36.0-linux-@ARCH@.tar.gz" "stand-in tests/fixtures/kube/crictl; no crictl release is obtainable here"
    cat <<EOF
- name: calico-manifest
  version: 3.31.7
  license: Apache-2.0
  layout:
    type: file
    files:
    - member: calico.yaml
      path: addons/calico.yaml
      mode: '0644'
  artifacts:
    noarch:
      url: https://raw.githubusercontent.com/projectcalico/calico/v3.31.7/manifests/calico.yaml
      sha256: $(sha_of raw.githubusercontent.com/projectcalico/calico/v3.31.7/manifests/calico.yaml)
      source: computed by tests/e2e/mirror.sh (stand-in tests/fixtures/kube/calico.yaml)
- name: nginx
  version: 1.22.1
  license: BSD-2-Clause
  layout:
    type: source
    files: []
  artifacts:
    noarch:
      url: https://nginx.org/download/nginx-1.22.1.tar.gz
      sha256: $nginx_sha256
      source: Debian nginx_1.22.1.orig.tar.gz (1.22.1-9+deb12u9), byte-identical to nginx.org's nginx-1.22.1.tar.gz; Debian ships no .asc, so mirror.sh signs it with a test key
      signature:
        url: https://nginx.org/download/nginx-1.22.1.tar.gz.asc
        keys:
        - $dir/test-signing.key
images:
- name: pause
  version: 3.10.2
  ref: registry.k8s.io/pause:3.10.2
  digest: $(digest_of pause:3.10.2)
  source: test image built by tests/e2e/mirror.sh (busybox-static)
- name: coredns
  version: v1.14.2
  ref: registry.k8s.io/coredns/coredns:v1.14.2
  digest: $(digest_of coredns/coredns:v1.14.2)
  source: test image built by tests/e2e/mirror.sh (busybox-static)
EOF
    for c in node cni kube-controllers; do
      cat <<EOF
- name: calico-$c
  version: v3.31.7
  ref: quay.io/calico/$c:v3.31.7
  digest: $(digest_of "calico/$c:v3.31.7")
  source: test image built by tests/e2e/mirror.sh (busybox-static)
EOF
    done
  } >"$pins"
  mv -f "$pins" "$dir/pins.yaml"
  # every image served, by its upstream name and digest (for pinning a workload's image in its manifest)
  local name
  for name in "${!image_paths[@]}"; do
    echo "$([ "${image_paths[$name]#calico/}" = "${image_paths[$name]}" ] && [ "$name" != hello ] && echo registry.k8s.io || echo quay.io)/${image_paths[$name]}@$(digest_of "${image_paths[$name]}")"
  done | sort >"$dir/images.txt"
  cat >"$dir/build-args" <<EOF
--pins=$dir/pins.yaml
--mirrors_map=$(for h in dl.k8s.io github.com raw.githubusercontent.com nginx.org; do printf 'https://%s/ -> http://127.0.0.1:%s/%s/, ' "$h" "$(cat "$dir/http.port")" "$h"; done | sed 's/, $//')
--mirrors_upstream=false
--registries_mirrors=registry.k8s.io=http://127.0.0.1:$(cat "$dir/registry.port") quay.io=http://127.0.0.1:$(cat "$dir/registry.port")
--registries_insecure=127.0.0.1:$(cat "$dir/registry.port")
--registries_fallbacktoupstream=false
--test_relaxsupportedversions=true
EOF
  if [ -f "$dir/kube-nginx-arm64" ]; then
    printf -- '--nginx_prebuilt_arm64=%s\n--nginx_prebuiltsha256_arm64=%s\n' \
      "$dir/kube-nginx-arm64" "$(sha256sum "$dir/kube-nginx-arm64" | cut -d' ' -f1)" >>"$dir/build-args"
  fi
}

mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
# the content is built once per DIR and set of arches (DIR/www/.complete names them)
if [ "$(cat "$dir/www/.complete" 2>/dev/null || true)" != "${arches[*]}" ] || [ ! -f "$dir/test-signing.key" ]; then
  rm -f "$dir/kube-nginx-arm64"
  build_files
  build_images
  echo "${arches[*]}" >"$dir/www/.complete"
fi
start_servers
push_images
write_pins
info "pins: $dir/pins.yaml"
