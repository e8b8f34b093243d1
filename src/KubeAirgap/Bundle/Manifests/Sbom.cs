using System.Globalization;
using System.Text.Json.Nodes;
using KubeAirgap.Cluster;
using KubeAirgap.Content;
using KubeAirgap.Pins;
using KubeAirgap.Render.Versions;
using KubeAirgap.Roles;

namespace KubeAirgap.Bundle.Manifests;

/// <summary>
/// An SPDX 2.3 JSON document of the upstream components and images the bundles carry (from pins.yaml): name,
/// version, download URL, checksum and licence where pins.yaml knows it. Created time = SOURCE_DATE_EPOCH. A test
/// bundle's document says so in its comment (<c>TEST BUNDLE: ...</c>), and so does each component below its supported range.
/// </summary>
public static class Sbom
{
    public static byte[] Render(ClusterSpec spec, PinsFile pins, long sourceDateEpoch, TestBundleStamp? testBundle = null)
    {
        var release = pins.ReleaseFor(spec.KubernetesVersion)
            ?? throw new InvalidDataException($"pins.yaml has no release for Kubernetes {spec.KubernetesVersion}");
        var arches = spec.Nodes.Select(n => n.Arch).Distinct().Order(StringComparer.Ordinal).ToList();
        var roles = spec.Nodes.SelectMany(n => n.Roles).Distinct().ToList();
        var packages = new JsonArray();
        var relationships = new JsonArray();

        foreach (var name in ComponentCatalog.ComponentsFor(roles).Order(StringComparer.Ordinal))
        {
            var version = release.VersionOf(name);
            var component = version is null ? null : pins.Find(name, version);
            if (component is null)
            {
                continue;
            }

            foreach (var arch in arches)
            {
                var artifact = component.For(arch);
                if (artifact is null)
                {
                    continue;
                }

                var id = $"SPDXRef-Package-{Id(name)}-{Id(component.Artifacts.ContainsKey(arch) ? arch : PinsFile.NoArch)}";
                if (packages.Any(p => p!["SPDXID"]!.GetValue<string>() == id))
                {
                    continue;
                }

                var checksums = new JsonArray();
                if (artifact.Sha256 is not null)
                {
                    checksums.Add(new JsonObject { ["algorithm"] = "SHA256", ["checksumValue"] = artifact.Sha256 });
                }

                if (artifact.Sha512 is not null)
                {
                    checksums.Add(new JsonObject { ["algorithm"] = "SHA512", ["checksumValue"] = artifact.Sha512 });
                }

                packages.Add(new JsonObject
                {
                    ["SPDXID"] = id,
                    ["name"] = name,
                    ["versionInfo"] = component.Version,
                    ["downloadLocation"] = artifact.Url,
                    ["checksums"] = checksums,
                    ["licenseConcluded"] = component.License ?? "NOASSERTION",
                    ["licenseDeclared"] = component.License ?? "NOASSERTION",
                    ["copyrightText"] = "NOASSERTION",
                    ["filesAnalyzed"] = false,
                });
                if (testBundle?.Unsupported.FirstOrDefault(u => u.Component == name) is { } unsupported)
                {
                    packages[^1]!["comment"] = $"TEST BUNDLE: {unsupported.Describe()}";
                }

                relationships.Add(Describes(id));
            }
        }

        foreach (var imageName in ComponentCatalog.ImagesFor(roles).Order(StringComparer.Ordinal))
        {
            var image = release.Images.TryGetValue(imageName, out var tag) ? pins.FindImage(imageName, tag) : null;
            if (image is null)
            {
                continue;
            }

            var id = $"SPDXRef-Image-{Id(imageName)}";
            var pkg = new JsonObject
            {
                ["SPDXID"] = id,
                ["name"] = imageName,
                ["versionInfo"] = image.Version,
                ["downloadLocation"] = "NOASSERTION",
                ["licenseConcluded"] = "NOASSERTION",
                ["licenseDeclared"] = "NOASSERTION",
                ["copyrightText"] = "NOASSERTION",
                ["filesAnalyzed"] = false,
                ["comment"] = image.Digest is null ? $"{image.Ref} UNPINNED: not pinned by digest (built with --allow_unpinned_images)" : image.PinnedRef,
            };
            if (image.Digest is { } digest && digest.StartsWith("sha256:", StringComparison.Ordinal))
            {
                pkg["checksums"] = new JsonArray(new JsonObject { ["algorithm"] = "SHA256", ["checksumValue"] = digest["sha256:".Length..] });
            }

            packages.Add(pkg);
            relationships.Add(Describes(id));
        }

        // the user's images (images.extra and those their own manifests name): the reference and, when pinned, its digest
        foreach (var reference in spec.Images.Extra.Concat(UserAddonFiles.Images(spec).Select(u => u.Reference)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var id = $"SPDXRef-Image-extra-{Id(reference)}";
            var at = reference.IndexOf("@sha256:", StringComparison.Ordinal);
            var pkg = new JsonObject
            {
                ["SPDXID"] = id,
                ["name"] = at < 0 ? reference : reference[..at],
                ["versionInfo"] = at < 0 ? "NOASSERTION" : reference[(at + 1)..],
                ["downloadLocation"] = "NOASSERTION",
                ["licenseConcluded"] = "NOASSERTION",
                ["licenseDeclared"] = "NOASSERTION",
                ["copyrightText"] = "NOASSERTION",
                ["filesAnalyzed"] = false,
                ["comment"] = reference,
            };
            if (at >= 0)
            {
                pkg["checksums"] = new JsonArray(new JsonObject { ["algorithm"] = "SHA256", ["checksumValue"] = reference[(at + "@sha256:".Length)..] });
            }

            packages.Add(pkg);
            relationships.Add(Describes(id));
        }

        var created = DateTimeOffset.FromUnixTimeSeconds(sourceDateEpoch).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var doc = new JsonObject
        {
            ["spdxVersion"] = "SPDX-2.3",
            ["dataLicense"] = "CC0-1.0",
            ["SPDXID"] = "SPDXRef-DOCUMENT",
            ["name"] = $"kube-airgap-{spec.Name}",
            ["documentNamespace"] = $"https://kube-airgap.invalid/spdx/{spec.Name}/{spec.KubernetesVersion}/{sourceDateEpoch}",
            ["creationInfo"] = new JsonObject { ["created"] = created, ["creators"] = new JsonArray("Tool: kube-airgap") },
            ["packages"] = packages,
            ["relationships"] = relationships,
        };
        if (testBundle is not null)
        {
            doc["comment"] = testBundle.Banner;
        }

        return [.. System.Text.Encoding.UTF8.GetBytes(doc.ToJsonString(JsonFile.Options)), (byte)'\n'];
    }

    private static JsonObject Describes(string id) => new()
    {
        ["spdxElementId"] = "SPDXRef-DOCUMENT",
        ["relationshipType"] = "DESCRIBES",
        ["relatedSpdxElement"] = id,
    };

    private static string Id(string name) => new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c == '.' ? c : '-').ToArray());
}
