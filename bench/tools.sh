#!/usr/bin/env bash
# Tool uploads (staged: the file goes to <data_dir>/.tmp while its digests are computed, then to
# the bucket) next to native multipart uploads of the same files in the same run: many small
# screenshots into `images`, and one large file into `files`. Reports times, ratios and the
# gateway's peak RSS.
#
#   bash bench/tools.sh [screenshots] [screenshot_kib] [large_mib]   (default 200 300 256)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
count=${1:-200}
shot_kib=${2:-300}
large_mib=${3:-256}

work=$(mktemp -d "$PWD/target/bench-tools.XXXXXX")
trap 'kill ${gw_pid:-} 2>/dev/null || true; rm -rf "$work"' EXIT
printf '[storage]\ndata_dir = "%s/data"\n' "$work" > "$work/picgate.toml"
bench_gateway "$work/picgate.toml"
base="http://127.0.0.1:$gw_port"
api_token=$(curl -sf "$base/api/v1/auth/tokens" -H "authorization: Bearer $token" \
  -H 'content-type: application/json' -d '{"name":"bench","scopes":["upload"]}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["token"])')

# A PNG signature, then random bytes: sniffed as image/png, incompressible like a screenshot.
{ printf '\x89PNG\r\n\x1a\n'; head -c "$((shot_kib * 1024))" /dev/urandom; } > "$work/shot.png"
head -c "$((large_mib * 1024 * 1024))" /dev/urandom > "$work/large.bin"

# upload ROUTE FILE N: N sequential uploads of FILE, one curl process, keep-alive.
upload() {
  local route=$1 file=$2 n=$3 i args=()
  for ((i = 0; i < n; i++)); do
    args+=(-o /dev/null -w '%{http_code}\n' -F "file=@$file;filename=image.png" "$base$route")
    [ "$i" -lt $((n - 1)) ] && args+=(--next -H "authorization: Bearer $api_token")
  done
  curl -s -H "authorization: Bearer $api_token" "${args[@]}" | sort | uniq -c | awk '$2 != 200 && $2 != 201 {print "unexpected status:", $0; bad=1} END {exit bad}'
}

t0=$(now); upload /api/v1/buckets/images/objects "$work/shot.png" "$count"; t1=$(now)
t2=$(now); upload /api/v1/tools/upload "$work/shot.png" "$count"; t3=$(now)
t4=$(now); upload /api/v1/buckets/files/objects "$work/large.bin" 1; t5=$(now)
t6=$(now); upload "/api/v1/tools/upload?bucket=files" "$work/large.bin" 1; t7=$(now)
peak_kib=$(awk '$1=="VmHWM:" {print $2}' "/proc/$gw_pid/status")
leftover=$(find "$work/data/.tmp" -type f 2>/dev/null | wc -l)

python3 - "$count" "$shot_kib" "$large_mib" "$peak_kib" "$leftover" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "$t6" "$t7" <<'PY'
import sys
count, kib, mib, peak, left = (int(x) for x in sys.argv[1:6])
t = [float(x) for x in sys.argv[6:]]
native, tool, big_native, big_tool = t[1] - t[0], t[3] - t[2], t[5] - t[4], t[7] - t[6]
print(f"{count} screenshots of {kib} KiB into images (fs), one after the other:")
print(f"  native POST …/objects: {native:6.2f} s ({count / native:6.1f} uploads/s)")
print(f"  tool POST /api/v1/tools/upload: {tool:6.2f} s ({count / tool:6.1f} uploads/s)")
print(f"  ratio tool / native: {tool / native:.2f}")
print(f"one {mib} MiB file into files (fs):")
print(f"  native: {big_native:6.2f} s ({mib / big_native:6.1f} MiB/s)")
print(f"  tool:   {big_tool:6.2f} s ({mib / big_tool:6.1f} MiB/s)")
print(f"  ratio tool / native: {big_tool / big_native:.2f}")
print(f"gateway peak RSS: {peak / 1024:.1f} MiB; staging files left: {left}")
PY
