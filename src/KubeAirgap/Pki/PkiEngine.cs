using System.Globalization;
using System.Security.Cryptography;
using KubeAirgap.Cluster;
using KubeAirgap.Diagnostics;
using KubeAirgap.Pki.Crypto;
using KubeAirgap.Pki.Kubeconfig;
using KubeAirgap.Pki.State;
using KubeAirgap.Pki.Table;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace KubeAirgap.Pki;

/// <summary>
/// Walks the certificate table against state/&lt;cluster&gt;/: CAs are loaded (or imported from a kubeadm-style pki
/// directory, or created once), leaves are reused while they still match their row and are not about to expire,
/// and re-issued otherwise; the service-account key pair and the encryption key are created once. Problems in
/// state (corrupt file, key that does not match its certificate, expired CA) are errors naming the file.
/// Logs names, fingerprints and reasons; never key material.
/// </summary>
public sealed class PkiEngine
{
    private readonly ClusterSpec _spec;
    private readonly ClusterTopology _topology;
    private readonly PkiStore _store;
    private readonly TimeProvider _clock;
    private readonly Action<string> _log;
    private readonly SecureRandom _random = new();

    public PkiEngine(ClusterSpec spec, string stateDir, TimeProvider? clock = null, Action<string>? log = null)
    {
        _spec = spec;
        _topology = new ClusterTopology(spec);
        _store = new PkiStore(stateDir);
        _clock = clock ?? TimeProvider.System;
        _log = log ?? (_ => { });
    }

    /// <summary>A kubeadm-style pki directory (ca.crt/ca.key, front-proxy-ca.*, etcd/ca.*, sa.key) to take CAs from.</summary>
    public string? ImportDir { get; init; }

    /// <summary>What is re-issued besides leaves that no longer fit their row: see <see cref="RenewalPolicy"/>.</summary>
    public RenewalPolicy Renewal { get; init; } = RenewalPolicy.None;

    public PkiStore Store => _store;

    /// <summary>Every table row: the certificate table and the kubeconfigs' client certificates.</summary>
    public static CertTree Tree() => CertTree.Build(CertTable.All().Concat(KubeconfigTable.All().Select(k => k.ClientCert())));

    public PkiMaterial Run()
    {
        var now = _clock.GetUtcNow();
        var algorithm = KeyAlgorithm.Parse(_spec.Pki.KeyAlgorithm);
        var tree = Tree();
        Renewal.Check(_spec.Pki, tree, _spec.Nodes, now);
        var issued = new List<IssuedCert>();
        var cas = new Dictionary<string, IssuedCert>(StringComparer.Ordinal);
        foreach (var ca in tree.Cas)
        {
            var result = EnsureCa(ca, algorithm, now);
            cas[ca.Name] = result;
            issued.Add(result);
            Report(result);
        }

        foreach (var leaf in tree.Cas.SelectMany(ca => tree.LeavesOf(ca.Name)))
        {
            var targets = leaf.PerNode ? _spec.Nodes.Where(n => leaf.Holders(n, _topology)).Select(n => (NodeSpec?)n) : [(NodeSpec?)null];
            foreach (var node in targets)
            {
                var result = EnsureLeaf(leaf, node, cas[leaf.CaName!], algorithm, now);
                issued.Add(result);
                Report(result);
            }
        }

        var (saKey, saPub) = EnsureServiceAccount(algorithm);
        var encryptionKey = EnsureEncryptionKey();
        return new PkiMaterial(_topology, issued, saKey, saPub, encryptionKey);
    }

    private void Report(IssuedCert c)
    {
        var f = c.Facts;
        _log(string.Create(CultureInfo.InvariantCulture,
            $"{c.Label}: {c.Action.ToString().ToLowerInvariant()}{(c.Reason.Length > 0 ? " (" + c.Reason + ")" : string.Empty)}, sha256 {f.Sha256[..16]}, expires {f.NotAfter:yyyy-MM-dd}"));
    }

