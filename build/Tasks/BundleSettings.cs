using KubeAirgap.Bundle;

namespace Build.Tasks;

/// <summary>The [Bundle] section of cake.config and the paths Bundle reads and writes (shared by the bundle tasks).</summary>
internal static class BundleSettings
{
    public static int Level(BuildContext context) => context.Setting("Bundle", "CompressionLevel", 6);

    /// <summary>[Bundle] Layout (or --bundle_layout): self-contained (default) or fleet.</summary>
    public static BundleLayout Layout(BuildContext context) =>
        BundleLayouts.Parse(context.Setting("Bundle", "Layout", BundleLayouts.SelfContainedName), "[Bundle] Layout (cake.config, --bundle_layout)");

    public static int Parallelism(BuildContext context)
    {
        var configured = context.Setting("Bundle", "Parallelism", 0);
        return configured > 0 ? configured : Environment.ProcessorCount;
    }

    public static string OutputDir(BuildContext context) => context.Paths.ClusterArtifacts(context.Cluster.Name);

    /// <summary>[Bundle] SigningKey when set, else state/&lt;cluster&gt;/bundle-signing.key (created 0600 on the first Bundle).</summary>
    public static BundleSigner Signer(BuildContext context, out string path)
    {
        var key = context.Setting("Bundle", "SigningKey", string.Empty);
        if (key.Length > 0)
        {
            path = System.IO.Path.GetFullPath(key, context.Root);
            return BundleSigner.Load(path);
        }

        path = System.IO.Path.Combine(context.Paths.State(context.Cluster.Name), BundleSigner.StateKeyName);
        var (signer, created) = BundleSigner.LoadOrCreate(path);
        if (created)
        {
            context.Warning("Bundle: created the signing key {0} (0600); back it up with the rest of state/: later bundles must be signed by it", path);
        }

        return signer;
    }

    public static BundleRequest Request(BuildContext context)
    {
        var spec = context.Cluster;
        var pins = context.Pins;
        var signer = Signer(context, out _);
        var epoch = SourceDateEpoch.Resolve(Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH"), context.Setting("Bundle", "SourceDateEpoch", "1767225600"));
        return new BundleRequest(
            spec, pins,
            k => context.Paths.Payload(spec.Name, k),
            n => context.Paths.NodeTree(spec.Name, n),
            context.Paths.Installer,
            OutputDir(context),
            System.IO.Path.Combine(context.Paths.Cache, "bundle-payloads"),
            epoch, Level(context), Parallelism(context), signer)
        {
            Members = Members(context),
            Layout = Layout(context),
            DigestCacheFile = System.IO.Path.Combine(context.Paths.State(spec.Name), "bundle-digests.tsv"),
            PkiRenewal = KubeAirgap.Pki.PkiRenewalRecord.Read(System.IO.Path.Combine(OutputDir(context), KubeAirgap.Pki.PkiBuild.ManifestName)),
        };
    }

    /// <summary>The membership this build is for: state/&lt;cluster&gt;/members.json (written by Render), else the last
    /// bundle-manifest.json, brought to cluster.yaml (the same value Render computed).</summary>
    public static KubeAirgap.Day2.Membership Members(BuildContext context) =>
        KubeAirgap.Day2.Membership.Next(
            KubeAirgap.Day2.Membership.Load(context.Paths.State(context.Cluster.Name)),
            BundleBuilder.PreviousManifest(OutputDir(context)),
            context.Cluster);
}
