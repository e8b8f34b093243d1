using KubeAirgap.Layout;

namespace KubeAirgap.Render.Model;

/// <summary>Every path a rendered file names, from <see cref="NodeLayout"/>, below <see cref="RenderOptions.NodeRoot"/>.</summary>
public sealed record NodePaths
{
    public NodePaths(NodeLayout layout, string nodeRoot)
    {
        var root = nodeRoot.TrimEnd('/');
        string P(string path) => root + path;

        BinDir = P(layout.BinDir);
        KubernetesDir = P(NodeLayout.KubernetesDir);
        CniBinDir = P(NodeLayout.CniBinDir);
        CniConfDir = P(NodeLayout.CniConfDir);
        ContainerdConfig = P(NodeLayout.ContainerdConfig);
        ContainerdRoot = P(layout.ContainerdRoot);
        ContainerdState = P(NodeLayout.ContainerdState);
        ContainerdCertsDir = P(NodeLayout.ContainerdCertsDir);
        ContainerdEndpoint = "unix://" + P(NodeLayout.ContainerdSocket);
        KubeNginxConfig = P(NodeLayout.KubeNginxConfig);
        KubeNginxPrefix = P(NodeLayout.KubeNginxPrefix);
        EtcdDataDir = P(layout.EtcdDataDir);
        EtcdWalDir = P(layout.EtcdWalDir);
        KubeletRootDir = P(layout.KubeletRootDir);
        KubeletCertDir = P(NodeLayout.KubeletCertDir);
        KubeletConfig = P(NodeLayout.KubeletConfig);
        KubeProxyConfig = P(NodeLayout.KubeProxyConfig);
        SchedulerConfig = P(NodeLayout.SchedulerConfig);
        AuditPolicy = P(NodeLayout.AuditPolicy);
        AuditLog = P(layout.AuditLogDir + "/audit.log");
        EncryptionConfig = P(NodeLayout.EncryptionConfig);
        ResolvConf = P(NodeLayout.KubeletResolvConf);
        Kubeconfig = new KubeconfigPaths(
            P(NodeLayout.AdminKubeconfig),
            P(NodeLayout.ControllerManagerKubeconfig),
            P(NodeLayout.SchedulerKubeconfig),
            P(NodeLayout.KubeletKubeconfig),
            P(NodeLayout.KubeProxyKubeconfig));
        Pki = new PkiPaths(s => P(NodeLayout.Pki(s)), s => P(NodeLayout.EtcdPki(s)));
    }

    public string BinDir { get; }

    public string KubernetesDir { get; }

    public string CniBinDir { get; }

    public string CniConfDir { get; }

    public string ContainerdConfig { get; }

    public string ContainerdRoot { get; }

    public string ContainerdState { get; }

    public string ContainerdCertsDir { get; }

    public string ContainerdEndpoint { get; }

    public string KubeNginxConfig { get; }

    public string KubeNginxPrefix { get; }

    public string EtcdDataDir { get; }

    public string EtcdWalDir { get; }

    public string KubeletRootDir { get; }

    public string KubeletCertDir { get; }

    public string KubeletConfig { get; }

    public string KubeProxyConfig { get; }

    public string SchedulerConfig { get; }

    public string AuditPolicy { get; }

    public string AuditLog { get; }

    public string EncryptionConfig { get; }

    public string ResolvConf { get; }

    public KubeconfigPaths Kubeconfig { get; }

    public PkiPaths Pki { get; }

    public string Bin(string name) => $"{BinDir}/{name}";
}

/// <summary>The kubeconfigs the PKI engine writes (kubeadm's names).</summary>
public sealed record KubeconfigPaths(string Admin, string ControllerManager, string Scheduler, string Kubelet, string KubeProxy);

/// <summary>The certificate and key files the PKI engine writes (kubeadm's names under /etc/kubernetes/pki).</summary>
public sealed record PkiPaths
{
    public PkiPaths(Func<string, string> pki, Func<string, string> etcd)
    {
        Ca = pki("ca.crt");
        CaKey = pki("ca.key");
        ApiServerCert = pki("apiserver.crt");
        ApiServerKey = pki("apiserver.key");
        ApiServerKubeletClientCert = pki("apiserver-kubelet-client.crt");
        ApiServerKubeletClientKey = pki("apiserver-kubelet-client.key");
        ApiServerEtcdClientCert = pki("apiserver-etcd-client.crt");
        ApiServerEtcdClientKey = pki("apiserver-etcd-client.key");
        FrontProxyCa = pki("front-proxy-ca.crt");
        FrontProxyClientCert = pki("front-proxy-client.crt");
        FrontProxyClientKey = pki("front-proxy-client.key");
        ServiceAccountKey = pki("sa.key");
        ServiceAccountPub = pki("sa.pub");
        KubeletCert = pki("kubelet.crt");
        KubeletKey = pki("kubelet.key");
        EtcdCa = etcd("ca.crt");
        EtcdServerCert = etcd("server.crt");
        EtcdServerKey = etcd("server.key");
        EtcdPeerCert = etcd("peer.crt");
        EtcdPeerKey = etcd("peer.key");
    }

    public string Ca { get; }

    public string CaKey { get; }

    public string ApiServerCert { get; }

    public string ApiServerKey { get; }

    public string ApiServerKubeletClientCert { get; }

    public string ApiServerKubeletClientKey { get; }

    public string ApiServerEtcdClientCert { get; }

    public string ApiServerEtcdClientKey { get; }

    public string FrontProxyCa { get; }

    public string FrontProxyClientCert { get; }

    public string FrontProxyClientKey { get; }

    public string ServiceAccountKey { get; }

    public string ServiceAccountPub { get; }

    public string KubeletCert { get; }

    public string KubeletKey { get; }

    public string EtcdCa { get; }

    public string EtcdServerCert { get; }

    public string EtcdServerKey { get; }

    public string EtcdPeerCert { get; }

    public string EtcdPeerKey { get; }
}
