using System.Text;
using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Content;
using KubeAirgap.Render.Versions;

namespace KubeAirgap.Bundle.Verification;

public static partial class BundleVerifier
{
    /// <summary>
    /// The test-bundle stamp of the set in <paramref name="outputDir"/> (bundle-manifest.json), null for a production
    /// bundle set. VerifyBundle prints its <see cref="TestBundleStamp.Banner"/> before the table.
    /// </summary>
    public static TestBundleStamp? TestBundleOf(string outputDir)
    {
        var manifestPath = Path.Combine(outputDir, BundleRequest.ManifestName);
        return File.Exists(manifestPath) ? JsonFile.Read<BundleSetManifest>(manifestPath).TestBundle : null;
    }

    /// <summary>The node's signed lib/layout.env must carry the set's stamp, no more and no less: a node tarball of
    /// another build mixed into the set, or a manifest edited to hide the stamp, is reported.</summary>
    private static void CheckTestBundle(BundleSetManifest set, BundleNode node, Dictionary<string, Item> items, List<string> problems)
    {
        var env = items.GetValueOrDefault("lib/layout.env")?.Text is { } e ? Encoding.UTF8.GetString(e) : string.Empty;
        var carried = (Flag: EnvValue(env, "KA_TEST_BUNDLE"), Reason: EnvValue(env, "KA_TEST_BUNDLE_REASON"));
        var expected = set.TestBundle is null ? (Flag: string.Empty, Reason: string.Empty) : (Flag: "1", Reason: set.TestBundle.Reason);
        if (carried != expected)
        {
            problems.Add(set.TestBundle is null
                ? $"{node.Bundle}: lib/layout.env marks a TEST BUNDLE ({carried.Reason}), but bundle-manifest.json does not"
                : $"{node.Bundle}: lib/layout.env says KA_TEST_BUNDLE='{carried.Flag}' ({carried.Reason}), but bundle-manifest.json marks the set a TEST BUNDLE ({expected.Reason})");
        }
    }
}
