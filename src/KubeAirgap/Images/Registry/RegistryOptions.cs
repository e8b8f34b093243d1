using System.Net;
using KubeAirgap.ImageRefs;

namespace KubeAirgap.Images.Registry;

/// <summary>
/// How to reach registries: mirrors tried before each upstream registry, registries allowed over plain HTTP,
/// credentials, and the retry budget. Built from cake.config's <c>[Registries]</c> section.
/// </summary>
public sealed record RegistryOptions
{
    /// <summary>Registry name (as in image references, e.g. <c>registry.k8s.io</c>) → mirror base URLs, tried in order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<Uri>> Mirrors { get; init; } = new Dictionary<string, IReadOnlyList<Uri>>();

    /// <summary>Hosts (<c>host</c> or <c>host:port</c>) that may be spoken to over plain HTTP; loopback always may.</summary>
    public IReadOnlySet<string> Insecure { get; init; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>When false, a mirror that fails is an error instead of falling back to the upstream registry.</summary>
    public bool FallBackToUpstream { get; init; } = true;

    public ICredentialSource Credentials { get; init; } = RegistryCredentials.None;

    /// <summary>Attempts per request on one endpoint (429, 5xx, dropped connections).</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>First back-off delay; doubles per attempt. A 429's Retry-After replaces it (capped by <see cref="MaxRetryAfter"/>).</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Refuse to fetch a manifest by tag (every image must be pinned by digest; tags are resolved only by <see cref="RegistryClient.ResolveUpstreamAsync"/>).</summary>
    public bool RequireDigests { get; init; }

    /// <summary>Never touch the network: only digest-pinned images whose blobs are all cached can be used.</summary>
    public bool Offline { get; init; }

    /// <summary>
    /// Parses cake.config values: <paramref name="mirrors"/> is a list of <c>registry=url</c> separated by commas or
    /// whitespace (a registry may appear more than once), <paramref name="insecure"/> a list of hosts.
    /// </summary>
    public static RegistryOptions Parse(string mirrors, string insecure, ICredentialSource credentials)
    {
        var map = new Dictionary<string, List<Uri>>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in Split(mirrors))
        {
            var eq = entry.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !Uri.TryCreate(entry[(eq + 1)..], UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new FormatException($"[Registries] Mirrors: '{entry}' is not registry=http(s)://host[:port]");
            }

            var registry = entry[..eq];
            if (!map.TryGetValue(registry, out var list))
            {
                map[registry] = list = [];
            }

            list.Add(uri);
        }

        return new RegistryOptions
        {
            Mirrors = map.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<Uri>)kv.Value, StringComparer.OrdinalIgnoreCase),
            Insecure = new HashSet<string>(Split(insecure), StringComparer.OrdinalIgnoreCase),
            Credentials = credentials,
        };
    }

    /// <summary>Plain HTTP is allowed for hosts listed as insecure and for loopback.</summary>
    public bool AllowsPlainHttp(Uri uri) =>
        uri.IsLoopback || IsLoopbackAddress(uri.Host) || Insecure.Contains(uri.Host) || Insecure.Contains(uri.Authority);

    /// <summary>The endpoints to try for <paramref name="registry"/>: its mirrors, then the registry itself.</summary>
    public IReadOnlyList<RegistryEndpoint> EndpointsFor(string registry)
    {
        var endpoints = new List<RegistryEndpoint>();
        if (Mirrors.TryGetValue(registry, out var mirrors))
        {
            endpoints.AddRange(mirrors.Select(m => new RegistryEndpoint(registry, new Uri(m.GetLeftPart(UriPartial.Authority)), m.Authority, IsMirror: true)));
            if (!FallBackToUpstream)
            {
                return endpoints;
            }
        }

        var host = registry == ImageReference.DockerHub ? "registry-1.docker.io" : registry;
        var probe = new Uri("http://" + host);
        var scheme = Insecure.Contains(host) || probe.IsLoopback || IsLoopbackAddress(probe.Host) ? "http" : "https";
        endpoints.Add(new RegistryEndpoint(registry, new Uri($"{scheme}://{host}"), registry, IsMirror: false));
        return endpoints;
    }

    private static bool IsLoopbackAddress(string host) =>
        host == "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    private static IEnumerable<string> Split(string value) =>
        value.Split([',', ';', ' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>One place an image can be fetched from: a mirror or the registry itself.</summary>
/// <param name="Registry">The registry named in the image reference.</param>
/// <param name="BaseUri">Scheme and authority requests go to.</param>
/// <param name="CredentialKey">The host credentials are looked up by.</param>
public sealed record RegistryEndpoint(string Registry, Uri BaseUri, string CredentialKey, bool IsMirror)
{
    public override string ToString() => IsMirror ? $"mirror {BaseUri.Authority} of {Registry}" : BaseUri.Authority;
}
