using System.Text;

namespace IstioPodNetwork.KubeSim.Hosting;

/// <summary>A kubeconfig for KubeSim: one cluster, one context (namespace default), the bearer token KubeSim checks.</summary>
internal static class Kubeconfig
{
    public const string Name = "kubesim";

    public static string Render(Uri server, string token, string? certificateAuthorityPem = null)
    {
        var text = new StringBuilder();
        text.AppendLine("apiVersion: v1");
        text.AppendLine("kind: Config");
        text.AppendLine("clusters:");
        text.AppendLine($"- name: {Name}");
        text.AppendLine("  cluster:");
        text.AppendLine($"    server: \"{server.GetLeftPart(UriPartial.Authority)}\"");
        if (certificateAuthorityPem is not null)
        {
            text.AppendLine($"    certificate-authority-data: {Convert.ToBase64String(Encoding.ASCII.GetBytes(certificateAuthorityPem))}");
        }

        text.AppendLine("contexts:");
        text.AppendLine($"- name: {Name}");
        text.AppendLine("  context:");
        text.AppendLine($"    cluster: {Name}");
        text.AppendLine($"    user: {Name}");
        text.AppendLine("    namespace: default");
        text.AppendLine($"current-context: {Name}");
        text.AppendLine("preferences: {}");
        text.AppendLine("users:");
        text.AppendLine($"- name: {Name}");
        text.AppendLine("  user:");
        text.AppendLine($"    token: {token}");
        return text.ToString();
    }
}
