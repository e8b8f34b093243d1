namespace KubeAirgap.Processes;

/// <summary>A program exited non-zero: what ran, its exit code and the last lines of its output.</summary>
public sealed class ProcessFailedException : Exception
{
    public ProcessFailedException()
        : this("a program failed")
    {
    }

    public ProcessFailedException(string message)
        : base(message)
    {
        Tail = [];
    }

    public ProcessFailedException(string message, Exception inner)
        : base(message, inner)
    {
        Tail = [];
    }

    public ProcessFailedException(ProcessCommand command, int exitCode, IReadOnlyList<string> tail)
        : base($"{command.What} failed: '{command.CommandLine}' exited with exit code {exitCode}. "
               + $"Last {tail.Count} lines of its output:{System.Environment.NewLine}{string.Join(System.Environment.NewLine, tail)}")
    {
        ExitCode = exitCode;
        Tail = tail;
    }

    public int ExitCode { get; }

    /// <summary>The last lines of stdout and stderr, in the order they arrived (at most <see cref="ProcessRunner.TailLines"/>).</summary>
    public IReadOnlyList<string> Tail { get; }
}
