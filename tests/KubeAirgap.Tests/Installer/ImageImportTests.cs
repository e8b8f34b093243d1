using KubeAirgap.Images.Archive;
using KubeAirgap.Tests.Images.Fixtures;

namespace KubeAirgap.Tests.Installer;

/// <summary>
/// lib/services.sh import_images against a real containerd (Debian's 1.6) and an archive the Images stage writes:
/// imported into k8s.io right after containerd and before kubelet/kube-proxy start, pinned with CRI's label
/// (io.cri-containerd.pinned=pinned, containerd pkg/cri/labels), and "present" judged from containerd's own list by digest.
/// </summary>
public sealed class ImageImportTests : IDisposable
{
    private readonly PullFixture _fixture = new();
    private readonly NodeShell _shell = new();
    private readonly TestContainerd _containerd = new();
    private readonly string _archive;
    private readonly string _preamble;

    public ImageImportTests()
    {
        var pause = _fixture.Cached("registry.k8s.io/pause:3.10.2", TestImages.Image("pause"));
        var coredns = _fixture.Cached("registry.k8s.io/coredns/coredns:v1.14.2", TestImages.Image("coredns"));
        _archive = _fixture.Output("images.oci.tar");
        OciArchive.WriteAsync(_archive, [pause, coredns], _fixture.Cache, DateTimeOffset.UnixEpoch).GetAwaiter().GetResult();
        // ctr through a wrapper that logs its calls next to systemctl's, so the order shows
        _shell.Tool("ctr", $"echo \"ctr ${{*: -3}}\" >>'{_shell.Calls}'\nexec /usr/bin/ctr \"$@\"");
        _preamble = $"KA_IMAGES_ARCHIVE='{_archive}'; KA_CONTAINERD_SOCKET='{_containerd.Socket}'; touch \"${{UNITS}}/quorum\"; ";
    }

    [Fact]
    public void Images_are_imported_and_pinned_after_containerd_and_before_kubelet_and_kube_proxy()
    {
        var run = _shell.Run(_preamble + "start_services");

        Assert.True(run.ExitCode == 0, run.Output);
        var calls = _shell.CallLines.ToList();
        int Index(Func<string, bool> match) => calls.FindIndex(l => match(l));
        var containerd = Index(l => l == "systemctl start containerd");
        var import = Index(l => l.StartsWith("ctr images import", StringComparison.Ordinal));
        var pin = Index(l => l.Contains("io.cri-containerd.pinned=pinned", StringComparison.Ordinal));
        var kubelet = Index(l => l == "systemctl start kubelet");
        var proxy = Index(l => l == "systemctl start kube-proxy");
        Assert.True(containerd >= 0 && containerd < import && import < pin && pin < kubelet && pin < proxy, string.Join('\n', calls));
        var list = _containerd.Ctr("images", "ls").EnsureSuccess("ctr images ls").Stdout;
        var rows = list.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        Assert.Equal(4, rows.Count); // each image by tag and by digest
        Assert.All(rows, r => Assert.Contains("io.cri-containerd.pinned=pinned", r, StringComparison.Ordinal));
    }

    [Fact]
    public void Present_means_in_containerds_list_with_the_bundles_digest_and_pinned()
    {
        Assert.True(_shell.Run(_preamble + "import_images").ExitCode == 0);
        _shell.ClearCalls();

        var again = _shell.Run(_preamble + "import_images");
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Contains("images: all 4 present in containerd (k8s.io) with the bundle's digests, pinned", again.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(_shell.CallLines, l => l.StartsWith("ctr images import", StringComparison.Ordinal));

        // image GC or an operator removed one, and another lost its pin: containerd's list tells, not a marker file
        _containerd.Ctr("images", "rm", "registry.k8s.io/coredns/coredns:v1.14.2").EnsureSuccess("ctr images rm");
        _containerd.Ctr("images", "label", "registry.k8s.io/pause:3.10.2", "io.cri-containerd.pinned=").EnsureSuccess("ctr images label");
        var repair = _shell.Run(_preamble + "import_images");

        Assert.True(repair.ExitCode == 0, repair.Output);
        Assert.Contains("images: 2 of 4 missing, with another digest or unpinned", repair.Stdout, StringComparison.Ordinal);
        var rows = _containerd.Ctr("images", "ls").EnsureSuccess("ctr images ls").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        Assert.Equal(4, rows.Count);
        Assert.All(rows, r => Assert.Contains("io.cri-containerd.pinned=pinned", r, StringComparison.Ordinal));
    }

    public void Dispose()
    {
        _containerd.Dispose();
        _shell.Dispose();
        _fixture.Dispose();
    }
}
