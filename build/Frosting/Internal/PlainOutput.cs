namespace Cake.Frosting.Internal;

/// <summary>
/// Colours and progress bars belong on a terminal only. Cake's console decides by TERM alone, so a CI log or a pipe
/// under TERM=xterm gets escape sequences; when stdout or stderr is not a terminal, NO_COLOR (https://no-color.org,
/// honoured by Cake.Core and Spectre.Console) is set for this process and the tools it starts.
/// </summary>
internal static class PlainOutput
{
    public static void WhenNotATerminal()
    {
        if ((Console.IsOutputRedirected || Console.IsErrorRedirected)
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")))
        {
            Environment.SetEnvironmentVariable("NO_COLOR", "1");
        }
    }
}
