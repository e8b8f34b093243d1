using System.Buffers.Binary;
using System.Text.Json.Nodes;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Newcomer;

/// <summary>
/// Issue 18, "What it must show": the Mirror target serves a custom 5-node mixed-arch inventory (3 control-plane
/// nodes on amd64, 2 workers of which one is arm64) and a workload image no pin names; the Demo bundles that
/// inventory with a manifest directory in addons.extra and installs the arm64 worker into a --root tree, whose ELF
/// files this test reads itself. The workload image is in the archives (for arm64 as an arm64 image) and the
/// control-plane node's add-on step applies the user's manifest. One Demo run serves every check (it is the slow part).
/// </summary>
public sealed class MixedArchDemoTests
{
    private const ushort ElfAarch64 = 183;
    private const string Hello = "quay.io/kube-airgap-demo/hello:1.0";

    private const string Inventory = """
        apiVersion: kube-airgap/v1
        cluster:
          name: mixed
          kubernetesVersion: 1.36.3
        network:
          serviceCidr: 10.254.0.0/16
          podCidr: 172.30.0.0/16
          proxyMode: nftables
        pki:
          keyAlgorithm: ecdsa-p256
        addons:
          extra: [workloads]
        nodes:
          - {name: cp-1, ip: 192.0.2.21, arch: amd64, roles: [etcd, control-plane]}
          - {name: cp-2, ip: 192.0.2.22, arch: amd64, roles: [etcd, control-plane]}
          - {name: cp-3, ip: 192.0.2.23, arch: amd64, roles: [etcd, control-plane]}
          - {name: worker-amd64, ip: 192.0.2.31, arch: amd64, roles: [worker]}
          - {name: worker-arm64, ip: 192.0.2.32, arch: arm64, roles: [worker]}
        """;

    [Fact]
    public void Demo_Should_Bundle_A_Mixed_Arch_Inventory_With_User_Manifests_And_Install_The_Arm64_Worker()
    {
        // Given: the inventory and a manifest directory, outside the repository; build output in the test's directory
        using var temp = new TempDirectory("kag-mixed");
        var inventory = temp.Write("site/cluster.yaml", Inventory);
        Directory.CreateDirectory(temp.Combine("site", "workloads"));  // its manifest names the digest the mirror serves
        var env = new Dictionary<string, string>
        {
            ["CAKE_PATHS_ARTIFACTS"] = temp.Combine("artifacts"),
            ["CAKE_PATHS_STATE"] = temp.Combine("state"),
            ["CAKE_PATHS_CACHE"] = temp.Combine("cache"),
            // install.sh's staging directory: its own, so that another installer run on this machine cannot clean it
            ["KA_TMPDIR"] = Directory.CreateDirectory(temp.Combine("tmp")).FullName,
        };
        var mirror = temp.Combine("mirror");
        try
        {
            // When: the Mirror target starts the mirror for this inventory and says what it serves
            var started = BuildHost.Run(Repo.Root, ["--target=Mirror", $"--cluster={inventory}", $"--mirror_dir={mirror}"], env);
            Assert.True(started.ExitCode == 0, started.Output);
            Assert.Contains("arches amd64,arm64", started.Stdout, StringComparison.Ordinal);
            Assert.Contains($"--target=Demo --cluster={inventory} --mirror_dir={mirror}", started.Stdout, StringComparison.Ordinal);
            var hello = Assert.Single(started.Stdout.Split('\n'), l => l.Trim().StartsWith(Hello + "@sha256:", StringComparison.Ordinal)).Trim();
            temp.Write("site/workloads/hello/deployment.yaml", $$$"""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: hello, namespace: default}
                spec:
                  selector: {matchLabels: {app: hello}}
                  template:
                    metadata: {labels: {app: hello}}
                    spec:
                      containers:
                      - name: hello
                        image: {{{hello}}}
                        command: [/bin/busybox, sleep, "3600"]
                """);

            // and the Demo bundles it against that mirror and installs the arm64 worker
            var root = temp.Combine("root");
            var demo = BuildHost.Run(Repo.Root, ["--target=Demo", $"--cluster={inventory}", "--node=worker-arm64", $"--demo_root={root}", $"--mirror_dir={mirror}"], env);

            // Then
            Assert.True(demo.ExitCode == 0, demo.Output);
            Assert.Contains("installing worker-arm64 (arm64)", demo.Stdout, StringComparison.Ordinal);
            Assert.Contains("[demo] done", demo.Stdout, StringComparison.Ordinal);
            AssertAarch64Tree(root);
            var cluster = temp.Combine("artifacts", "mixed");
            AssertWorkloadImageArchived(temp, Path.Combine(cluster, "payload", "amd64-etcd+control-plane", "images", "images.oci.tar"), hello, "amd64");
            AssertWorkloadImageArchived(temp, Path.Combine(cluster, "payload", "arm64-worker", "images", "images.oci.tar"), hello, "arm64");
            AssertAddonStepAppliesUserManifest(temp, Path.Combine(cluster, "mixed-cp-1-amd64.tar.gz"), Path.Combine(cluster, "mixed-bundle-signing.pub"), hello, env);
        }
        finally
        {
            Cmd.Run("bash", [Repo.File("tests", "e2e", "mirror.sh"), "stop", mirror]);
        }
    }

