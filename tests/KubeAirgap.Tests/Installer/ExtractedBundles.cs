using KubeAirgap.Tests.Bundle;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Installer;

/// <summary>A 3-node synthetic bundle set, built once and extracted with tar; tests copy a node's tree to tamper with it.</summary>
public sealed class ExtractedBundles : IDisposable
{
    public ExtractedBundles()
    {
        Fixture = new SyntheticBundle();
        var result = Fixture.Build();
        Extracted = new TempDirectory("kag-extracted");
        foreach (var t in result.Tarballs)
        {
            Cmd.Run("tar", "-xzf", t.Path, "-C", Extracted.Path).EnsureSuccess("tar xzf");
        }
    }

    public SyntheticBundle Fixture { get; }

    public TempDirectory Extracted { get; }

    public IReadOnlyList<string> Nodes => ["n01", "n02", "n03"];

    public string BundleDir(string node) => Extracted.Combine($"t-{node}");

    /// <summary>The shared payload directory next to the node directories (all three nodes have the same roles).</summary>
    public string PayloadDir => Extracted.Combine(SyntheticBundle.FullPayloadTop);

    /// <summary>A private copy of a node's extracted bundle and of the payload directory its bin and images link to, to modify.</summary>
    public string CopyOf(string node, TempDirectory into)
    {
        var dest = into.Combine($"t-{node}");
        Cmd.Run("cp", "-a", BundleDir(node), dest).EnsureSuccess("cp -a");
        Cmd.Run("cp", "-a", PayloadDir, into.Combine(SyntheticBundle.FullPayloadTop)).EnsureSuccess("cp -a payload");
        return dest;
    }

    /// <summary>Runs install.sh with its log (KA_LOG) outside the root, so that the root holds only what install put there.</summary>
    public static Cmd.Result Install(string bundleDir, TargetRoot root, params string[] args) =>
        Cmd.Run("bash", [Path.Combine(bundleDir, "install.sh"), .. args, "--root", root.Path], bundleDir,
            new Dictionary<string, string> { ["KA_LOG"] = root.Log });

    public static Cmd.Result Run(string bundleDir, params string[] args) =>
        Cmd.Run("bash", [Path.Combine(bundleDir, "install.sh"), .. args], bundleDir);

    /// <summary>Every path under <paramref name="root"/> with type, mode, owner, link target and content hash.</summary>
    public static string TreeOf(string root) =>
        Cmd.Bash("find . -printf '%p %y %m %U:%G %l\\n' | LC_ALL=C sort; find . -type f -exec sha256sum {} + | LC_ALL=C sort", root)
            .EnsureSuccess("tree listing").Stdout;

    public void Dispose()
    {
        Extracted.Dispose();
        Fixture.Dispose();
    }
}

/// <summary>A temp directory to install into (<see cref="Path"/>), with the install log next to it, both removed on dispose.</summary>
public sealed class TargetRoot : IDisposable
{
    private readonly TempDirectory _work = new("kag-root");

    public TargetRoot() => Directory.CreateDirectory(Path);

    public string Path => _work.Combine("root");

    public string Log => _work.Combine("install.log");

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Write(string relative, string text)
    {
        var full = Combine(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    public void Dispose() => _work.Dispose();
}