    private IssuedCert EnsureCa(CertSpec spec, KeyAlgorithm algorithm, DateTimeOffset now)
    {
        var certPath = _store.CertPath(spec, null);
        var keyPath = _store.KeyPath(spec, null);
        var imported = ImportDir is null ? null : LoadImport(spec, now);
        if (File.Exists(certPath) || File.Exists(keyPath))
        {
            if (!File.Exists(certPath) || !File.Exists(keyPath))
            {
                throw new InputException(
                    $"{_store.Show(File.Exists(certPath) ? keyPath : certPath)} is missing but {_store.Show(File.Exists(certPath) ? certPath : keyPath)} exists: " +
                    "the state is incomplete; restore the file from a backup (a new CA would make every installed node a stranger)");
            }

            var (cert, key) = LoadPair(certPath, keyPath);
            CheckCa(spec, cert, _store.Show(certPath), now);
            if (imported is not null && !imported.Value.Cert.Equals(cert))
            {
                throw new InputException(
                    $"{spec.Name}: the CA in the import directory ({CertFacts.Of(imported.Value.Cert).Sha256[..16]}) differs from the one in {_store.Show(certPath)} " +
                    $"({CertFacts.Of(cert).Sha256[..16]}); state already belongs to another CA");
            }

            return new IssuedCert(spec, null, cert, key, PkiAction.Reused, string.Empty);
        }

        if (imported is { } import)
        {
            _store.Write(keyPath, Pem.PrivateKey(import.Key.Private), secret: true);
            _store.Write(certPath, Pem.Certificate(import.Cert), secret: false);
            return new IssuedCert(spec, null, import.Cert, import.Key, PkiAction.Imported, "from " + ImportDir);
        }

        var pair = algorithm.Generate(_random);
        var ca = CertSigner.SelfSignedCa(spec.RequestFor(_topology, null), pair, now, _spec.Pki.CaValidityDays, _random);
        _store.Write(keyPath, Pem.PrivateKey(pair.Private), secret: true);
        _store.Write(certPath, Pem.Certificate(ca), secret: false);
        return new IssuedCert(spec, null, ca, pair, PkiAction.Created, string.Empty);
    }

    private (X509Certificate Cert, AsymmetricCipherKeyPair Key)? LoadImport(CertSpec spec, DateTimeOffset now)
    {
        var certPath = Path.Combine(ImportDir!, spec.BaseName + ".crt");
        var keyPath = Path.Combine(ImportDir!, spec.BaseName + ".key");
        if (!File.Exists(certPath) && !File.Exists(keyPath))
        {
            if (spec.Name == CertTable.ClusterCa)
            {
                throw new InputException($"{certPath}: not found (--pki_import needs at least ca.crt and ca.key)");
            }

            return null;
        }

        if (!File.Exists(keyPath))
        {
            throw new InputException($"{keyPath}: not found; importing a CA without its private key (external CA mode) is not supported");
        }

        if (!File.Exists(certPath))
        {
            throw new InputException($"{certPath}: not found next to {keyPath}");
        }

        var (cert, key) = LoadPair(certPath, keyPath);
        CheckCa(spec, cert, certPath, now);
        return (cert, key);
    }

    private void CheckCa(CertSpec spec, X509Certificate cert, string shown, DateTimeOffset now)
    {
        var facts = CertFacts.Of(cert);
        if (!facts.IsCa)
        {
            throw new InputException($"{shown}: is not a CA certificate (basicConstraints CA:FALSE), cannot be '{spec.Name}'");
        }

        if (facts.NotAfter <= now)
        {
            throw new InputException(string.Create(CultureInfo.InvariantCulture,
                $"{shown}: CA '{spec.Name}' expired on {facts.NotAfter:yyyy-MM-dd HH:mm} UTC; a new CA means rebuilding and reinstalling every node"));
        }

        if (facts.NotAfter - now < TimeSpan.FromDays(_spec.Pki.LeafValidityDays))
        {
            _log(string.Create(CultureInfo.InvariantCulture,
                $"warning: CA '{spec.Name}' expires on {facts.NotAfter:yyyy-MM-dd}, before a new leaf would: leaves are cut short to that date"));
        }
    }

