using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Bundle;
using KubeAirgap.Cluster;
using KubeAirgap.Content;
using KubeAirgap.Layout;
using KubeAirgap.TestSupport.Synthetic;
using KubeAirgap.Tests.Bundle;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Installer;

/// <summary>
/// The installer's lib/*.sh from the repository, sourced by bash with the lib/layout.env that <see cref="LayoutEnv"/>
/// renders for one node and a lib/files.tsv holding every unit's inputs. <see cref="Run"/> adds stubs: systemctl
/// records its calls in <see cref="Calls"/> and keeps each unit's state as a file; the node's state goes under
/// <see cref="Root"/>. Nothing touches the real /etc, /var or systemd.
/// </summary>
public sealed class NodeShell : IDisposable
{
    private readonly TempDirectory _dir = new("kag-shell");
    private readonly Dictionary<string, string> _files = new(StringComparer.Ordinal);

    public NodeShell(string node = "n01", Func<ClusterSpec, ClusterSpec>? change = null)
    {
        var spec = SyntheticInputs.Cluster("t", 3, SyntheticBundle.Pins.Releases[0].Kubernetes);
        Spec = change is null ? spec : change(spec);
        Node = Spec.Nodes.Single(n => n.Name == node);
        Directory.CreateDirectory(Bundle("lib"));
        foreach (var script in Directory.GetFiles(Repo.File("src", "installer", "lib"), "*.sh"))
        {
            File.Copy(script, Bundle("lib", Path.GetFileName(script)));
        }

        var units = NodeRequirements.UnitsOf(Node).Select(u => u.Name).ToList();
        File.WriteAllBytes(Bundle("lib", "layout.env"), LayoutEnv.Render(new LayoutEnv.NodeFacts(Spec, Node, "v1", string.Empty, 1, units)));
        foreach (var input in NodeRequirements.UnitsOf(Node).SelectMany(u => u.Inputs).Append("addons/coredns.yaml"))
        {
            _files[input.Replace("*", "file", StringComparison.Ordinal)] = Sha("1");
        }

        WriteFilesTable();
        foreach (var dir in new[] { Root, Units, BinDir, Fake })
        {
            Directory.CreateDirectory(dir);
        }
    }

    public ClusterSpec Spec { get; }

    public NodeSpec Node { get; }

    /// <summary>Where the node's paths (state, /etc) go: the installer's ROOT.</summary>
    public string Root => _dir.Combine("root");

    /// <summary>Every systemctl call, one a line.</summary>
    public string Calls => _dir.Combine("calls.log");

    /// <summary>Unit state: <c>NAME.active</c>, <c>NAME.enabled</c>; <c>quorum</c> makes the etcd probe succeed.</summary>
    public string Units => _dir.Combine("units");

    /// <summary>KA_BIN_DIR: put tools the node would have (ctr, kubectl, etcdctl) here.</summary>
    public string BinDir => _dir.Combine("bin");

    /// <summary>A scratch directory for fake /proc, /sys, /etc and PATH tools.</summary>
    public string Fake => _dir.Combine("fake");

    public string Bundle(params string[] parts) => _dir.Combine(["bundle", .. parts]);

    public IReadOnlyList<string> CallLines => File.Exists(Calls) ? File.ReadAllLines(Calls) : [];

    /// <summary>Gives a bundle file new content (a new sha256 in lib/files.tsv), as a changed bundle would.</summary>
    public void Change(string bundlePath, string version)
    {
        Assert.True(_files.ContainsKey(bundlePath), $"{bundlePath} is no file of the test bundle");
        _files[bundlePath] = Sha(version);
        WriteFilesTable();
    }

    /// <summary>Writes an executable script <paramref name="name"/> into <paramref name="dir"/> (default <see cref="BinDir"/>).</summary>
    public string Tool(string name, string script, string? dir = null)
    {
        var path = Path.Combine(dir ?? BinDir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "#!/bin/bash\n" + script + "\n");
        Cmd.Run("chmod", ["0755", path]).EnsureSuccess("chmod");
        return path;
    }

    public void ClearCalls() => File.Delete(Calls);

    /// <summary>Runs <paramref name="body"/> after sourcing the libs; <paramref name="stubs"/> adds the systemctl stub and an etcd probe that reads <see cref="Units"/>/quorum.</summary>
    public Cmd.Result Run(string body, IDictionary<string, string>? environment = null, bool stubs = true)
    {
        var script = new StringBuilder()
            .AppendLine("set -euo pipefail")
            .AppendLine(CultureInfo.InvariantCulture, $"BUNDLE_DIR='{Bundle()}'; RUN_TMP='{Fake}'; ROOT='{Root}'; DRY_RUN=0; NO_START=0; YES=0; LOG_FILE=; COMMAND=install")
            .AppendLine("info() { echo \"[INFO]  $*\"; }; warn() { echo \"[WARN]  $*\" >&2; }; fatal() { echo \"[ERROR] $1\" >&2; exit \"${2:-1}\"; }; log_line() { :; }")
            .AppendLine("for f in layout.env actions.sh trust.sh preflight.sh install.sh services.sh day2.sh members.sh; do . \"${BUNDLE_DIR}/lib/${f}\"; done")
            .AppendLine(CultureInfo.InvariantCulture, $"KA_BIN_DIR='{BinDir}'; CALLS='{Calls}'; UNITS='{Units}'; KA_POLL_SECONDS=1");
        if (stubs)
        {
            script.AppendLine("systemd_running() { return 0; }")
                .AppendLine("can_start() { return 0; }")
                .AppendLine("""
                    systemctl() {
                        echo "systemctl $*" >>"${CALLS}"
                        local unit=${*: -1}
                        case "$1" in
                            is-active) if [ -f "${UNITS}/${unit}.active" ]; then [ "$2" = -q ] || echo active; else [ "$2" = -q ] || echo inactive; return 3; fi ;;
                            is-enabled) [ -f "${UNITS}/${unit}.enabled" ] ;;
                            enable) touch "${UNITS}/${unit}.enabled" ;;
                            start | restart) touch "${UNITS}/${unit}.active" ;;
                            show) echo no ;;
                            list-units) cat "${UNITS}/swap-units" 2>/dev/null || true ;;
                        esac
                    }
                    check_health() { if [ "$1" = "$(health_of etcd)" ]; then [ -f "${UNITS}/quorum" ]; else return 0; fi; }
                    """);
        }

        script.AppendLine(body);
        var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>());
        return Cmd.Run("bash", ["-c", script.ToString()], _dir.Path, env, timeout: TimeSpan.FromMinutes(3));
    }

    public void Dispose() => _dir.Dispose();

    private static string Sha(string text) => Sha256Hex.Of(Encoding.UTF8.GetBytes(text));

    private void WriteFilesTable()
    {
        var layout = new NodeLayout(Spec);
        var lines = _files.OrderBy(f => f.Key, StringComparer.Ordinal)
            .Select(f => $"0644\t{f.Value}\t0\t{f.Key}\t{layout.NodePathOf(f.Key)}\n");
        File.WriteAllText(Bundle("lib", "files.tsv"), string.Concat(lines));
    }
}
