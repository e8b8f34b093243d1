#!/usr/bin/env bash
# The loopback "internet" the end-to-end test and the Demo build against: a file mirror (python3 http.server)
# and an OCI registry (Debian's docker-registry), both on 127.0.0.1 with free ports, holding
#   - the contract fixtures in place of kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy
#   - kubectl (the real one found on this machine), etcd 3.4.23, containerd 1.6.20, runc 1.1.5 and the CNI
#     plugins 1.1.1 from Debian's packages, repacked in the upstream release layouts
#   - the nginx 1.22.1 release tarball (Debian's orig.tar.gz, byte-identical to nginx.org's)
#   - tiny test images (busybox-static in an OCI image) under the names the release pins: pause, coredns
# and writes DIR/pins.yaml: test pins whose sha256 and digests are computed here from those files (tests may
# compute checksums; production pins never are), plus DIR/build-args: the --key=value arguments that point the
# pipeline at this mirror with upstream switched off, and the test-only --test_relaxsupportedversions=true
# (Debian's containerd 1.6 is older than Kubernetes 1.36 supports; that check alone is relaxed).
#
#   mirror.sh start DIR [KUBERNETES_VERSION]   build the content (once per DIR), start both servers, write pins
#   mirror.sh stop DIR                         stop both servers by PID (safe to repeat)
#
# Environment: KA_TEST_DEPS_DIR (nginx source; default /var/cache/kube-airgap-test),
#              KA_KUBECTL (kubectl binary to serve; default the newest /usr/lib/google-cloud-sdk/bin/kubectl.1.*)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cmd="${1:?usage: mirror.sh start|stop DIR [VERSION]}"
dir="${2:?usage: mirror.sh start|stop DIR [VERSION]}"
k8s="${3:-1.36.3}"
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

