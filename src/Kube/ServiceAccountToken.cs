namespace IstioPodNetwork.Kube;

/// <summary>
/// The pod's service-account token, read from its file again once a minute: the kubelet rotates a bound token (by
/// default hourly) by replacing the file, and an agent runs for longer than any one token lives. A re-read that fails
/// keeps the token read last, as client-go does (it stays valid well past the kubelet's rotation); only a first read
/// that fails throws.
/// </summary>
public sealed class ServiceAccountToken(string path, TimeProvider? time = null)
{
    public static readonly TimeSpan ReadInterval = TimeSpan.FromMinutes(1);

    private readonly TimeProvider time = time ?? TimeProvider.System;
    private readonly Lock gate = new();
    private string? token;
    private DateTimeOffset readAt;

    public string Current()
    {
        lock (gate)
        {
            var now = time.GetUtcNow();
            if (token is null || now - readAt >= ReadInterval)
            {
                try
                {
                    token = File.ReadAllText(path).Trim();
                }
                catch (Exception e) when (token is not null && e is IOException or UnauthorizedAccessException)
                {
                    // Kept, and read again at the next interval.
                }

                readAt = now;
            }

            return token;
        }
    }
}
