using System.Text.Json.Serialization;
using HubHost.Building;
using HubHost.Sources.Git;

namespace HubHost.Caching;

/// <summary>
/// The JSON records the hub keeps in its cache, serialised by generated code: no reflection-based
/// serializer to warm up on the first load of a process.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(BuildRecord))]
[JsonSerializable(typeof(GitRefRecord))]
[JsonSerializable(typeof(GitMirrorInfo))]
internal sealed partial class CacheJson : JsonSerializerContext;
