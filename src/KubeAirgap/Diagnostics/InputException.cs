namespace KubeAirgap.Diagnostics;

/// <summary>Bad input: carries every diagnostic, and a message that lists them one per line.</summary>
public sealed class InputException : Exception
{
    public InputException(string what, IReadOnlyList<Diagnostic> diagnostics)
        : base(Format(what, diagnostics))
    {
        Diagnostics = diagnostics;
    }

    public InputException(string message)
        : base(message)
    {
        Diagnostics = [];
    }

    public InputException(string message, Exception inner)
        : base(message, inner)
    {
        Diagnostics = [];
    }

    public InputException()
        : this("invalid input")
    {
    }

    public IReadOnlyList<Diagnostic> Diagnostics { get; }

    private static string Format(string what, IReadOnlyList<Diagnostic> diagnostics)
    {
        var errors = diagnostics.Count(d => d.Severity == Severity.Error);
        return $"{what}: {errors} error(s)" + Environment.NewLine
            + string.Join(Environment.NewLine, diagnostics.Select(d => "  " + d));
    }
}
