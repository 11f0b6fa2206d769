namespace IstioPodNetwork.KubeSim.Sandbox;

/// <summary>
/// Runs work on a thread of its own that ends right after. For work that moves its thread into another network
/// namespace (unshare, setns): that thread must never run anything else.
/// </summary>
internal static class ThrowawayThread
{
    public static Task RunAsync(string name, Action work)
    {
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                work();
                completion.SetResult();
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
