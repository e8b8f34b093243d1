using System.Diagnostics;
using Cake.Common;
using System.Globalization;
using KubeAirgap.Bench.Bundle;

namespace Build.Tasks;

/// <summary>BenchmarkBundle's child process: Bundle on a prepared synthetic directory, then its own peak RSS (not for users).</summary>
[TaskName("BenchmarkBundleChild")]
[TaskDescription("(BenchmarkBundle's child process) Bundle on --bench_dir, prints the peak RSS")]
public sealed class BenchmarkBundleChildTask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        int Number(string name) => int.Parse(context.Argument(name, "0"), CultureInfo.InvariantCulture);
        var dir = context.Argument("bench_dir", string.Empty);
        if (dir.Length == 0 || !Directory.Exists(dir))
        {
            throw new InvalidOperationException($"--bench_dir={dir}: not a directory BenchmarkBundle prepared");
        }

        Console.Out.WriteLine(BundleBenchmark.RunChild(dir, context.Paths.Installer, context.Pins, Number("bench_nodes"), Number("bench_level"), Number("bench_parallelism")));
    }

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
