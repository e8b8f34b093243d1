# kube-airgap build host: ./build.ps1 --target=Bundle (see README.md). Runs from any directory.
$ErrorActionPreference = 'Stop'
if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) {
    Write-Error 'build.ps1: the .NET 10 SDK is required (dotnet not found on PATH). Install it from https://dot.net/install'
    exit 127
}
Push-Location $PSScriptRoot
try {
    dotnet run --project "$PSScriptRoot/build/Build.csproj" -- $args
    exit $LASTEXITCODE
} finally {
    Pop-Location
}
