#!/usr/bin/env bash
# kube-airgap build host: ./build.sh --target=Bundle (see README.md). Runs from any directory.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v dotnet >/dev/null 2>&1; then
  echo "build.sh: the .NET 10 SDK is required (dotnet not found on PATH)." >&2
  echo "  Debian/Ubuntu: apt-get install dotnet-sdk-10.0 (packages.microsoft.com), or https://dot.net/install" >&2
  exit 127
fi
cd "$root"
exec dotnet run --project "$root/build/Build.csproj" -- "$@"
