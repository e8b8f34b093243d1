using System.Net;
using System.Net.Sockets;

namespace KubeAirgap.Tests.Support;

public static class Ports
{
    /// <summary>A TCP port that is free on <paramref name="address"/> right now (bind to port 0, read, release).</summary>
    public static int Free(string address = "127.0.0.1")
    {
        using var listener = new TcpListener(IPAddress.Parse(address), 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static bool IsOpen(string address, int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Parse(address), port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
