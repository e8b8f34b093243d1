using System.Diagnostics;

namespace Build.Tasks;

/// <summary>Starts <see cref="BenchmarkBundleChildTask"/> in a new build host process, for BenchmarkBundle's peak RSS.</summary>
internal static class BenchmarkBundleChildProcess
{
    /// <summary>Runs this task in a new build host process (the same Build.dll) and returns its stdout.</summary>
    public static string Start(BuildContext context, string dir, int nodes, int level, int parallelism)
    {
        var host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
        {
            "exec", typeof(BenchmarkBundleChildTask).Assembly.Location, "--target=BenchmarkBundleChild", $"--working={context.Root}",
            $"--bench_dir={dir}", $"--bench_nodes={nodes}", $"--bench_level={level}", $"--bench_parallelism={parallelism}",
        })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the BenchmarkBundleChild process");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? stdout : throw new InvalidOperationException($"BenchmarkBundleChild exited {process.ExitCode}:\n{stdout}\n{stderr.Result}");
    }
}
