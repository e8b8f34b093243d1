namespace KubeAirgap.Images.Registry;

/// <summary>A registry said no, or sent bytes that are not what was asked for. The message names the URL and what differed.</summary>
public sealed class RegistryException : Exception
{
    public RegistryException(string message)
        : base(message)
    {
    }

    public RegistryException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public RegistryException()
        : this("registry error")
    {
    }
}
