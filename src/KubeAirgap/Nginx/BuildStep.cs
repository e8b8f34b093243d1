using KubeAirgap.Processes;

namespace KubeAirgap.Nginx;

/// <summary>
/// Runs one build step (extract, configure, make) through the one process runner, with its stdout and stderr
/// interleaved into a log file; a failure throws with the last <see cref="TailLines"/> lines of that log and its
/// full path.
/// </summary>
public static class BuildStep
{
    public const int TailLines = ProcessRunner.TailLines;

    public static void Run(string what, string file, IReadOnlyList<string> args, string workingDirectory, string logPath,
        IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var command = new ProcessCommand(what, file, args) { WorkingDirectory = workingDirectory, Environment = environment };
        int exitCode;
        using (var log = new StreamWriter(logPath, append: false) { AutoFlush = true })
        {
            log.WriteLine($"$ {command.CommandLine}");
            log.WriteLine($"# in {workingDirectory}");
            exitCode = RunInto(log, command, cancellationToken);
            log.WriteLine($"# exit code {exitCode}");
        }

        if (exitCode != 0)
        {
            throw new KubeNginxException(
                $"{what} failed (exit code {exitCode}). Last {TailLines} lines of its output:{Environment.NewLine}"
                + Tail(logPath, TailLines) + Environment.NewLine
                + $"Full log: {logPath}",
                logPath);
        }
    }

    /// <summary>Runs a short probe (e.g. <c>cc --version</c>) and returns its stdout, or null if it failed.</summary>
    public static string? Probe(string file, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var command = new ProcessCommand($"{file} {string.Join(' ', args)}", file, args) { Environment = environment };
        try
        {
            return ProcessRunner.Probe(command);
        }
        catch (ProcessStartException e)
        {
            throw new KubeNginxException(e.Message, e);
        }
    }

    public static string Tail(string path, int lines)
    {
        var all = File.ReadAllLines(path);
        return string.Join(Environment.NewLine, all.Skip(Math.Max(0, all.Length - lines)));
    }

    /// <returns>The exit code: 0, or the failed step's (its output is in the log already).</returns>
    private static int RunInto(StreamWriter log, ProcessCommand command, CancellationToken cancellationToken)
    {
        try
        {
            ProcessRunner.Run(command, log.WriteLine, cancellationToken);
            return 0;
        }
        catch (ProcessFailedException e)
        {
            return e.ExitCode;
        }
        catch (ProcessStartException e)
        {
            throw new KubeNginxException(e.Message, e);
        }
    }
}
