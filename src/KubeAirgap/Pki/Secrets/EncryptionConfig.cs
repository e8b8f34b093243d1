namespace KubeAirgap.Pki.Secrets;

/// <summary>
/// The apiserver's --encryption-provider-config: Secrets encrypted with secretbox (XSalsa20-Poly1305) under the
/// cluster's 32-byte key from state/, identity last so that data written before encryption stays readable.
/// </summary>
public static class EncryptionConfig
{
    public const int KeyBytes = 32;

    public static string Render(byte[] key)
    {
        if (key.Length != KeyBytes)
        {
            throw new ArgumentException($"the encryption key must be {KeyBytes} bytes, not {key.Length}", nameof(key));
        }

        return $"""
            apiVersion: apiserver.config.k8s.io/v1
            kind: EncryptionConfiguration
            resources:
              - resources:
                  - secrets
                providers:
                  - secretbox:
                      keys:
                        - name: key1
                          secret: {Convert.ToBase64String(key)}
                  - identity: {"{}"}

            """;
    }
}
