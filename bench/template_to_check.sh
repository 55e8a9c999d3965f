#!/bin/sh
# Time from `dotnet new hubrepo` to a passing `hubhost check` on a fresh clone, as a new publisher goes:
# dotnet new, git init + commit, git clone (the fresh clone CI gets), dotnet build in it, hubhost check --pretrained
# --golden golden with an empty hub directory (so the hub builds the repo too). The build restores into a packages
# folder of its own with the user's as a read-only fallback (TorchSharp already restored there), so HubHost.Contract
# comes from the repo's feed/ and never lands in the user's NuGet cache, where the hub's own builds would find it.
# Needs a Release build of the tree: dotnet build HubHost.sln -c Release.
# Usage: sh bench/template_to_check.sh
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/hubhost-template-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
cli="$root/src/HubHost.Cli/bin/Release/net10.0/HubHost.Cli.dll"
dotnet pack "$root/src/HubHost.Templates" -c Release --no-build -o "$work/pack" -nologo -v:q >/dev/null
dotnet new install "$work"/pack/HubHost.Templates.*.nupkg --debug:custom-hive "$work/hive" >/dev/null
now() { date +%s.%N; }
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
t0=$(now)
cd "$work" && dotnet new hubrepo -n MyModels --debug:custom-hive "$work/hive" >/dev/null
cd MyModels && git init -q && git add -A && git -c user.name=bench -c user.email=bench@example.invalid commit -qm "dotnet new hubrepo"
git clone -q "$work/MyModels" "$work/clone"
t1=$(now)
cd "$work/clone" && NUGET_PACKAGES="$work/packages" NUGET_FALLBACK_PACKAGES="${NUGET_PACKAGES:-$HOME/.nuget/packages}" dotnet build -nologo -v:q -nodeReuse:false -p:UseSharedCompilation=false >/dev/null
t2=$(now)
HUBHOST_HOME="$work/home" dotnet "$cli" check . --pretrained --golden golden
t3=$(now)
HUBHOST_HOME="$work/home" dotnet "$cli" check . --pretrained --golden golden >/dev/null
t4=$(now)
echo "dotnet new + git commit + clone: $(echo "$t1 - $t0" | bc) s; dotnet build: $(echo "$t2 - $t1" | bc) s; first hubhost check (hub builds the repo): $(echo "$t3 - $t2" | bc) s; total $(echo "$t3 - $t0" | bc) s"
echo "second hubhost check (built): $(echo "$t4 - $t3" | bc) s"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
