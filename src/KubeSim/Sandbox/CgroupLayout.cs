namespace IstioPodNetwork.KubeSim.Sandbox;

/// <summary>Where the kubelet puts a pod's container in the cgroup tree, for each cgroup driver and QoS class.</summary>
internal static class CgroupLayout
{
    /// <summary>
    /// The directories from the outermost kubelet-made one down to the container, e.g.
    /// /kubepods, /kubepods/besteffort, /kubepods/besteffort/pod&lt;uid&gt;, /kubepods/besteffort/pod&lt;uid&gt;/&lt;id&gt;.
    /// </summary>
    public static IReadOnlyList<string> Directories(CgroupDriver driver, string qosClass, string uid, string containerId)
    {
        var qos = qosClass.ToLowerInvariant();
        var guaranteed = qos == "guaranteed";
        var levels = new List<string>();
        if (driver == CgroupDriver.Cgroupfs)
        {
            levels.Add("kubepods");
            if (!guaranteed)
            {
                levels.Add(qos);
            }

            levels.Add($"pod{uid}");
            levels.Add(containerId);
        }
        else
        {
            var systemdUid = uid.Replace('-', '_');
            levels.Add("kubepods.slice");
            if (guaranteed)
            {
                levels.Add($"kubepods-pod{systemdUid}.slice");
            }
            else
            {
                levels.Add($"kubepods-{qos}.slice");
                levels.Add($"kubepods-{qos}-pod{systemdUid}.slice");
            }

            levels.Add($"cri-containerd-{containerId}.scope");
        }

        return [.. levels.Select((_, i) => "/" + string.Join('/', levels.Take(i + 1)))];
    }
}
