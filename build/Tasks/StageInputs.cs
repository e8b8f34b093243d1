using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Bundle;
using KubeAirgap.Content;
using KubeAirgap.Day2;
using KubeAirgap.Images.Registry;
using KubeAirgap.Pki;

namespace Build.Tasks;

/// <summary>
/// The src objects several tasks build from the context and its settings: the registry client (Images, Lock), the
/// PKI engine (Pki; its renewal policy also Certs), the etcd membership (Render, Plan, Bundle) and the bundle request
/// (Bundle). Tasks share these, never each other's members.
/// </summary>
internal static class StageInputs
{
    /// <summary>artifacts/&lt;cluster&gt;/: tarballs, bundle-manifest.json, pki-files.json.</summary>
    public static string OutputDir(BuildContext context) => context.Paths.ClusterArtifacts(context.Cluster.Name);

    /// <summary>The registry client as [Registries] and [Fetch] configure it; digests required unless --allow_unpinned_images.</summary>
    public static RegistryClient NewRegistryClient(BuildContext context)
    {
        var fetch = context.Settings.Fetch;
        var registries = context.Settings.Registries;
        var options = RegistryOptions.Parse(registries.Mirrors, registries.Insecure, RegistryCredentials.FromEnvironment()) with
        {
            Offline = context.Offline,
            FallBackToUpstream = registries.FallBackToUpstream,
            MaxAttempts = fetch.Retries + 1,
            BaseDelay = fetch.Download.RetryDelay,
            RequireDigests = !context.AllowUnpinnedImages,
        };
        return new RegistryClient(options, new ArtifactCache(context.Paths.Cache), fetch.Download) { OnRetry = message => context.Warning("{0}", message) };
    }

    /// <summary>
    /// The PKI engine for this run: state/&lt;cluster&gt;/, [Pki] Import as the CA import directory, [Pki] AsOf/Renew.
    /// Refuses to go on when state's CA is not the one the last bundle-manifest.json records, unless [Pki] NewCluster.
    /// </summary>
    public static PkiEngine NewPkiEngine(BuildContext context, Action<string> log)
    {
        var settings = context.Settings.Pki;
        var engine = new PkiEngine(context.Cluster, context.Paths.State(context.Cluster.Name), log: log)
        {
            ImportDir = settings.Import.Length == 0 ? null : settings.Import,
            Renewal = settings.Renewal,
        };
        ClusterIdentity.Check(engine.Store, context.Cluster.Name, System.IO.Path.Combine(OutputDir(context), BundleRequest.ManifestName), settings.NewCluster);
        return engine;
    }

    /// <summary>The membership this build is for: state/&lt;cluster&gt;/members.json (written by Render), else the last
    /// bundle-manifest.json, brought to cluster.yaml.</summary>
    public static Membership Members(BuildContext context) =>
        Membership.Next(Membership.Load(context.Paths.State(context.Cluster.Name)), BundleBuilder.PreviousManifest(OutputDir(context))?.ToWorld(), context.Cluster);

    /// <summary>[Bundle] SigningKey when set, else state/&lt;cluster&gt;/bundle-signing.key (created 0600 on the first Bundle).</summary>
    public static BundleSigner Signer(BuildContext context)
    {
        if (context.Settings.Bundle.SigningKey is { Length: > 0 } key)
        {
            return BundleSigner.Load(key);
        }

        var path = System.IO.Path.Combine(context.Paths.State(context.Cluster.Name), BundleSigner.StateKeyName);
        var (signer, created) = BundleSigner.LoadOrCreate(path);
        if (created)
        {
            context.Warning("Bundle: created the signing key {0} (0600); back it up with the rest of state/: later bundles must be signed by it", path);
        }

        return signer;
    }

    public static BundleRequest NewBundleRequest(BuildContext context)
    {
        var spec = context.Cluster;
        var settings = context.Settings.Bundle;
        var epoch = SourceDateEpoch.Resolve(Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH"), settings.SourceDateEpoch);
        return new BundleRequest(
            spec, context.Pins,
            k => context.Paths.Payload(spec.Name, k),
            n => context.Paths.NodeTree(spec.Name, n),
            context.Paths.Installer,
            OutputDir(context),
            System.IO.Path.Combine(context.Paths.Cache, "bundle-payloads"),
            epoch, settings.CompressionLevel, settings.Threads, Signer(context))
        {
            Members = Members(context),
            Layout = settings.Layout,
            PkiRenewal = PkiRenewalRecord.Read(System.IO.Path.Combine(OutputDir(context), PkiBuild.ManifestName)),
            DigestCacheFile = System.IO.Path.Combine(context.Paths.State(spec.Name), "bundle-digests.tsv"),
        };
    }
}
