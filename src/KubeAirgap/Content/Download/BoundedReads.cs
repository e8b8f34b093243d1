namespace KubeAirgap.Content.Download;

/// <summary>
/// Every HTTP body is read through here: at most a fixed number of bytes (a declared blob size, the 4 MiB manifest
/// cap, the checksum/signature cap), whatever Content-Length says or omits (chunked bodies), and each read must bring
/// bytes within the idle timeout so a slow body ends like a slow connect.
/// </summary>
public static class BoundedReads
{
    /// <summary>
    /// Reads all of <paramref name="body"/> into memory, refusing it as soon as it passes <paramref name="maxBytes"/>
    /// (the buffer never grows past the cap plus one read).
    /// </summary>
    /// <param name="what">Names the body in the error, e.g. the URL.</param>
    public static async Task<byte[]> ReadAllAsync(Stream body, long maxBytes, string what, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await CopyAsync(body, buffer, maxBytes, what, idleTimeout, null, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    /// <summary>
    /// Copies <paramref name="body"/> to <paramref name="target"/>, at most <paramref name="maxBytes"/> bytes; throws
    /// <see cref="BodyTooLargeException"/> on the first byte past the limit and <see cref="TimeoutException"/> when no
    /// byte arrives for <paramref name="idleTimeout"/>. <paramref name="onRead"/> sees every chunk written.
    /// </summary>
    public static async Task<long> CopyAsync(Stream body, Stream target, long maxBytes, string what, TimeSpan idleTimeout,
        Action<ReadOnlyMemory<byte>>? onRead, CancellationToken cancellationToken, int bufferSize = 1 << 16)
    {
        var buffer = new byte[(int)Math.Min(bufferSize, Math.Max(1, maxBytes + 1))];
        long total = 0;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        while (true)
        {
            idle.CancelAfter(idleTimeout);
            int read;
            try
            {
                // ask for at most one byte more than allowed: that byte proves the body is too large
                var room = (int)Math.Min(buffer.Length, maxBytes - total + 1);
                read = await body.ReadAsync(buffer.AsMemory(0, room), idle.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{what}: no data for {idleTimeout.TotalSeconds:0.#}s after {total} bytes");
            }

            if (read == 0)
            {
                return total;
            }

            total += read;
            if (total > maxBytes)
            {
                throw new BodyTooLargeException(what, maxBytes);
            }

            await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            onRead?.Invoke(buffer.AsMemory(0, read));
        }
    }
}

/// <summary>A body longer than its limit (declared blob size, manifest cap, checksum/signature cap): never retried.</summary>
public sealed class BodyTooLargeException(string what, long maxBytes)
    : Exception($"{what}: body is larger than its limit of {maxBytes} bytes; refused")
{
    public long MaxBytes { get; } = maxBytes;
}
