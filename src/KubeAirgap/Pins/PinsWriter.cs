namespace KubeAirgap.Pins;

/// <summary>Replaces pins.yaml with edited lines: written to a temporary name, validated as a pins file, then renamed.</summary>
public static class PinsWriter
{
    public static async Task ReplaceAsync(string pinsPath, IEnumerable<string> lines, CancellationToken cancellationToken = default)
    {
        var temp = pinsPath + ".tmp-" + Environment.ProcessId;
        await File.WriteAllTextAsync(temp, string.Join('\n', lines), cancellationToken).ConfigureAwait(false);
        try
        {
            PinsLoader.LoadValid(temp);
            File.Move(temp, pinsPath, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
