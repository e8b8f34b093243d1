using System.Globalization;
using KubeAirgap.Layout;
using KubeAirgap.Pins;
using KubeAirgap.Tests.Bundle;
using KubeAirgap.Tests.Installer;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Day2;

/// <summary>
/// One synthetic 4-node cluster (n01-n03 etcd + control plane + worker, n04 a worker) bundled four times, signed by
/// the same key with the same CA, as an operator's successive builds are: A at 1.35.7, B at 1.36.3 with one
/// config of n01 and n04 changed, C at 1.34.9 and D at 1.36.3 with etcd 3.7.0 (C and D from test pins: clones of
/// the 1.35.7 release and of the etcd pin). Every payload's kubectl is a stand-in that answers
/// <c>get --raw /version</c> for the apiserver addresses listed in <see cref="ApiServers"/>'s file, so the installer's
/// skew check meets apiservers of chosen versions.
/// </summary>
public sealed class UpgradeBundles : IDisposable
{
    public const string Old = "1.35.7";
    public const string New = "1.36.3";
    public const string Skipped = "1.34.9";
    public const string NewerEtcd = "3.7.0";

    private const string FakeKubectl = """
        #!/bin/bash
        # kubectl stand-in (upgrade tests): `get --raw /version` for --server https://ADDR, from the lines
        # "ADDR VERSION" of $FAKE_APISERVER_VERSIONS; an address not listed is down.
        server=
        while [ $# -gt 0 ]; do case "$1" in --server) server=${2#https://}; shift ;; esac; shift; done
        version=$(awk -v a="${server}" '$1 == a { print $2 }' "${FAKE_APISERVER_VERSIONS:-/dev/null}")
        if [ -z "${version}" ]; then echo "The connection to the server ${server} was refused" >&2; exit 1; fi
        printf '{\n  "major": "1",\n  "minor": "%s",\n  "gitVersion": "v%s",\n  "platform": "linux/amd64"\n}\n' "$(echo "${version}" | cut -d. -f2)" "${version}"
        """;

    public UpgradeBundles()
    {
        Fixture = new SyntheticBundle(nodes: 4);
        Extracted = new TempDirectory("kag-upgrade");
        foreach (var key in PayloadKey.AllOf(Fixture.Spec))
        {
            var kubectl = Path.Combine(Fixture.PayloadDir(key.Name), "bin", "kubectl");
            File.WriteAllText(kubectl, FakeKubectl.Replace("\r", string.Empty, StringComparison.Ordinal) + "\n");
        }

        var repo = SyntheticBundle.Pins;
        Fixture.UseKubernetesVersion(Old);
        Build("a");
        Fixture.UseKubernetesVersion(Skipped, TestRelease(repo, Skipped, Old));
        Build("c");
        Fixture.UseKubernetesVersion(New, TestRelease(repo, New, New, etcd: NewerEtcd));
        Build("d");
        Fixture.ChangeNodeFile("n01");
        Fixture.ChangeNodeFile("n04");
        Fixture.UseKubernetesVersion(New);
        Build("b");
    }

    public SyntheticBundle Fixture { get; }

    public TempDirectory Extracted { get; }

    /// <summary>The extracted bundle directory of <paramref name="node"/> from build a, b, c or d.</summary>
    public string Bundle(string build, string node) => Extracted.Combine(build, $"t-{node}");

    /// <summary>host:port of node's kube-apiserver.</summary>
    public string ApiServer(string node) =>
        string.Create(CultureInfo.InvariantCulture, $"{Fixture.Spec.Nodes.Single(n => n.Name == node).Ip}:{Fixture.Spec.ApiServer.SecurePort}");

    /// <summary>Writes the versions the stand-in kubectl reports (node, version; a node left out is down) and returns the environment naming that file.</summary>
    public IDictionary<string, string> ApiServers(TempDirectory dir, params (string Node, string Version)[] servers)
    {
        var file = dir.Combine("apiserver-versions");
        File.WriteAllLines(file, servers.Select(s => $"{ApiServer(s.Node)} {s.Version}"));
        return new Dictionary<string, string> { ["FAKE_APISERVER_VERSIONS"] = file };
    }

    /// <summary>install.sh ARGS --pubkey (the key beside the bundle) --root ROOT, with <paramref name="environment"/>.</summary>
    public static Cmd.Result Run(string bundleDir, TargetRoot root, IDictionary<string, string> environment, params string[] args) =>
        ExtractedBundles.InstallWithoutKey(bundleDir, root, [.. args, "--pubkey", ExtractedBundles.PubKeyBeside(bundleDir)], environment);

    /// <summary>A test pins set: the release <paramref name="from"/> cloned as Kubernetes <paramref name="kubernetes"/> (with
    /// the kube-* pins cloned to that version), optionally with etcd at <paramref name="etcd"/> (the etcd pin cloned).</summary>
    public static PinsFile TestRelease(PinsFile pins, string kubernetes, string from, string? etcd = null)
    {
        var release = pins.ReleaseFor(from) ?? throw new InvalidOperationException($"no release {from} in pins.yaml");
        var components = new Dictionary<string, string>(release.Components, StringComparer.Ordinal);
        var added = new List<Component>();
        if (kubernetes != from)
        {
            added.AddRange(pins.Components.Where(c => c.Version == from).Select(c => c with { Version = kubernetes }));
        }

        if (etcd is not null)
        {
            added.AddRange(pins.Components.Where(c => c.Name == "etcd" && c.Version == components["etcd"]).Select(c => c with { Version = etcd }));
            components["etcd"] = etcd;
        }

        return pins with
        {
            Releases = [release with { Kubernetes = kubernetes, Components = components }, .. pins.Releases.Where(r => r.Kubernetes != kubernetes)],
            Components = [.. pins.Components, .. added],
        };
    }

    public void Dispose()
    {
        Extracted.Dispose();
        Fixture.Dispose();
    }

    private void Build(string name) => Fixture.BuildExtracted(name, Extracted.Combine(name));
}
