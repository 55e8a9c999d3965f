#!/bin/sh
# Builds the fuzz targets and instruments the checkpoint readers and the TorchScript archive check (namespaces
# HubHost.Checkpoints and HubHost.TorchScript of HubHost.dll) with SharpFuzz, in fuzz/HubHost.Fuzz/bin/Release/net10.0.
# Run from anywhere.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
dotnet tool restore >/dev/null
dotnet build HubHost.Fuzz -c Release -nologo -v q
out=HubHost.Fuzz/bin/Release/net10.0
# The build hard-links project outputs where it can: give HubHost.dll its own inode before rewriting it,
# so that instrumenting never changes src/HubHost's build output.
cp "$out/HubHost.dll" "$out/HubHost.dll.copy" && mv -f "$out/HubHost.dll.copy" "$out/HubHost.dll"
dotnet sharpfuzz "$out/HubHost.dll" HubHost.Checkpoints HubHost.TorchScript
