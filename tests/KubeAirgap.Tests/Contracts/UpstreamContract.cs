using System.Text.RegularExpressions;
using KubeAirgap.Render;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Contracts;

/// <summary>
/// The generated upstream contract of one Kubernetes version (tests/fixtures/kube/contract/&lt;version&gt;), checked
/// by the same engine the fixture executables embed (tests/fixtures/kube/contract.py): config documents decode
/// strictly against the schemas, command lines use only flags the version registers and does not deprecate.
/// </summary>
public sealed partial class UpstreamContract
{
    /// <summary>Kubernetes binaries whose command line the contract covers, by the basename of ExecStart's binary.</summary>
    public static readonly IReadOnlySet<string> Components = new HashSet<string>(StringComparer.Ordinal)
    {
        "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy",
    };

    /// <summary>The contract of Kubernetes <paramref name="version"/>, or of etcd with <paramref name="product"/> "etcd".</summary>
    public UpstreamContract(string version, string product = "kubernetes")
    {
        Version = version;
        Directory = product == "kubernetes"
            ? Repo.File("tests", "fixtures", "kube", "contract", version)
            : Repo.File("tests", "fixtures", "kube", "contract", product, version);
        Assert.True(System.IO.Directory.Exists(Directory), $"no generated contract for {product} {version}: {Directory}");
        var schemas = Path.Combine(Directory, "schemas");
        Kinds = (System.IO.Directory.Exists(schemas) ? System.IO.Directory.GetFiles(schemas, "*.json") : [])
            .Select(f => Path.GetFileNameWithoutExtension(f).Split('_')[^1])
            .ToHashSet(StringComparer.Ordinal);
    }

    public string Version { get; }

    public string Directory { get; }

    /// <summary>The document kinds the contract has a schema for.</summary>
    public IReadOnlySet<string> Kinds { get; }

    private static string Engine => Repo.File("tests", "fixtures", "kube", "contract.py");

    /// <summary>Errors (one line each, naming the file and field path) of every document in the files.</summary>
    public IReadOnlyList<string> CheckDocuments(IEnumerable<string> paths)
    {
        var result = Cmd.Run("python3", [Engine, "check-doc", Directory, .. paths]);
        Assert.True(result.ExitCode is 0 or 1, $"contract.py check-doc failed to run:\n{result.Output}");
        return Lines(result.Stdout);
    }

    /// <summary>Errors of a component's command line (unknown, absent, deprecated flags; bad booleans).</summary>
    public IReadOnlyList<string> CheckFlags(string component, IEnumerable<string> args)
    {
        var result = Cmd.Run("python3", [Engine, "check-flags", Directory, component, .. args]);
        Assert.True(result.ExitCode is 0 or 1, $"contract.py check-flags failed to run:\n{result.Output}");
        return Lines(result.Stdout);
    }

    /// <summary>The kind of a rendered YAML config document, when it is one the contract has a schema for.</summary>
    public string? KindOf(RenderedFile file)
    {
        if (!file.Path.EndsWith(".yaml", StringComparison.Ordinal))
        {
            return null;
        }

        var kind = KindLine().Match(file.Content);
        return kind.Success && Kinds.Contains(kind.Groups[1].Value) ? kind.Groups[1].Value : null;
    }

    /// <summary>(binary basename, arguments) of a unit's ExecStart, continuation lines joined.</summary>
    public static (string Binary, IReadOnlyList<string> Args) ExecStart(string unit)
    {
        var joined = unit.Replace("\\\n", " ", StringComparison.Ordinal);
        var line = joined.Split('\n').Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal));
        Assert.DoesNotContain('"', line);
        var words = line["ExecStart=".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (Path.GetFileName(words[0]), words[1..]);
    }

    private static List<string> Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    [GeneratedRegex(@"^kind:\s*(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex KindLine();
}
