using KubeAirgap.Bundle;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Bundle;

/// <summary>The multi-member tarballs read as one archive by GNU tar, gzip, Python's tarfile and busybox.</summary>
public sealed class TarToolsTests : IClassFixture<TarToolsTests.Built>
{
    private readonly Built _built;

    public TarToolsTests(Built built) => _built = built;

    public sealed class Built : IDisposable
    {
        public Built()
        {
            Fixture = new SyntheticBundle();
            Result = Fixture.Build();
        }

        public SyntheticBundle Fixture { get; }

        public BundleBuilder.Result Result { get; }

        public void Dispose() => Fixture.Dispose();
    }

    [Fact]
    public void Gzip_t_passes()
    {
        foreach (var t in _built.Result.Tarballs)
        {
            Cmd.Run("gzip", "-t", t.Path).EnsureSuccess($"gzip -t {t.Path}");
        }
    }

    [Fact]
    public void Gnu_tar_python_and_busybox_list_the_same_files()
    {
        foreach (var t in _built.Result.Tarballs)
        {
            var expected = BundleBuildTests.ReadTar(t.Path).Select(e => e.Name.TrimEnd('/')).Order(StringComparer.Ordinal).ToList();
            var gnu = Lines(Cmd.Run("tar", "-tzf", t.Path).EnsureSuccess("tar -tzf").Stdout);
            var busybox = Lines(Cmd.Run("busybox", "tar", "-tzf", t.Path).EnsureSuccess("busybox tar").Stdout);
            var python = Lines(Cmd.Run("python3", "-c", "import sys, tarfile\nfor n in tarfile.open(sys.argv[1], 'r:gz').getnames(): print(n)", t.Path).EnsureSuccess("python tarfile").Stdout);
            Assert.Equal(expected, gnu);
            Assert.Equal(expected, busybox);
            Assert.Equal(expected, python);
        }
    }

    [Fact]
    public void Extracted_trees_agree_between_gnu_tar_busybox_and_python()
    {
        var t = _built.Result.Tarballs[1];
        using var gnu = new TempDirectory("kag-gnu");
        using var bb = new TempDirectory("kag-bb");
        using var py = new TempDirectory("kag-py");
        Cmd.Run("tar", "-xzf", t.Path, "-C", gnu.Path).EnsureSuccess("tar xzf");
        Cmd.Bash($"gzip -dc '{t.Path}' | busybox tar -xf - -C '{bb.Path}'").EnsureSuccess("busybox tar x");
        // Python's "data" filter refuses links that leave the destination: the bin/images links stay inside it.
        Cmd.Run("python3", "-c", "import sys, tarfile\ntarfile.open(sys.argv[1], 'r:gz').extractall(sys.argv[2], filter='data')", t.Path, py.Path)
            .EnsureSuccess("python tarfile extractall(filter='data')");
        var listing = "find . -printf '%p %y %m %l\\n' | sort; find . -type f -exec sha256sum {} + | sort; find -L . -type f | sort";
        var tree = Cmd.Bash(listing, gnu.Path).Stdout;
        Assert.Equal(tree, Cmd.Bash(listing, bb.Path).Stdout);
        Assert.Contains("./t-n02/pki/kubelet.key f 600", tree, StringComparison.Ordinal);
        Assert.Contains($"./t-n02/bin l 777 ../{SyntheticBundle.FullPayloadTop}/bin", tree, StringComparison.Ordinal);
        Assert.Contains("./t-n02/bin/cni/bridge\n", tree, StringComparison.Ordinal);

        // Python's data filter normalises modes (drops group/other write), so compare paths, types, link targets and contents.
        var content = "find . -printf '%p %y %l\\n' | sort; find -L . -type f -exec sha256sum {} + | sort";
        Assert.Equal(Cmd.Bash(content, gnu.Path).Stdout, Cmd.Bash(content, py.Path).Stdout);
    }

    private static List<string> Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('/')).Order(StringComparer.Ordinal).ToList();
}
