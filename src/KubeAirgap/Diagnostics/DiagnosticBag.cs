namespace KubeAirgap.Diagnostics;

/// <summary>Collects every problem found, so that a run reports all of them at once.</summary>
public sealed class DiagnosticBag
{
    private readonly List<Diagnostic> _items = [];

    public IReadOnlyList<Diagnostic> Items => _items;

    public IEnumerable<Diagnostic> Errors => _items.Where(d => d.Severity == Severity.Error);

    public IEnumerable<Diagnostic> Warnings => _items.Where(d => d.Severity == Severity.Warning);

    public bool HasErrors => _items.Exists(d => d.Severity == Severity.Error);

    public void Add(Diagnostic diagnostic) => _items.Add(diagnostic);

    public void AddRange(IEnumerable<Diagnostic> diagnostics) => _items.AddRange(diagnostics);

    /// <summary>Throws <see cref="InputException"/> listing every error (warnings included for context).</summary>
    public void ThrowIfErrors(string what)
    {
        if (HasErrors)
        {
            throw new InputException(what, _items.OrderBy(d => d.File).ThenBy(d => d.Line).ThenBy(d => d.Column).ToList());
        }
    }
}