build_files() {
  local www="$dir/www" stage
  rm -rf "$www"; mkdir -p "$www"
  stage="$(mktemp -d "$dir/.stage.XXXXXX")"
  # Kubernetes binaries: the contract fixtures
  "$repo/tests/fixtures/kube/make-fixtures.sh" "$www/dl.k8s.io/release/v$k8s/bin/linux/amd64" "$k8s"
  local kubectl="${KA_KUBECTL:-}"
  if [ -z "$kubectl" ]; then
    kubectl="$(find /usr/lib/google-cloud-sdk/bin -maxdepth 1 -name 'kubectl.1.*' 2>/dev/null | sort -V | tail -n1 || true)"
  fi
  if [ -z "$kubectl" ] || [ ! -x "$kubectl" ]; then fatal "no kubectl binary found (set KA_KUBECTL)"; fi
  install -m 0755 "$kubectl" "$www/dl.k8s.io/release/v$k8s/bin/linux/amd64/kubectl"
  # etcd 3.4.23 in the upstream release layout (3.4 has no etcdutl)
  mkdir -p "$stage/etcd/etcd-v3.4.23-linux-amd64"
  install -m 0755 /usr/bin/etcd /usr/bin/etcdctl "$stage/etcd/etcd-v3.4.23-linux-amd64/"
  tarball "$(placed "$www/github.com/etcd-io/etcd/releases/download/v3.4.23/etcd-v3.4.23-linux-amd64.tar.gz")" "$stage/etcd"
  # containerd 1.6.20: bin/ layout of the upstream release tarball
  mkdir -p "$stage/containerd/bin"
  install -m 0755 /usr/bin/containerd /usr/bin/containerd-shim-runc-v2 /usr/bin/ctr "$stage/containerd/bin/"
  tarball "$(placed "$www/github.com/containerd/containerd/releases/download/v1.6.20/containerd-1.6.20-linux-amd64.tar.gz")" "$stage/containerd"
  # runc 1.1.5: a single file, as upstream publishes it
  install -m 0755 "$(command -v runc)" "$(placed "$www/github.com/opencontainers/runc/releases/download/v1.1.5/runc.amd64")"
  # CNI plugins 1.1.1
  mkdir -p "$stage/cni"
  for p in bridge host-local loopback portmap bandwidth tuning firewall; do install -m 0755 "/usr/lib/cni/$p" "$stage/cni/"; done
  tarball "$(placed "$www/github.com/containernetworking/plugins/releases/download/v1.1.1/cni-plugins-linux-amd64-v1.1.1.tgz")" "$stage/cni"
  # crictl: no release obtainable here; a stand-in mapping read-only commands onto ctr
  mkdir -p "$stage/crictl"
  sed "s/@VERSION@/1.36.0/" "$repo/tests/fixtures/kube/crictl" >"$stage/crictl/crictl"
  chmod 0755 "$stage/crictl/crictl"
  tarball "$(placed "$www/github.com/kubernetes-sigs/cri-tools/releases/download/v1.36.0/crictl-v1.36.0-linux-amd64.tar.gz")" "$stage/crictl"
  # the Calico manifest stand-in
  install -m 0644 "$repo/tests/fixtures/kube/calico.yaml" "$(placed "$www/raw.githubusercontent.com/projectcalico/calico/v3.31.7/manifests/calico.yaml")"
  # nginx source
  [ -f "$nginx_src" ] || fatal "$nginx_src missing (run tests/install-test-deps.sh)"
  echo "$nginx_sha256  $nginx_src" | sha256sum -c --quiet - || fatal "$nginx_src: sha256 mismatch"
  cp "$nginx_src" "$(placed "$www/nginx.org/download/nginx-1.22.1.tar.gz")"
  sign_nginx "$www/nginx.org/download/nginx-1.22.1.tar.gz"
  rm -rf "$stage"
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

build_images() { # OCI layouts with busybox-static: the test stand-ins for pause and coredns
  local oci="$dir/oci" b
  rm -rf "$oci"; mkdir -p "$oci"
  umoci init --layout "$oci/layout"
  for image in "${!image_paths[@]}"; do
    umoci new --image "$oci/layout:$image"
    b="$dir/.bundle-$image"
    rm -rf "$b"
    umoci unpack --image "$oci/layout:$image" "$b" >/dev/null
    mkdir -p "$b/rootfs/bin"
    cp /bin/busybox "$b/rootfs/bin/busybox"
    ln -sf busybox "$b/rootfs/bin/sh"
    umoci repack --image "$oci/layout:$image" "$b"
    umoci config --image "$oci/layout:$image" --config.entrypoint /bin/busybox --config.cmd sleep --config.cmd 3600 \
      --config.label "org.kube-airgap.test=$image"
    rm -rf "$b"
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
    skopeo copy -q --dest-tls-verify=false "oci:$dir/oci/layout:$name" "docker://$reg/${image_paths[$name]}"
  done
}

digest_of() { skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://127.0.0.1:$(cat "$dir/registry.port")/$1"; }

sha_of() { sha256sum "$dir/www/$1" | cut -d' ' -f1; }

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
  artifacts:
    amd64:
      url: https://dl.k8s.io/release/v$k8s/bin/linux/amd64/$c
      sha256: $(sha_of "dl.k8s.io/release/v$k8s/bin/linux/amd64/$c")
      source: computed by tests/e2e/mirror.sh ($([ "$c" = kubectl ] && echo "kubectl found on this machine" || echo "contract fixture from tests/fixtures/kube"))
EOF
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
  artifacts:
    amd64:
      url: https://github.com/etcd-io/etcd/releases/download/v3.4.23/etcd-v3.4.23-linux-amd64.tar.gz
      sha256: $(sha_of github.com/etcd-io/etcd/releases/download/v3.4.23/etcd-v3.4.23-linux-amd64.tar.gz)
      source: computed by tests/e2e/mirror.sh (Debian etcd-server/etcd-client 3.4.23 repacked)
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
  artifacts:
    amd64:
      url: https://github.com/containerd/containerd/releases/download/v1.6.20/containerd-1.6.20-linux-amd64.tar.gz
      sha256: $(sha_of github.com/containerd/containerd/releases/download/v1.6.20/containerd-1.6.20-linux-amd64.tar.gz)
      source: computed by tests/e2e/mirror.sh (Debian containerd 1.6.20 repacked)
- name: runc
  version: 1.1.5
  license: Apache-2.0
  layout:
    type: file
    files:
    - member: runc
      path: bin/runc
      mode: '0755'
  artifacts:
    amd64:
      url: https://github.com/opencontainers/runc/releases/download/v1.1.5/runc.amd64
      sha256: $(sha_of github.com/opencontainers/runc/releases/download/v1.1.5/runc.amd64)
      source: computed by tests/e2e/mirror.sh (Debian runc 1.1.5)
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
    cat <<EOF
  artifacts:
    amd64:
      url: https://github.com/containernetworking/plugins/releases/download/v1.1.1/cni-plugins-linux-amd64-v1.1.1.tgz
      sha256: $(sha_of github.com/containernetworking/plugins/releases/download/v1.1.1/cni-plugins-linux-amd64-v1.1.1.tgz)
      source: computed by tests/e2e/mirror.sh (Debian containernetworking-plugins 1.1.1 repacked)
- name: crictl
  version: 1.36.0
  license: Apache-2.0
  layout:
    type: tar.gz
    files:
    - member: crictl
      path: bin/crictl
      mode: '0755'
  artifacts:
    amd64:
      url: https://github.com/kubernetes-sigs/cri-tools/releases/download/v1.36.0/crictl-v1.36.0-linux-amd64.tar.gz
      sha256: $(sha_of github.com/kubernetes-sigs/cri-tools/releases/download/v1.36.0/crictl-v1.36.0-linux-amd64.tar.gz)
      source: computed by tests/e2e/mirror.sh (stand-in tests/fixtures/kube/crictl; no crictl release is obtainable here)
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
  cat >"$dir/build-args" <<EOF
--pins=$dir/pins.yaml
--mirrors_map=$(for h in dl.k8s.io github.com raw.githubusercontent.com nginx.org; do printf 'https://%s/ -> http://127.0.0.1:%s/%s/, ' "$h" "$(cat "$dir/http.port")" "$h"; done | sed 's/, $//')
--mirrors_upstream=false
--registries_mirrors=registry.k8s.io=http://127.0.0.1:$(cat "$dir/registry.port") quay.io=http://127.0.0.1:$(cat "$dir/registry.port")
--registries_insecure=127.0.0.1:$(cat "$dir/registry.port")
--registries_fallbacktoupstream=false
--test_relaxsupportedversions=true
EOF
}

mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
if [ ! -f "$dir/www/.complete" ] || [ ! -f "$dir/test-signing.key" ]; then
  build_files
  build_images
  touch "$dir/www/.complete"
fi
start_servers
push_images
write_pins
info "pins: $dir/pins.yaml"
