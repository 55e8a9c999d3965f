using HubHost.Native;

namespace HubHost.Cli;

/// <summary>
/// Starts loading libtorch (~0.3 s of CPU time: dynamic loading and libtorch's static initialisers) on a thread-pool thread, for a command that
/// will need it whatever the repo: `run` loads libtorch while it parses, finds the build and loads the repo, instead of after.
/// </summary>
internal static class NativePreload
{
    public static void Start()
        => _ = Task.Run(() =>
        {
            try
            {
                TorchNative.EnsureLoaded();
                StartupTrace.Mark("libtorch loaded (background)");
            }
            catch (HubException)
            {
                // Not lost: the command loads libtorch again where it needs it (TorchNative retries a load that failed) and
                // reports this error there, as its one error line.
            }
        });
}
