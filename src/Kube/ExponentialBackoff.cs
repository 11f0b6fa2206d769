namespace IstioPodNetwork.Kube;

/// <summary>Exponential backoff with full jitter, capped; resets after a success.</summary>
public sealed class ExponentialBackoff(TimeSpan initial, TimeSpan maximum, Random? random = null)
{
    private readonly Random random = random ?? Random.Shared;
    private int failures;

    public int Failures => failures;

    /// <summary>The delay before the next attempt: uniformly random in [base/2, base], base = initial·2^failures capped.</summary>
    public TimeSpan Next()
    {
        var exponent = Math.Min(failures, 30);
        failures++;
        var ceiling = Math.Min(initial.TotalMilliseconds * Math.Pow(2, exponent), maximum.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ceiling / 2 + random.NextDouble() * ceiling / 2);
    }

    public void Reset() => failures = 0;
}
