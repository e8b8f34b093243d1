using System.Text;

namespace KubeAirgap.Pki.Kubeconfig;

/// <summary>Renders a kubeconfig (apiVersion v1, kind Config) with embedded certificates; deterministic text.</summary>
public static class KubeconfigWriter
{
    public static string Render(string clusterName, string server, string user, string caPem, string certPem, string keyPem)
    {
        static string B64(string pem) => Convert.ToBase64String(Encoding.ASCII.GetBytes(pem));
        var context = $"{user}@{clusterName}";
        return $"""
            apiVersion: v1
            kind: Config
            clusters:
            - cluster:
                certificate-authority-data: {B64(caPem)}
                server: {server}
              name: {Quote(clusterName)}
            contexts:
            - context:
                cluster: {Quote(clusterName)}
                user: {Quote(user)}
              name: {Quote(context)}
            current-context: {Quote(context)}
            preferences: {"{}"}
            users:
            - name: {Quote(user)}
              user:
                client-certificate-data: {B64(certPem)}
                client-key-data: {B64(keyPem)}

            """;
    }

    /// <summary>User names such as system:node:k8s-01 contain ':' and must be quoted in YAML.</summary>
    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
