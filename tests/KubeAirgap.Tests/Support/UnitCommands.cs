namespace KubeAirgap.Tests.Support;

/// <summary>
/// The command lines of a rendered systemd unit, so a test runs exactly what the unit would: every
/// <c>ExecStartPre=</c>, <c>ExecStart=</c>, ... of one kind, in order, continuation lines joined. Our units quote
/// nothing, so a command is split on whitespace (a quote in one fails the test rather than being misread).
/// </summary>
public static class UnitCommands
{
    public static IReadOnlyList<IReadOnlyList<string>> Of(string unit, string key)
    {
        var prefix = key + "=";
        var lines = unit.Replace("\\\n", " ", StringComparison.Ordinal).Split('\n')
            .Where(l => l.StartsWith(prefix, StringComparison.Ordinal))
            .Select(l => l[prefix.Length..].Trim())
            .ToList();
        Assert.All(lines, l => Assert.DoesNotContain('"', l));
        return lines.Select(l => (IReadOnlyList<string>)l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToList();
    }

    /// <summary>The one <c>ExecStart=</c> of a unit.</summary>
    public static IReadOnlyList<string> ExecStart(string unit) => Assert.Single(Of(unit, "ExecStart"));
}
