using System.Text;
using Cake.Core;

namespace KubeAirgap.Tests.Host;

/// <summary>Captures what the host writes, so tests can assert on it.</summary>
public sealed class FakeConsole : IConsole
{
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _error = new();

    public ConsoleColor ForegroundColor { get; set; }

    public ConsoleColor BackgroundColor { get; set; }

    public bool SupportAnsiEscapeCodes => false;

    public string Output
    {
        get
        {
            lock (_out)
            {
                return _out.ToString();
            }
        }
    }

    public string Error
    {
        get
        {
            lock (_out)
            {
                return _error.ToString();
            }
        }
    }

    public string All => Output + Error;

    public void Write(string format, params object[] arg) => Append(_out, string.Format(System.Globalization.CultureInfo.InvariantCulture, format, arg));

    public void WriteLine(string format, params object[] arg) => Append(_out, string.Format(System.Globalization.CultureInfo.InvariantCulture, format, arg) + "\n");

    public void WriteError(string format, params object[] arg) => Append(_error, string.Format(System.Globalization.CultureInfo.InvariantCulture, format, arg));

    public void WriteErrorLine(string format, params object[] arg) => Append(_error, string.Format(System.Globalization.CultureInfo.InvariantCulture, format, arg) + "\n");

    public void ResetColor()
    {
    }

    private void Append(StringBuilder target, string text)
    {
        lock (_out)
        {
            target.Append(text);
        }
    }
}
