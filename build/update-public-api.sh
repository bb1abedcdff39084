#!/usr/bin/env bash
# Regenerates the public API baseline of src/Cognite.Files: PublicAPI.Unshipped.txt lists every public symbol that is
# not in PublicAPI.Shipped.txt (which is moved forward by hand at release time). Run it after a change of the public
# surface — by hand or by a regeneration of generated/ from openapi/ — and commit the .txt changes with it, so the
# change is visible in review. Until then the build fails: RS0016 (a public symbol missing from the baseline) or
# RS0017 (a baseline entry whose symbol is gone).
set -euo pipefail
cd "$(dirname "$0")/.."
project=src/Cognite.Files/Cognite.Files.csproj
dir=src/Cognite.Files
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# 1. Make generated/ current (runs NSwag when openapi/ or build/ changed).
dotnet msbuild -restore -nologo -v:m -t:CogniteCodegen "$project"

# 2. Start Unshipped afresh (dotnet format adds entries but cannot drop stale ones), then let the analyzer's code fix
#    add every public symbol that is not shipped (RS0016).
#    dotnet format reads the project without building it, so the generated files are listed at evaluation
#    (CogniteCodegenAtEvaluation) and analysed although they carry the auto-generated header (--include-generated):
#    they are the surface users see.
echo '#nullable enable' > "$dir/PublicAPI.Unshipped.txt"
CogniteCodegenAtEvaluation=true dotnet format analyzers "$project" --diagnostics RS0016 --severity warn --include-generated

# 3. A shipped symbol that is gone (RS0017 on PublicAPI.Shipped.txt) is recorded as *REMOVED* in Unshipped (the
#    analyzer's convention), so a removal shows in review as well.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet build "$project" -nologo -v:q --no-incremental -p:TreatWarningsAsErrors=false >"$log" 2>&1 || true
removed_lines=$(sed -nE 's/.*PublicAPI\.Shipped\.txt\(([0-9]+),.*/\1/p' "$log" | sort -un)
for n in $removed_lines; do
  echo "*REMOVED*$(sed -n "${n}p" "$dir/PublicAPI.Shipped.txt")" >> "$dir/PublicAPI.Unshipped.txt"
done

# 4. Prove it: a normal build with warnings as errors has no RS00xx diagnostics left.
dotnet build "$project" -nologo -v:q -warnaserror
git --no-pager diff --stat -- "$dir/PublicAPI.Shipped.txt" "$dir/PublicAPI.Unshipped.txt" || true
echo "Public API baseline is up to date."
