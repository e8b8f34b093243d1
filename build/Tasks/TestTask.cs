using Cake.Common;
using Cake.Common.IO;
using Build.Testing;

namespace Build.Tasks;

[TaskName("Test")]
[TaskDescription("Installs the test dependencies (Debian packages) and runs the whole test suite; ends with 'N passed, N failed, N skipped' (an unexpected skip fails the run)")]
public sealed class TestTask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        if (!context.HasArgument("skip-deps"))
        {
            var deps = System.IO.Path.Combine(context.Root, "tests", "install-test-deps.sh");
            Exec(context, "bash", deps);
        }

        var results = System.IO.Path.Combine(context.Paths.Artifacts, "test-results");
        context.CleanDirectory(results);
        var args = new List<string>
        {
            "test", "--project", System.IO.Path.Combine(context.Root, "tests", "KubeAirgap.Tests"),
            "--results-directory", results, "--report-xunit-ctrf", "--report-xunit-ctrf-filename", "results.ctrf.json",
        };
        if (context.HasArgument("tests"))
        {
            // --tests=KubeAirgap.Tests.Pki runs one area
            args.AddRange(["--filter-namespace", context.Argument<string>("tests")]);
        }

        var exitCode = Exec(context, "dotnet", [.. args], throwOnError: false);
        var ctrf = Directory.GetFiles(results, "results.ctrf.json", SearchOption.AllDirectories).FirstOrDefault();
        var report = ctrf is null ? new TestReport(0, 0, 1, 0) : TestReport.Read(ctrf);
        File.WriteAllText(System.IO.Path.Combine(results, "summary.txt"), report.SummaryLine + Environment.NewLine);
        context.Information(report.CategoryLine);
        context.Information(report.SummaryLine);
        if (exitCode != 0 || report.Problem is not null)
        {
            throw new InvalidOperationException($"Tests failed: {report.SummaryLine}: {report.Problem ?? "the test run failed"} (dotnet test exit code {exitCode})");
        }
    }

    private static int Exec(BuildContext context, string tool, string[] args, bool throwOnError = true)
    {
        var settings = new Cake.Core.IO.ProcessSettings
        {
            Arguments = Cake.Core.IO.ProcessArgumentBuilder.FromStrings(args),
            WorkingDirectory = context.Root,
        };
        var exitCode = context.StartProcess(tool, settings);
        if (throwOnError && exitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} exited with {exitCode}");
        }

        return exitCode;
    }

    private static int Exec(BuildContext context, string tool, string arg) => Exec(context, tool, [arg]);
}
