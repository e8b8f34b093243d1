using System.ComponentModel;
using System.Text;
using CliWrap;

namespace KubeAirgap.Processes;

/// <summary>
/// The one way src runs a program, on CliWrap: stdin is empty, every line of stdout and stderr goes to the caller
/// as it arrives (the two interleaved, one line at a time), and the last <see cref="TailLines"/> are kept for the
/// error. A non-zero exit throws <see cref="ProcessFailedException"/> (what ran, its exit code, the tail); a program
/// that cannot start throws <see cref="ProcessStartException"/>; cancelling kills the program and its children and
/// throws <see cref="OperationCanceledException"/>.
/// </summary>
public static class ProcessRunner
{
    public const int TailLines = 40;

    /// <summary>Runs <paramref name="command"/> to its end, handing each output line to <paramref name="onLine"/>.</summary>
    public static void Run(ProcessCommand command, Action<string> onLine, CancellationToken cancellationToken = default)
    {
        var tail = new Queue<string>(TailLines + 1);
        var gate = new object();
        void Take(string line)
        {
            lock (gate)
            {
                onLine(line);
                tail.Enqueue(line);
                if (tail.Count > TailLines)
                {
                    tail.Dequeue();
                }
            }
        }

        var exitCode = Execute(command, PipeTarget.ToDelegate(Take), PipeTarget.ToDelegate(Take), cancellationToken);
        if (exitCode != 0)
        {
            throw new ProcessFailedException(command, exitCode, tail.ToList());
        }
    }

    /// <summary>Runs a short probe (e.g. <c>cc --version</c>): its stdout when it exits 0, else null (stderr is dropped).</summary>
    public static string? Probe(ProcessCommand command, CancellationToken cancellationToken = default)
    {
        var stdout = new StringBuilder();
        var exitCode = Execute(command, PipeTarget.ToStringBuilder(stdout), PipeTarget.ToStream(Stream.Null), cancellationToken);  // drained, not PipeTarget.Null: a pipe nobody reads can be closed while the probe still writes (SIGPIPE, a false failure under load)
        return exitCode == 0 ? stdout.ToString() : null;
    }

    private static int Execute(ProcessCommand command, PipeTarget stdout, PipeTarget stderr, CancellationToken cancellationToken)
    {
        var cli = Cli.Wrap(command.File)
            .WithArguments(command.Arguments)
            .WithEnvironmentVariables(command.Environment.ToDictionary(v => v.Key, v => (string?)v.Value, StringComparer.Ordinal))
            .WithStandardInputPipe(PipeSource.Null)
            .WithStandardOutputPipe(stdout)
            .WithStandardErrorPipe(stderr)
            .WithValidation(CommandResultValidation.None);
        if (command.WorkingDirectory is not null)
        {
            cli = cli.WithWorkingDirectory(command.WorkingDirectory);
        }

        try
        {
            return cli.ExecuteAsync(cancellationToken).GetAwaiter().GetResult().ExitCode;
        }
        catch (Win32Exception e)
        {
            throw new ProcessStartException(command, e);
        }
    }
}
