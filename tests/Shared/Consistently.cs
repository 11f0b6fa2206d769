namespace IstioPodNetwork.Testing;

/// <summary>The counterpart of <see cref="Eventually"/>: seeing that nothing more happens.</summary>
public static class Consistently
{
    /// <summary>Fails as soon as <paramref name="condition"/> is false during a short, bounded window.</summary>
    public static async Task HoldsAsync(Func<bool> condition, string what, TimeSpan? window = null)
    {
        var until = DateTime.UtcNow + (window ?? TimeSpan.FromMilliseconds(300));
        do
        {
            if (!condition())
            {
                throw new Xunit.Sdk.XunitException($"expected throughout the window: {what}");
            }

            await Task.Delay(20);
        }
        while (DateTime.UtcNow < until);
    }
}