    /// <summary>Every ELF file installed (not the unpacked bundle) is an aarch64 binary, and the node's binaries are there.</summary>
    private static void AssertAarch64Tree(string root)
    {
        var elves = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/.bundle/", StringComparison.Ordinal))
            .Select(f => (File: f, Machine: ElfMachine(f)))
            .Where(e => e.Machine is not null)
            .ToList();
        var names = elves.Select(e => Path.GetFileName(e.File)).ToHashSet(StringComparer.Ordinal);
        foreach (var binary in new[] { "containerd", "containerd-shim-runc-v2", "ctr", "runc", "kube-nginx", "bridge", "host-local", "loopback" })
        {
            Assert.Contains(binary, names);
        }

        var foreign = elves.Where(e => e.Machine != ElfAarch64).Select(e => $"{e.File}: e_machine {e.Machine}").ToList();
        Assert.True(foreign.Count == 0, "not aarch64:\n" + string.Join('\n', foreign));
    }

    /// <summary>e_machine of an ELF file (u16 at offset 18, little-endian for EI_DATA 1), or null when it is no ELF file.</summary>
    private static ushort? ElfMachine(string file)
    {
        if (new FileInfo(file).LinkTarget is not null)
        {
            return null;
        }

        var header = new byte[20];
        using var stream = File.OpenRead(file);
        if (stream.ReadAtLeast(header, 20, throwOnEndOfStream: false) < 20 || header[0] != 0x7f || header[1] != 'E' || header[2] != 'L' || header[3] != 'F')
        {
            return null;
        }

        return header[5] == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(18)) : BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(18));
    }

    /// <summary>The OCI archive names the workload image by its digest, and holds its image for <paramref name="arch"/>.</summary>
    private static void AssertWorkloadImageArchived(TempDirectory temp, string archive, string hello, string arch)
    {
        var dir = Directory.CreateDirectory(temp.Combine("oci-" + arch + "-" + Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(archive))))).FullName;
        Cmd.Run("tar", ["-xf", archive, "-C", dir]).EnsureSuccess("tar -xf " + archive);
        var digest = hello[(hello.IndexOf('@', StringComparison.Ordinal) + 1)..];
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "index.json")))!["manifests"]!.AsArray();
        var entry = index.FirstOrDefault(m => (string?)m!["annotations"]?["org.opencontainers.image.ref.name"] == "quay.io/kube-airgap-demo/hello@" + digest);
        Assert.True(entry is not null, $"{archive}: no entry for the workload image hello@{digest}:\n{index.ToJsonString()}");

        // follow the entry (an index for a multi-platform image) to the config, whose platform must be the node's
        var manifest = Blob(dir, (string)entry!["digest"]!);
        if (manifest["manifests"] is JsonArray children)
        {
            var child = children.FirstOrDefault(c => (string?)c!["platform"]?["architecture"] == arch && File.Exists(BlobPath(dir, (string)c!["digest"]!)));
            Assert.True(child is not null, $"{archive}: hello's index has no {arch} manifest in the archive");
            manifest = Blob(dir, (string)child!["digest"]!);
        }

        var config = Blob(dir, (string)manifest["config"]!["digest"]!);
        Assert.Equal(arch, (string?)config["architecture"]);
    }

    private static string BlobPath(string dir, string digest) => Path.Combine(dir, "blobs", "sha256", digest["sha256:".Length..]);

    private static JsonNode Blob(string dir, string digest) => JsonNode.Parse(File.ReadAllText(BlobPath(dir, digest)))!;

    /// <summary>
    /// cp-1's bundle, installed into a --root tree (after a --dry-run that names the user's manifest), carries the user's
    /// manifest under the add-ons; the installed installer's own add-on step (lib/services.sh apply_addons, with a
    /// kubectl stub standing in for the apiserver) applies the directory that holds it.
    /// </summary>
    private static void AssertAddonStepAppliesUserManifest(TempDirectory temp, string tarball, string pubkey, string hello, Dictionary<string, string> env)
    {
        var extracted = Directory.CreateDirectory(temp.Combine("cp-1")).FullName;
        Cmd.Run("tar", ["-xzf", tarball, "-C", extracted]).EnsureSuccess("tar -xzf " + tarball);
        var installer = Path.Combine(extracted, "mixed-cp-1", "install.sh");
        var root = Directory.CreateDirectory(temp.Combine("cp-1-root")).FullName;
        var dryRun = Cmd.Run(installer, ["install", "--root", root, "--yes", "--test-bundle", "--pubkey", pubkey, "--dry-run"], environment: env);
        Assert.True(dryRun.ExitCode == 0, dryRun.Output);
        Assert.Contains("would install /etc/kubernetes/addons/user/00-workloads/hello/deployment.yaml", dryRun.Output, StringComparison.Ordinal);
        Cmd.Run(installer, ["install", "--root", root, "--yes", "--test-bundle", "--pubkey", pubkey], environment: env).EnsureSuccess("install.sh install --root");
        var installed = Path.Combine(root, "etc", "kubernetes", "addons", "user", "00-workloads", "hello", "deployment.yaml");
        Assert.Contains(hello, File.ReadAllText(installed), StringComparison.Ordinal);

        var stub = Directory.CreateDirectory(temp.Combine("stub-bin")).FullName;
        var calls = temp.Combine("kubectl.calls");
        File.WriteAllText(Path.Combine(stub, "kubectl"), $$"""
            #!/bin/bash
            echo "kubectl $*" >>'{{calls}}'
            case "$*" in
              *"get configmap"*) exit 1 ;;
              *"auth can-i"*) echo yes ;;
              *" -R -f "*) all="$*"; dir="${all##* -f }"; (cd "$dir" && find . -name '*.yaml' | LC_ALL=C sort | sed 's/^/  applies /') >>'{{calls}}' ;;
              *"create configmap"*) echo "kind: ConfigMap" ;;
              *) cat >/dev/null ;;
            esac
            """);
        Cmd.Run("chmod", ["0755", Path.Combine(stub, "kubectl")]).EnsureSuccess("chmod");
        var lib = Path.Combine(root, "opt", "kube-airgap", "installer", "lib");
        var step = Cmd.Bash($$"""
            set -euo pipefail
            info() { echo "[INFO]  $*"; }
            warn() { echo "[WARN]  $*"; }
            DRY_RUN=0 ROOT= NO_START=0
            . '{{lib}}/layout.env'
            . '{{lib}}/actions.sh'
            . '{{lib}}/services.sh'
            can_start() { return 0; }              # this host runs no cluster: the stub answers for the apiserver
            retire_super_admin() { :; }
            KA_BIN_DIR='{{stub}}' KA_ADDONS_DIR='{{root}}'"${KA_ADDONS_DIR}"
            KA_SUPER_ADMIN_KUBECONFIG='{{root}}'"${KA_SUPER_ADMIN_KUBECONFIG}"
            apply_addons
            """);
        Assert.True(step.ExitCode == 0, step.Output);
        Assert.Contains("add-ons: applied by cp-1", step.Stdout, StringComparison.Ordinal);
        var log = File.ReadAllText(calls);
        Assert.Contains("apply --server-side --force-conflicts --field-manager=kube-airgap -R -f", log, StringComparison.Ordinal);
        Assert.Contains("  applies ./user/00-workloads/hello/deployment.yaml", log, StringComparison.Ordinal);
        Assert.Contains("  applies ./calico.yaml", log, StringComparison.Ordinal);
    }
}
