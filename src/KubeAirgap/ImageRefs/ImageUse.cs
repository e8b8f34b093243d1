namespace KubeAirgap.ImageRefs;

/// <summary>An image a rendered file names, and where (file and 1-based line).</summary>
public sealed record ImageUse(string File, int Line, string Reference)
{
    public override string ToString() => $"{File}:{Line}: {Reference}";
}
