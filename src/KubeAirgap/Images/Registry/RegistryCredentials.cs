using System.Text;
using System.Text.Json;
using KubeAirgap.ImageRefs;

namespace KubeAirgap.Images.Registry;

/// <summary>A user name and secret for one registry host. The secret is never logged.</summary>
public sealed record Credential(string Username, string Password)
{
    public string BasicHeaderValue => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}"));

    public override string ToString() => $"{Username}:***";
}

public interface ICredentialSource
{
    Credential? For(string host);
}

/// <summary>
/// Credentials from the environment first (<c>KUBE_AIRGAP_REGISTRY_&lt;HOST&gt;_USERNAME</c> / <c>_PASSWORD</c>, HOST
/// upper-cased with every other character than A-Z and 0-9 replaced by <c>_</c>: <c>127.0.0.1:5000</c> →
/// <c>127_0_0_1_5000</c>), then from a docker <c>config.json</c> (<c>auths.&lt;host&gt;.auth</c> = base64 user:password).
/// </summary>
public sealed class RegistryCredentials : ICredentialSource
{
    public static readonly ICredentialSource None = new RegistryCredentials(new Dictionary<string, string>(), new Dictionary<string, Credential>());

    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly IReadOnlyDictionary<string, Credential> _dockerConfig;

    public RegistryCredentials(IReadOnlyDictionary<string, string> environment, IReadOnlyDictionary<string, Credential> dockerConfig)
    {
        _environment = environment;
        _dockerConfig = dockerConfig;
    }

    /// <summary>From this process's environment and the first docker config found (<c>REGISTRY_AUTH_FILE</c>, <c>$DOCKER_CONFIG/config.json</c>, <c>~/.docker/config.json</c>).</summary>
    public static RegistryCredentials FromEnvironment()
    {
        var env = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? string.Empty, StringComparer.Ordinal);
        var candidates = new[]
        {
            env.GetValueOrDefault("REGISTRY_AUTH_FILE"),
            env.TryGetValue("DOCKER_CONFIG", out var dc) ? Path.Combine(dc, "config.json") : null,
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker", "config.json"),
        };
        var file = candidates.FirstOrDefault(f => !string.IsNullOrEmpty(f) && File.Exists(f));
        return new RegistryCredentials(env, file is null ? new Dictionary<string, Credential>() : ReadDockerConfig(file));
    }

    public static string EnvironmentKey(string host) =>
        string.Concat(host.ToUpperInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_'));

    public Credential? For(string host)
    {
        var key = EnvironmentKey(host);
        if (_environment.TryGetValue($"KUBE_AIRGAP_REGISTRY_{key}_USERNAME", out var user) && user.Length > 0)
        {
            return new Credential(user, _environment.GetValueOrDefault($"KUBE_AIRGAP_REGISTRY_{key}_PASSWORD") ?? string.Empty);
        }

        return _dockerConfig.GetValueOrDefault(host);
    }

    /// <summary>Reads <c>auths</c> of a docker config.json; keys are normalised to a bare host (Docker Hub's to docker.io).</summary>
    public static IReadOnlyDictionary<string, Credential> ReadDockerConfig(string path)
    {
        var result = new Dictionary<string, Credential>(StringComparer.OrdinalIgnoreCase);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        if (!doc.RootElement.TryGetProperty("auths", out var auths))
        {
            return result;
        }

        foreach (var entry in auths.EnumerateObject())
        {
            var host = NormaliseHost(entry.Name);
            if (entry.Value.TryGetProperty("auth", out var auth) && auth.GetString() is { Length: > 0 } encoded)
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
                var colon = decoded.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    result[host] = new Credential(decoded[..colon], decoded[(colon + 1)..]);
                }
            }
            else if (entry.Value.TryGetProperty("username", out var u) && entry.Value.TryGetProperty("password", out var p))
            {
                result[host] = new Credential(u.GetString() ?? string.Empty, p.GetString() ?? string.Empty);
            }
        }

        return result;
    }

    private static string NormaliseHost(string key)
    {
        var host = key.Contains("://", StringComparison.Ordinal) ? new Uri(key).Authority : key.Split('/')[0];
        return host is "index.docker.io" or "registry-1.docker.io" ? ImageReference.DockerHub : host;
    }
}