    private IssuedCert EnsureLeaf(CertSpec spec, NodeSpec? node, IssuedCert ca, KeyAlgorithm algorithm, DateTimeOffset now)
    {
        var certPath = _store.CertPath(spec, node);
        var keyPath = _store.KeyPath(spec, node);
        var request = spec.RequestFor(_topology, node);
        X509Certificate? cert = File.Exists(certPath) ? LoadCert(certPath) : null;
        var privateKey = File.Exists(keyPath) ? LoadKey(keyPath) : null;
        AsymmetricCipherKeyPair? key = null;
        if (privateKey is not null)
        {
            if (cert is null)
            {
                key = KeyAlgorithm.PairOf(privateKey);
            }
            else if (CertFacts.KeyMatches(cert, privateKey))
            {
                key = new AsymmetricCipherKeyPair(cert.GetPublicKey(), privateKey);
            }
            else
            {
                throw new InputException($"{_store.Show(keyPath)}: does not belong to {_store.Show(certPath)}");
            }
        }

        string reason;
        if (cert is null)
        {
            reason = string.Empty;
        }
        else
        {
            var why = Differences(CertFacts.Of(cert), request, algorithm, Renewal.WindowFrom(now));
            if (why is null && !CertFacts.SignedBy(cert, ca.Certificate))
            {
                why = $"not signed by the current '{ca.Spec.Name}'";
            }

            if (why is null && key is null)
            {
                why = "its key is missing";
            }

            if (why is null && Renewal.Forces(spec, node))
            {
                why = "renewal asked for (--pki_renew=" + string.Join(",", Renewal.Forced) + ")";
            }

            if (why is null)
            {
                return new IssuedCert(spec, node, cert, key!, PkiAction.Reused, string.Empty);
            }

            reason = why;
        }

        var keyChanged = key is null || KeyAlgorithm.Describe(key.Public) != algorithm.Name;
        var pair = keyChanged ? algorithm.Generate(_random) : key!;
        var issued = CertSigner.Signed(request, pair.Public, ca.Certificate, ca.Key.Private, now, _spec.Pki.LeafValidityDays, _random);
        if (keyChanged)
        {
            _store.Write(keyPath, Pem.PrivateKey(pair.Private), secret: true);
        }

        _store.Write(certPath, Pem.Certificate(issued), secret: false);
        return new IssuedCert(spec, node, issued, pair, cert is null ? PkiAction.Created : PkiAction.Reissued, reason);
    }

    /// <summary>Why an existing leaf no longer fits its row, or null when it does.</summary>
    private string? Differences(CertFacts have, CertRequest want, KeyAlgorithm algorithm, DateTimeOffset windowFrom)
    {
        if (have.CommonName != want.CommonName)
        {
            return $"common name {have.CommonName} -> {want.CommonName}";
        }

        if (!have.Organizations.Order(StringComparer.Ordinal).SequenceEqual(want.Organizations.Order(StringComparer.Ordinal)))
        {
            return $"organizations [{string.Join(",", have.Organizations)}] -> [{string.Join(",", want.Organizations)}]";
        }

        var haveSans = have.DnsNames.Select(d => d.ToLowerInvariant()).Concat(have.IpAddresses).ToHashSet(StringComparer.Ordinal);
        var wantSans = want.DnsNames.Select(d => d.ToLowerInvariant()).Concat(want.IpAddresses.Select(i => i.ToString())).ToHashSet(StringComparer.Ordinal);
        if (!haveSans.SetEquals(wantSans))
        {
            var added = wantSans.Except(haveSans).Order(StringComparer.Ordinal);
            var removed = haveSans.Except(wantSans).Order(StringComparer.Ordinal);
            return $"SANs changed: +[{string.Join(",", added)}] -[{string.Join(",", removed)}]";
        }

        if (!have.Usages.ToHashSet().SetEquals(want.Usages))
        {
            return $"extended key usages [{string.Join(",", have.Usages)}] -> [{string.Join(",", want.Usages)}]";
        }

        if (have.KeyAlgorithm != algorithm.Name)
        {
            return $"key algorithm {have.KeyAlgorithm} -> {algorithm.Name}";
        }

        if (have.NotAfter - windowFrom <= TimeSpan.FromDays(_spec.Pki.RenewBeforeDays))
        {
            var asOf = Renewal.AsOf is { } at ? string.Create(CultureInfo.InvariantCulture, $" of {at:yyyy-MM-dd} (--pki_asof)") : string.Empty;
            return string.Create(CultureInfo.InvariantCulture,
                $"expires {have.NotAfter:yyyy-MM-dd}, within pki.renewBeforeDays ({_spec.Pki.RenewBeforeDays}){asOf}");
        }

        return null;
    }

