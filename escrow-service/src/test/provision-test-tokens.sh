#!/usr/bin/env bash
# Fresh SoftHSM tokens for one test run. SoftHSM reads its token directory when the library is
# first loaded, so every token the tests use is created here, before the test JVM starts.
set -euo pipefail
data_dir="${1:?usage: provision-test-tokens.sh DATA_DIR}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
provision="$here/../../../hsm-config/provision-softhsm.sh"
# One test reads token objects back with pkcs11-tool (Debian package opensc).
if ! command -v pkcs11-tool >/dev/null 2>&1; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y opensc >&2 \
      || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y opensc >&2; }
  else
    echo "provision-test-tokens: pkcs11-tool is missing; run: sudo apt-get install -y softhsm2 opensc" >&2
    exit 3
  fi
fi
rm -rf "$data_dir"
mkdir -p "$data_dir"
# The embedded service under @QuarkusTest: custodian-1..3 and audit.
"$provision" --dir "$data_dir/hsm" --custodians 3
# Groups owned by single test classes, so that no test disturbs another's tokens.
tokens=()
for g in t5-1 t5-2 t5-3 t5-4 t5-5 rm-1 rm-2 rm-3 inc-1 inc-2 inc-3 cer-1 cer-2 cer-3 pin-1 sens-1 signer-1 audit-test agent-1 agent-2 agent-3 lat-1 sess-1; do
  tokens+=(--token "$g")
done
"$provision" --dir "$data_dir/hsm" --custodians 0 --no-audit "${tokens[@]}"
