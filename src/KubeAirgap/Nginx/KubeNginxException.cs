namespace KubeAirgap.Nginx;

/// <summary>kube-nginx could not be built or published; the message says what to do, <see cref="LogPath"/> where the full output is.</summary>
public sealed class KubeNginxException : Exception
{
    public KubeNginxException()
        : this("kube-nginx build failed")
    {
    }

    public KubeNginxException(string message)
        : base(message)
    {
    }

    public KubeNginxException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public KubeNginxException(string message, string logPath)
        : base(message)
    {
        LogPath = logPath;
    }

    /// <summary>The full log of the failed step, when one was written.</summary>
    public string? LogPath { get; }
}
