namespace KubeAirgap.Processes;

/// <summary>A program could not be started (no such file, not executable, no such working directory).</summary>
public sealed class ProcessStartException : Exception
{
    public ProcessStartException()
        : this("a program could not be started")
    {
    }

    public ProcessStartException(string message)
        : base(message)
    {
    }

    public ProcessStartException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public ProcessStartException(ProcessCommand command, Exception inner)
        : base($"could not start {command.What} ('{command.CommandLine}'{(command.WorkingDirectory is null ? string.Empty : $" in {command.WorkingDirectory}")}): {(inner.InnerException ?? inner).Message}", inner)
    {
    }
}
