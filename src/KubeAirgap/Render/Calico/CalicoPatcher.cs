using System.Globalization;
using KubeAirgap.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace KubeAirgap.Render.Calico;

/// <summary>
/// Patches Calico's release manifest as YAML documents (never as text): <see cref="CalicoPatch.NodeEnv"/> (pool CIDR,
/// IP autodetection, Felix's nftables mode and usage reporting) on the calico-node container, the CNI host directories on every workload's volumes, and every container image
/// replaced by its pinned reference. An image the pins do not know is an error, so nothing unpinned slips through.
/// </summary>
public static class CalicoPatcher
{
    private static readonly HashSet<string> Workloads = ["DaemonSet", "Deployment"];

    public static string Patch(string manifest, CalicoPatch patch, string sourceName)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(manifest));
        }
        catch (YamlException e)
        {
            throw new InputException($"{sourceName}:{e.Start.Line}:{e.Start.Column}: not valid YAML: {e.Message}", e);
        }

        var sawCalicoNode = false;
        for (var i = 0; i < stream.Documents.Count; i++)
        {
            if (stream.Documents[i].RootNode is not YamlMappingNode root || !Workloads.Contains(Scalar(root, "kind") ?? string.Empty))
            {
                continue;
            }

            var name = Scalar(Child(root, "metadata"), "name") ?? "?";
            var where = $"{sourceName}: document {i + 1} ({Scalar(root, "kind")} {name})";
            var podSpec = Child(Child(Child(root, "spec"), "template"), "spec")
                ?? throw new InputException($"{where}: has no spec.template.spec");

            foreach (var container in Containers(podSpec))
            {
                PatchImage(container, patch, where);
                if (Scalar(root, "kind") == "DaemonSet" && name == "calico-node" && Scalar(container, "name") == "calico-node")
                {
                    foreach (var (key, value) in patch.NodeEnv)
                    {
                        SetEnv(container, key, value);
                    }

                    sawCalicoNode = true;
                }
            }

            if (podSpec.Children.TryGetValue("volumes", out var volumes) && volumes is YamlSequenceNode list)
            {
                foreach (var volume in list.OfType<YamlMappingNode>())
                {
                    var hostPath = Child(volume, "hostPath");
                    var target = Scalar(volume, "name") switch
                    {
                        "cni-bin-dir" => patch.CniBinDir,
                        "cni-net-dir" => patch.CniConfDir,
                        _ => null,
                    };
                    if (hostPath is not null && target is not null)
                    {
                        hostPath.Children[new YamlScalarNode("path")] = new YamlScalarNode(target);
                    }
                }
            }
        }

        if (!sawCalicoNode)
        {
            throw new InputException($"{sourceName}: no DaemonSet calico-node with a calico-node container: is this Calico's calico.yaml?");
        }

        var writer = new StringWriter(CultureInfo.InvariantCulture);
        stream.Save(writer, assignAnchors: false);
        return Normalize(writer.ToString());
    }

    private static IEnumerable<YamlMappingNode> Containers(YamlMappingNode podSpec) =>
        new[] { "initContainers", "containers" }
            .Select(k => podSpec.Children.TryGetValue(k, out var n) ? n as YamlSequenceNode : null)
            .Where(s => s is not null)
            .SelectMany(s => s!.OfType<YamlMappingNode>());

    private static void PatchImage(YamlMappingNode container, CalicoPatch patch, string where)
    {
        var image = Scalar(container, "image");
        if (image is null)
        {
            return;
        }

        var repository = image.Split('@')[0];
        var lastSlash = repository.LastIndexOf('/');
        var nameAndTag = repository[(lastSlash + 1)..];
        var colon = nameAndTag.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? nameAndTag : nameAndTag[..colon];
        if (!patch.Images.TryGetValue(name, out var pinned))
        {
            throw new InputException($"{where}: container {Scalar(container, "name")} uses image {image}, which no pin covers (known: {string.Join(", ", patch.Images.Keys)}); add it to pins.yaml and to CalicoPatch.ImagePins");
        }

        container.Children[new YamlScalarNode("image")] = new YamlScalarNode(pinned);
    }

    private static void SetEnv(YamlMappingNode container, string name, string value)
    {
        if (!container.Children.TryGetValue("env", out var envNode) || envNode is not YamlSequenceNode env)
        {
            env = new YamlSequenceNode();
            container.Children[new YamlScalarNode("env")] = env;
        }

        var existing = env.OfType<YamlMappingNode>().FirstOrDefault(e => Scalar(e, "name") == name);
        if (existing is null)
        {
            existing = new YamlMappingNode { { "name", name } };
            env.Add(existing);
        }

        existing.Children.Remove(new YamlScalarNode("valueFrom"));
        existing.Children[new YamlScalarNode("value")] = new YamlScalarNode(value) { Style = ScalarStyle.DoubleQuoted };
    }

    private static YamlMappingNode? Child(YamlMappingNode? map, string key) =>
        map is not null && map.Children.TryGetValue(key, out var node) ? node as YamlMappingNode : null;

    private static string? Scalar(YamlMappingNode? map, string key) =>
        map is not null && map.Children.TryGetValue(key, out var node) && node is YamlScalarNode s ? s.Value : null;

    /// <summary>YamlDotNet ends every document with <c>...</c>; kubectl accepts it, but <c>---</c> separators read better.</summary>
    private static string Normalize(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Where(l => l != "...").ToList();
        var result = string.Join("\n", lines).TrimEnd('\n') + "\n";
        return result.StartsWith("---", StringComparison.Ordinal) ? result : "---\n" + result;
    }
}
