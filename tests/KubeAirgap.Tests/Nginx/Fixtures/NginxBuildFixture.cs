using KubeAirgap.Nginx;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Nginx.Fixtures;

/// <summary>
/// Builds the real nginx 1.22.1 release source once per test run, then builds it again with the same inputs.
/// <c>cc</c> and <c>make</c> are reached through logging wrappers placed first on PATH, so tests can see which
/// compiler and make invocations each build caused.
/// </summary>
public sealed class NginxBuildFixture : IDisposable
{
    public const string SourceTarball = "/var/cache/kube-airgap-test/nginx_1.22.1.orig.tar.gz";
    public const string SourceSha256 = "9ebb333a9e82b952acd3e2b4aeb1d4ff6406f72491bab6cd9fe69f0dea737f31";
    public const string Version = "1.22.1";

    private readonly TempDirectory _dir = new("kag-nginx-build");

    public NginxBuildFixture()
    {
        if (!File.Exists(SourceTarball))
        {
            throw new InvalidOperationException($"{SourceTarball} is missing: run tests/install-test-deps.sh");
        }

        ToolsDir = _dir.Combine("tools");
        InvocationLog = _dir.Combine("invocations.log");
        File.WriteAllText(InvocationLog, string.Empty);
        WriteWrapper("cc", Toolchain.Which("cc", HostPath)!);
        WriteWrapper("make", Toolchain.Which("make", HostPath)!);

        First = NginxBuilder.Build(SourceTarball, SourceSha256, Options());
        FirstInvocations = File.ReadAllLines(InvocationLog);
        File.WriteAllText(InvocationLog, string.Empty);
        Second = NginxBuilder.Build(SourceTarball, SourceSha256, Options());
        SecondInvocations = File.ReadAllLines(InvocationLog);
    }

    public static string HostPath => Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";

    public string ToolsDir { get; }

    public string InvocationLog { get; }

    public string CacheDir => _dir.Combine("cache");

    public string LogDir => _dir.Combine("logs");

    public NginxBuild First { get; }

    public NginxBuild Second { get; }

    /// <summary>Every cc/make call during the first build ("cc ARGS" / "make ARGS").</summary>
    public IReadOnlyList<string> FirstInvocations { get; }

    /// <summary>Every cc/make call during the second build.</summary>
    public IReadOnlyList<string> SecondInvocations { get; }

    public NginxBuildOptions Options() => new()
    {
        CacheDir = CacheDir,
        WorkDir = _dir.Combine("work"),
        LogDir = LogDir,
        TargetArch = TargetArch.Host.Name,
        MakeJobs = 2,
        SearchPath = $"{ToolsDir}:{HostPath}",
    };

    public void Dispose() => _dir.Dispose();

    private void WriteWrapper(string name, string real)
    {
        var path = _dir.Write($"tools/{name}", $"#!/bin/sh\necho \"{name} $*\" >> '{InvocationLog}'\nexec '{real}' \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class NginxBuildCollection : ICollectionFixture<NginxBuildFixture>
{
    public const string Name = "kube-nginx build";
}
