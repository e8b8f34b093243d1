using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Newcomer;

/// <summary>
/// The build host the tests were built with (Build.dll beside them), run as ./build.sh runs it, on a working tree of
/// the test's choice; optionally inside a new network namespace with only loopback up (no route anywhere else).
/// </summary>
public static class BuildHost
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "Build.dll");

    /// <summary>The dotnet host by its full path (found on the test's PATH), for runs with another PATH.</summary>
    public static string Dotnet { get; } = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
        .Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(d => Path.Combine(d, "dotnet"))
        .FirstOrDefault(File.Exists) ?? throw new InvalidOperationException("dotnet is not on PATH");

    public static Cmd.Result Run(string workingTree, IEnumerable<string> args, IDictionary<string, string>? environment = null,
        bool isolatedNetwork = false, TimeSpan? timeout = null)
    {
        var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>()) { ["NO_COLOR"] = "1" };
        string[] build = ["dotnet", Dll, $"--working={workingTree}", .. args];
        if (!isolatedNetwork)
        {
            return Cmd.Run(build[0], build[1..], workingTree, env, timeout: timeout ?? TimeSpan.FromMinutes(10));
        }

        NeedsRoot.Check("a network namespace of its own (unshare --net)");
        // lo is down in a new namespace: bring it up, so the loopback mirror works and nothing else does
        return Cmd.Run("unshare", ["--net", "bash", "-c", "ip link set lo up && exec \"$@\"", "bash", .. build], workingTree, env,
            timeout: timeout ?? TimeSpan.FromMinutes(10));
    }
}

/// <summary>A fresh clone of the repository under test (git clone of its checkout), removed on dispose.</summary>
public sealed class FreshClone : IDisposable
{
    private readonly TempDirectory _temp = new("kag-clone");

    public FreshClone()
    {
        Path = _temp.Combine("kube-airgap");
        Cmd.Run("git", ["clone", "-q", "--no-hardlinks", Repo.Root, Path]).EnsureSuccess("git clone of the repository");
    }

    public string Path { get; }

    public string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose() => _temp.Dispose();
}
