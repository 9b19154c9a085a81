#!/usr/bin/env bash
# Provision SoftHSM2 tokens for the escrow service: n custodian tokens plus one audit token.
#
#   provision-softhsm.sh --dir DIR [--custodians N] [--token LABEL]... [--no-audit]
#
# Creates, under DIR:
#   softhsm2.conf         SoftHSM configuration (export SOFTHSM2_CONF=DIR/softhsm2.conf)
#   tokens/               the token store
#   pins/LABEL.pin        user PIN of each token, generated on first run, mode 0600
#   pins/LABEL.so-pin     security-officer PIN of each token, mode 0600
#
# Idempotent: a token that already exists with its PIN file is left untouched, so a second run
# changes nothing. These are development and test tokens; production uses real HSMs configured
# through escrow.hsm.* (see hsm-config/README.md).
set -euo pipefail

die() { echo "provision-softhsm: $*" >&2; exit 2; }

dir=""; custodians=3; audit=1; extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) dir="${2:?--dir needs a value}"; shift 2 ;;
    --custodians) custodians="${2:?--custodians needs a value}"; shift 2 ;;
    --token) extra+=("${2:?--token needs a label}"); shift 2 ;;
    --no-audit) audit=0; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
[[ -n "$dir" ]] || die "--dir is required"
[[ "$custodians" =~ ^[0-9]+$ && "$custodians" -le 16 ]] || die "--custodians must be 0..16, got '$custodians'"

softhsm2_util="${SOFTHSM2_UTIL:-softhsm2-util}"
if ! command -v "$softhsm2_util" >/dev/null 2>&1; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "provision-softhsm: softhsm2 is missing; installing softhsm2 and opensc with apt-get" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y softhsm2 opensc >&2 \
      || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y softhsm2 opensc >&2; }
  else
    echo "provision-softhsm: SoftHSM2 is not installed. Install it as root, then run this again:" >&2
    echo "    sudo apt-get install -y softhsm2 opensc" >&2
    exit 3
  fi
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
template="$here/softhsm2.conf.template"
[[ -f "$template" ]] || die "missing $template"

umask 077
mkdir -p "$dir/tokens" "$dir/pins"
dir="$(cd "$dir" && pwd)"
conf="$dir/softhsm2.conf"
rendered="$(sed "s#@TOKEN_DIR@#$dir/tokens#" "$template")"
if [[ ! -f "$conf" ]] || [[ "$(cat "$conf")" != "$rendered" ]]; then
  printf '%s\n' "$rendered" > "$conf"
fi
export SOFTHSM2_CONF="$conf"

# Two replicas or a test and a service may start at once on one data directory.
exec 9>"$dir/.provision.lock"
flock 9

labels=()
for ((i = 1; i <= custodians; i++)); do labels+=("custodian-$i"); done
labels+=("${extra[@]+"${extra[@]}"}")
[[ "$audit" == 1 ]] && labels+=("audit")

existing="$("$softhsm2_util" --show-slots 2>/dev/null | sed -n 's/^[[:space:]]*Label:[[:space:]]*//p' | sed 's/[[:space:]]*$//')"
new_pin() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }

created=0
for label in "${labels[@]}"; do
  [[ "$label" =~ ^[A-Za-z0-9._-]{1,32}$ ]] || die "token label '$label' must be 1-32 characters of [A-Za-z0-9._-]"
  pin_file="$dir/pins/$label.pin"; so_file="$dir/pins/$label.so-pin"
  if grep -qxF "$label" <<<"$existing"; then
    [[ -s "$pin_file" ]] || die "token '$label' exists but its PIN file $pin_file is missing"
    continue
  fi
  [[ ! -e "$pin_file" ]] || die "PIN file $pin_file exists but token '$label' is gone; delete the PIN file to create a fresh, empty token"
  new_pin > "$pin_file.tmp"; new_pin > "$so_file.tmp"
  chmod 600 "$pin_file.tmp" "$so_file.tmp"
  "$softhsm2_util" --init-token --free --label "$label" \
    --pin "$(cat "$pin_file.tmp")" --so-pin "$(cat "$so_file.tmp")" >/dev/null
  mv "$pin_file.tmp" "$pin_file"; mv "$so_file.tmp" "$so_file"
  echo "provision-softhsm: created token '$label'" >&2
  created=$((created + 1))
done
echo "provision-softhsm: ${#labels[@]} tokens ready in $dir ($created new); export SOFTHSM2_CONF=$conf" >&2