    private (string Key, string Pub) EnsureServiceAccount(KeyAlgorithm algorithm)
    {
        var keyPath = _store.ServiceAccountKey;
        AsymmetricCipherKeyPair pair;
        var importKey = ImportDir is null ? null : Path.Combine(ImportDir, "sa.key");
        if (File.Exists(keyPath))
        {
            pair = KeyAlgorithm.PairOf(LoadKey(keyPath));
            if (importKey is not null && File.Exists(importKey) && !KeyAlgorithm.PairOf(LoadKey(importKey)).Public.Equals(pair.Public))
            {
                throw new InputException($"{importKey}: differs from {_store.Show(keyPath)}; state already has another service-account key");
            }
        }
        else if (importKey is not null && File.Exists(importKey))
        {
            pair = KeyAlgorithm.PairOf(LoadKey(importKey));
            _store.Write(keyPath, Pem.PrivateKey(pair.Private), secret: true);
            _log("sa: imported from " + ImportDir);
        }
        else
        {
            pair = algorithm.Generate(_random);
            _store.Write(keyPath, Pem.PrivateKey(pair.Private), secret: true);
            _log("sa: created " + KeyAlgorithm.Describe(pair.Public) + " key pair");
        }

        var pub = Pem.PublicKey(pair.Public);
        _store.Write(_store.ServiceAccountPub, pub, secret: false);
        return (Pem.PrivateKey(pair.Private), pub);
    }

    private byte[] EnsureEncryptionKey()
    {
        var path = _store.EncryptionKey;
        if (File.Exists(path))
        {
            byte[] key;
            try
            {
                key = Convert.FromBase64String(File.ReadAllText(path).Trim());
            }
            catch (FormatException)
            {
                throw new InputException($"{_store.Show(path)}: is not base64 (expected {Secrets.EncryptionConfig.KeyBytes} random bytes, base64-encoded)");
            }

            if (key.Length != Secrets.EncryptionConfig.KeyBytes)
            {
                throw new InputException($"{_store.Show(path)}: holds {key.Length} bytes, expected {Secrets.EncryptionConfig.KeyBytes}");
            }

            return key;
        }

        var fresh = RandomNumberGenerator.GetBytes(Secrets.EncryptionConfig.KeyBytes);
        _store.Write(path, Convert.ToBase64String(fresh) + "\n", secret: true);
        _log("encryption key: created (32 bytes, secretbox)");
        return fresh;
    }

    /// <summary>A certificate and its key; the key's public half is taken from the certificate once they are known to match.</summary>
    private (X509Certificate Cert, AsymmetricCipherKeyPair Key) LoadPair(string certPath, string keyPath)
    {
        var cert = LoadCert(certPath);
        var key = LoadKey(keyPath);
        if (!CertFacts.KeyMatches(cert, key))
        {
            throw new InputException($"{Shown(certPath)}: the private key next to it ({Path.GetFileName(keyPath)}) does not belong to this certificate");
        }

        return (cert, new AsymmetricCipherKeyPair(cert.GetPublicKey(), key));
    }

    private X509Certificate LoadCert(string path)
    {
        try
        {
            return Pem.ReadCertificate(File.ReadAllText(path), Shown(path));
        }
        catch (FormatException e)
        {
            throw new InputException($"{e.Message}; the file is corrupt", e);
        }
    }

    private AsymmetricKeyParameter LoadKey(string path)
    {
        try
        {
            return Pem.ReadPrivateKey(File.ReadAllText(path), Shown(path));
        }
        catch (FormatException e)
        {
            throw new InputException($"{e.Message}; the key file is corrupt", e);
        }
    }

    private string Shown(string path) => path.StartsWith(_store.Root, StringComparison.Ordinal) ? _store.Show(path) : path;
}
