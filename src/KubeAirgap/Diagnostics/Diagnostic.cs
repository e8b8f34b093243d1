namespace KubeAirgap.Diagnostics;

public enum Severity
{
    Warning,
    Error,
}

/// <summary>One problem in an input file, located by file, line, column and field path.</summary>
public sealed record Diagnostic(Severity Severity, string File, int Line, int Column, string Path, string Message)
{
    public override string ToString()
    {
        var location = Line > 0 ? $"{File}:{Line}:{Column}" : File;
        var prefix = Severity == Severity.Warning ? "warning: " : string.Empty;
        var path = string.IsNullOrEmpty(Path) ? string.Empty : $" {Path}:";
        return $"{location}{path} {prefix}{Message}";
    }
}
