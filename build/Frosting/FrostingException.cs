namespace Cake.Frosting;

public sealed class FrostingException : Exception
{
    public FrostingException()
    {
    }

    public FrostingException(string message)
        : base(message)
    {
    }

    public FrostingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
