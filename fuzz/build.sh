#!/bin/sh
# Builds the fuzz targets and instruments the checkpoint readers (HubHost.Checkpoints.dll, namespace HubHost.Checkpoints)
# and the TorchScript archive check (namespace HubHost.TorchScript of HubHost.dll) with SharpFuzz, in
# fuzz/HubHost.Fuzz/bin/Release/net10.0.
# Run from anywhere.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
dotnet tool restore >/dev/null
dotnet build HubHost.Fuzz -c Release -nologo -v q
out=HubHost.Fuzz/bin/Release/net10.0
# The build hard-links project outputs where it can: give each assembly its own inode before rewriting it,
# so that instrumenting never changes src/'s build output.
for dll in HubHost HubHost.Checkpoints; do
  cp "$out/$dll.dll" "$out/$dll.dll.copy" && mv -f "$out/$dll.dll.copy" "$out/$dll.dll"
done
dotnet sharpfuzz "$out/HubHost.Checkpoints.dll" HubHost.Checkpoints
dotnet sharpfuzz "$out/HubHost.dll" HubHost.TorchScript
