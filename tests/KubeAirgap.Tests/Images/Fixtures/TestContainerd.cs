using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Images.Fixtures;

/// <summary>
/// Debian's containerd 1.6 as the test's own daemon: root, state, opt dir and gRPC socket under a temp dir,
/// the CRI plugin disabled (it would bind fixed ports other tests share). Stopped by PID.
/// </summary>
public sealed class TestContainerd : IDisposable
{
    public const string Namespace = "k8s.io";

    private readonly TempDirectory _dir = new("kag-ctrd");
    private readonly BackgroundProcess _process;

    public TestContainerd()
    {
        NeedsRoot.Check("containerd runs as root");
        // the default config, with every path moved under the temp dir
        var defaults = Cmd.Run("containerd", "config", "default").EnsureSuccess("containerd config default").Stdout;
        var config = defaults
            .Replace("root = \"/var/lib/containerd\"", $"root = \"{_dir.Combine("root")}\"", StringComparison.Ordinal)
            .Replace("state = \"/run/containerd\"", $"state = \"{_dir.Combine("state")}\"", StringComparison.Ordinal)
            .Replace("address = \"/run/containerd/containerd.sock\"", $"address = \"{Socket}\"", StringComparison.Ordinal)
            .Replace("path = \"/opt/containerd\"", $"path = \"{_dir.Combine("opt")}\"", StringComparison.Ordinal)
            .Replace("disabled_plugins = []", "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]", StringComparison.Ordinal);
        if (config.Contains("/var/lib/containerd\"", StringComparison.Ordinal) || !config.Contains(Socket, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("containerd's default config changed shape; the test cannot relocate it:\n" + defaults);
        }

        var file = _dir.Write("config.toml", config);
        _process = new BackgroundProcess("containerd", ["--config", file]);
        _process.WaitUntil(() => File.Exists(Socket) && Ctr("version").ExitCode == 0, TimeSpan.FromSeconds(30), "serving on " + Socket);
    }

    public string Socket => _dir.Combine("containerd.sock");

    public Cmd.Result Ctr(params string[] args) =>
        Cmd.Run("ctr", new[] { "--address", Socket, "--namespace", Namespace }.Concat(args), timeout: TimeSpan.FromMinutes(2));

    public void Dispose()
    {
        try
        {
            _process.Dispose();
        }
        finally
        {
            // snapshots of a run container may still be mounted below root
            Cmd.Bash($"grep -o ' {_dir.Path}[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l");
            _dir.Dispose();
        }
    }
}
