#!/usr/bin/env bash
# Streams one large file through the gateway (raw PUT and multipart POST) and reports the
# server's peak RSS and the upload time next to `cp` of the same file on the same disk.
#
#   bash bench/upload_1gib.sh [size_mib]      (default 1024)
#
# Needs: a release build (cargo build --release), curl. Everything runs on loopback in a temp
# dir under ./target/bench.
set -euo pipefail
cd "$(dirname "$0")/.."

size_mib=${1:-1024}
bin=target/release/picgate
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }

work=$(mktemp -d "$PWD/target/bench-upload.XXXXXX")
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export PICGATE__SERVER__PORT=$port PICGATE__STORAGE__DATA_DIR=$work/data
export PICGATE__AUTH__JWT_SECRET=bench-secret-bench-secret-bench-secret
export RUST_LOG=warn

echo "making a ${size_mib} MiB file"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom > "$work/big.bin"

"$bin" user create --phone 13700000000 --email bench@example.com --password 'bench password 1' >/dev/null
"$bin" serve & pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
token=$(curl -sf "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"login":"bench@example.com","password":"bench password 1"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["accessToken"])')

rss() { awk -v k="$1:" '$1==k {print $2}' "/proc/$pid/status"; }
idle_kib=$(rss VmRSS)

now() { date +%s.%N; }
# The yardstick, before and after the uploads: cp of the same file on the same disk, then sync
# (the gateway fsyncs before it answers).
c0=$(now); cp "$work/big.bin" "$work/copy1.bin"; sync "$work/copy1.bin"; c1=$(now); rm "$work/copy1.bin"
t0=$(now)
curl -sf -o /dev/null -T "$work/big.bin" -H "authorization: Bearer $token" \
  -H 'content-type: application/octet-stream' "http://127.0.0.1:$port/api/v1/buckets/files/objects/big-put.bin"
t1=$(now)
curl -sf -o /dev/null -F "file=@$work/big.bin;filename=big-form.bin" -H "authorization: Bearer $token" \
  "http://127.0.0.1:$port/api/v1/buckets/files/objects"
t2=$(now)
peak_kib=$(rss VmHWM)

cmp -s "$work/big.bin" "$work/data/files/big-put.bin" || { echo "PUT copy differs" >&2; exit 1; }
cmp -s "$work/big.bin" "$work/data/files/big-form.bin" || { echo "multipart copy differs" >&2; exit 1; }

c2=$(now); cp "$work/big.bin" "$work/copy2.bin"; sync "$work/copy2.bin"; c3=$(now)

python3 - "$size_mib" "$idle_kib" "$peak_kib" "$t0" "$t1" "$t2" "$c0" "$c1" "$c2" "$c3" <<'PY'
import sys
size, idle, peak, t0, t1, t2, c0, c1, c2, c3 = sys.argv[1:]
size = int(size); idle = int(idle) / 1024; peak = int(peak) / 1024
put, form = float(t1) - float(t0), float(t2) - float(t1)
cp = ((float(c1) - float(c0)) + (float(c3) - float(c2))) / 2
print(f"file: {size} MiB")
print(f"gateway RSS: idle {idle:.1f} MiB, peak during both uploads {peak:.1f} MiB ({peak / size * 100:.2f}% of the file)")
print(f"raw PUT:        {put:6.2f} s  ({size / put:7.1f} MiB/s)")
print(f"multipart POST: {form:6.2f} s  ({size / form:7.1f} MiB/s)")
print(f"cp + sync:      {cp:6.2f} s  (mean of one run before and one after the uploads)")
print(f"ratio to cp + sync: PUT {put / cp:.2f}, multipart {form / cp:.2f}")
PY
