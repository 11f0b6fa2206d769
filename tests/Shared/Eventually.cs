namespace IstioPodNetwork.Testing;

/// <summary>Awaiting a condition with a bound: the tests' only way to wait.</summary>
public static class Eventually
{
    public static async Task<T> ReturnsAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string what, TimeSpan? interval = null)
        where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (true)
        {
            try
            {
                var value = await probe();
                if (value is not null)
                {
                    return value;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                last = e;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"{what} did not happen within {timeout.TotalSeconds:0.#} s" + (last is null ? string.Empty : $" (last error: {last.Message})"));
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(50));
        }
    }

    public static Task HoldsAsync(Func<Task<bool>> probe, TimeSpan timeout, string what, TimeSpan? interval = null) =>
        ReturnsAsync<object>(async () => await probe() ? new object() : null, timeout, what, interval);

    public static Task HoldsAsync(Func<bool> probe, TimeSpan timeout, string what, TimeSpan? interval = null) =>
        ReturnsAsync<object>(() => Task.FromResult(probe() ? new object() : null), timeout, what, interval);
}
