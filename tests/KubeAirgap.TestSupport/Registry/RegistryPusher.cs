using System.Net.Http.Headers;
using KubeAirgap.Images.Oci;
using KubeAirgap.Images.Registry;

namespace KubeAirgap.TestSupport.Registry;

/// <summary>
/// Uploads blobs and manifests to a registry (monolithic uploads: POST, then PUT with the digest). Used to seed a
/// local registry (the images benchmark, tests); pulls never need it.
/// </summary>
public sealed class RegistryPusher(HttpClient http, Uri registry)
{
    /// <summary>Uploads <paramref name="bytes"/> as a blob of <paramref name="repository"/> unless the registry has it.</summary>
    public async Task PushBlobAsync(string repository, string digest, byte[] bytes, CancellationToken cancellationToken = default)
    {
        using (var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(registry, $"/v2/{repository}/blobs/{digest}")), cancellationToken).ConfigureAwait(false))
        {
            if (head.IsSuccessStatusCode)
            {
                return;
            }
        }

        using var start = await http.SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(registry, $"/v2/{repository}/blobs/uploads/")), cancellationToken).ConfigureAwait(false);
        await EnsureAsync(start, $"start upload to {repository}", cancellationToken).ConfigureAwait(false);
        var put = new UriBuilder(new Uri(registry, start.Headers.Location ?? throw new RegistryException($"{registry}: upload started without a Location")));
        put.Query = (string.IsNullOrEmpty(put.Query) ? string.Empty : put.Query.TrimStart('?') + "&") + "digest=" + Uri.EscapeDataString(digest);
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var done = await http.SendAsync(new HttpRequestMessage(HttpMethod.Put, put.Uri) { Content = content }, cancellationToken).ConfigureAwait(false);
        await EnsureAsync(done, $"upload {digest} to {repository}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Puts a manifest or index under <paramref name="reference"/> (a tag or its digest); returns the digest.</summary>
    public async Task<string> PushManifestAsync(string repository, string reference, string mediaType, byte[] bytes, CancellationToken cancellationToken = default)
    {
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(registry, $"/v2/{repository}/manifests/{reference}")) { Content = content }, cancellationToken).ConfigureAwait(false);
        await EnsureAsync(response, $"push manifest {repository}:{reference}", cancellationToken).ConfigureAwait(false);
        return KubeAirgap.Content.Digest.Of(bytes).ToString();
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new RegistryException($"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)}");
        }
    }
}
