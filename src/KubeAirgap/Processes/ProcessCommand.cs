namespace KubeAirgap.Processes;

/// <summary>
/// A program to run: what it is for (errors name it), the executable, its arguments, the folder to run it in (the
/// build's own when null) and the variables set in its environment on top of the build's.
/// </summary>
public sealed record ProcessCommand(string What, string File, IReadOnlyList<string> Arguments)
{
    public string? WorkingDirectory { get; init; }

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The command line as a log shows it: <c>file arg arg</c>.</summary>
    public string CommandLine => Arguments.Count == 0 ? File : $"{File} {string.Join(' ', Arguments)}";
}
