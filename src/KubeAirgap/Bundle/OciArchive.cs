using System.Formats.Tar;
using System.Text.Json;

namespace KubeAirgap.Bundle;

/// <summary>Reads the image names out of an OCI image-layout archive (index.json's ref-name annotations).</summary>
public static class OciArchive
{
    private static readonly string[] NameKeys = ["io.containerd.image.name", "org.opencontainers.image.ref.name"];

    public static IReadOnlyList<string> ImageNames(string archive)
    {
        using var file = File.OpenRead(archive);
        return ImageNames(file, archive);
    }

    public static IReadOnlyList<string> ImageNames(Stream archive, string where)
    {
        using var reader = new TarReader(archive, leaveOpen: true);
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.Name.TrimStart('.', '/') != "index.json" || entry.DataStream is null)
            {
                continue;
            }

            using var doc = JsonDocument.Parse(entry.DataStream);
            var names = new SortedSet<string>(StringComparer.Ordinal);
            if (doc.RootElement.TryGetProperty("manifests", out var manifests))
            {
                foreach (var m in manifests.EnumerateArray())
                {
                    if (!m.TryGetProperty("annotations", out var annotations))
                    {
                        continue;
                    }

                    foreach (var key in NameKeys)
                    {
                        if (annotations.TryGetProperty(key, out var name) && name.GetString() is { Length: > 0 } n)
                        {
                            names.Add(n);
                            break;
                        }
                    }
                }
            }

            return names.ToList();
        }

        throw new InvalidDataException($"{where}: no index.json in the OCI archive");
    }
}
