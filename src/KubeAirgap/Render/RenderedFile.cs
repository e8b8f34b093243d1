namespace KubeAirgap.Render;

/// <summary>A rendered file: its path in the node tree (bundle-relative), its mode and its text.</summary>
public sealed record RenderedFile(string Path, int Mode, string Content)
{
    public string ModeText => Convert.ToString(Mode, 8).PadLeft(4, '0');
}
