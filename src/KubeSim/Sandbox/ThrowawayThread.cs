namespace IstioPodNetwork.KubeSim.Sandbox;

/// <summary>
/// Runs work on a thread of its own that ends right after. For work that moves its thread into another network
/// namespace (unshare, setns): that thread must never run anything else.
/// </summary>
internal static class ThrowawayThread
{
    public static Task<T> RunAsync<T>(string name, Func<T> work)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                completion.SetResult(work());
            }
            catch (Exception e)
            {
                completion.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return completion.Task;
    }
}
