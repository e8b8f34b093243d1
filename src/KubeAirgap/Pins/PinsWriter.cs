using KubeAirgap.Content;

namespace KubeAirgap.Pins;

/// <summary>Replaces pins.yaml with edited lines: written to a temporary name, validated as a pins file, then renamed.</summary>
public static class PinsWriter
{
    public static async Task ReplaceAsync(string pinsPath, IEnumerable<string> lines, CancellationToken cancellationToken = default)
    {
        using var pending = PendingFile.For(pinsPath);
        await File.WriteAllTextAsync(pending.TempPath, string.Join('\n', lines), cancellationToken).ConfigureAwait(false);
        PinsLoader.LoadValid(pending.TempPath);
        pending.Commit();
    }
}
