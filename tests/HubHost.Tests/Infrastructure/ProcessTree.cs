namespace HubHost.Tests.Infrastructure;

/// <summary>Processes below a pid, read from /proc (Linux): who a process started, and their children.</summary>
public static class ProcessTree
{
    /// <summary>Every live descendant of <paramref name="pid"/> with its command name.</summary>
    public static Dictionary<int, string> Descendants(int pid)
    {
        var parents = new Dictionary<int, (int Parent, string Name)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var id)) continue;
            try
            {
                // pid (comm) state ppid ...; comm may hold spaces and parentheses, so split at the last ')'.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var close = stat.LastIndexOf(')');
                var fields = stat[(close + 2)..].Split(' ');
                if (fields[0] == "Z") continue; // a zombie has exited
                parents[id] = (int.Parse(fields[1]), stat[(stat.IndexOf('(') + 1)..close]);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                // exited meanwhile
            }
        }
        var result = new Dictionary<int, string>();
        var frontier = new Queue<int>([pid]);
        while (frontier.Count > 0)
        {
            var parent = frontier.Dequeue();
            foreach (var (id, info) in parents)
            {
                if (info.Parent != parent || result.ContainsKey(id)) continue;
                result[id] = info.Name;
                frontier.Enqueue(id);
            }
        }
        return result;
    }

    /// <summary>Whether a process is running (not exited, not a zombie).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
