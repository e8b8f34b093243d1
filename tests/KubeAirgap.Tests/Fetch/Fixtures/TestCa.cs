using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KubeAirgap.Tests.Fetch.Fixtures;

/// <summary>
/// A throw-away certificate authority and a server certificate for 127.0.0.1/localhost, so that "upstream over TLS"
/// is tested against a real TLS server on loopback with a client that trusts only this CA (no plain-HTTP shortcut,
/// no disabled validation).
/// </summary>
public sealed class TestCa : IDisposable
{
    public TestCa()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=kube-airgap test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var notBefore = DateTimeOffset.UtcNow.AddDays(-1);
        Root = caRequest.CreateSelfSigned(notBefore, notBefore.AddDays(3));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        using var signed = request.Create(Root, notBefore, notBefore.AddDays(2), RandomNumberGenerator.GetBytes(16));
        using var withKey = signed.CopyWithPrivateKey(serverKey);
        Server = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>The CA certificate (no private key kept beyond the constructor's signing).</summary>
    public X509Certificate2 Root { get; }

    /// <summary>The server certificate with its private key, for Kestrel or docker-registry.</summary>
    public X509Certificate2 Server { get; }

    /// <summary>A client handler that trusts this CA only (custom root trust: the system store plays no part).</summary>
    public SocketsHttpHandler Handler() => new()
    {
        AllowAutoRedirect = false,
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, certificate, _, errors) => Validate(certificate, errors) },
    };

    /// <summary>Writes the server certificate and key as PEM files (docker-registry's http.tls).</summary>
    public (string Certificate, string Key) WritePem(string directory)
    {
        var cert = Path.Combine(directory, "server.crt");
        var key = Path.Combine(directory, "server.key");
        File.WriteAllText(cert, Server.ExportCertificatePem());
        File.WriteAllText(key, Server.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (cert, key);
    }

    public void Dispose()
    {
        Root.Dispose();
        Server.Dispose();
    }

    private bool Validate(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0 || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}
