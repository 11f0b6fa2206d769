using System.Text;

namespace IstioPodNetwork.Actors.Commands;

public static class Naming
{
    /// <summary>PascalCase or camelCase → lower-case words joined by <paramref name="separator"/>: MemberJoined → member-joined, upSince → up since.</summary>
    public static string Words(string name, char separator)
    {
        var text = new StringBuilder();
        foreach (var c in name)
        {
            if (char.IsUpper(c) && text.Length > 0)
            {
                text.Append(separator);
            }

            text.Append(char.ToLowerInvariant(c));
        }

        return text.ToString();
    }

    /// <summary>"1 member", "2 members".</summary>
    public static string Count(long count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";
}
