#!/usr/bin/env bash
# One large upload through the gateway into s3s-fs, next to the same file uploaded straight to
# s3s-fs with a stock client (the AWS CLI). Reports the gateway's peak RSS and both times.
#
#   bash bench/upload_s3.sh [size_mib]      (default 1024)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
size_mib=${1:-1024}
command -v aws >/dev/null || pip install -q awscli

work=$(mktemp -d "$PWD/target/bench-s3.XXXXXX")
trap 'kill ${gw_pid:-} ${s3_pid:-} 2>/dev/null || true; rm -rf "$work"' EXIT
bench_s3_gateway "$work"

echo "making a ${size_mib} MiB file"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom > "$work/big.bin"
idle_kib=$(awk '$1=="VmRSS:" {print $2}' "/proc/$gw_pid/status")

t0=$(now)
curl -sf -o /dev/null -T "$work/big.bin" -H "authorization: Bearer $token" \
  "http://127.0.0.1:$gw_port/api/v1/buckets/files/objects/big.bin"
t1=$(now)
peak_kib=$(awk '$1=="VmHWM:" {print $2}' "/proc/$gw_pid/status")
cmp -s "$work/big.bin" "$work/s3/picgate/files/big.bin" || { echo "stored copy differs" >&2; exit 1; }

export AWS_ACCESS_KEY_ID=benchAK AWS_SECRET_ACCESS_KEY=benchSKbenchSK AWS_DEFAULT_REGION=us-east-1
aws_cp() { aws --endpoint-url "http://127.0.0.1:$s3_port" s3 cp --quiet "$work/big.bin" "s3://picgate/direct/$1"; }
aws configure set default.s3.multipart_chunksize 8MB
aws configure set default.s3.max_concurrent_requests 1
t2=$(now); aws_cp seq.bin; t3=$(now)
aws configure set default.s3.max_concurrent_requests 10
t4=$(now); aws_cp par.bin; t5=$(now)

python3 - "$size_mib" "$idle_kib" "$peak_kib" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" <<'PY'
import sys
size, idle, peak, t0, t1, t2, t3, t4, t5 = sys.argv[1:]
size = int(size); idle = int(idle) / 1024; peak = int(peak) / 1024
gw, seq, par = float(t1) - float(t0), float(t3) - float(t2), float(t5) - float(t4)
print(f"file: {size} MiB into s3s-fs")
print(f"gateway RSS: idle {idle:.1f} MiB, peak {peak:.1f} MiB ({peak / size * 100:.2f}% of the file)")
print(f"through the gateway (8 MiB parts, one at a time): {gw:6.2f} s ({size / gw:6.1f} MiB/s)")
print(f"aws s3 cp, 8 MiB parts, 1 at a time:              {seq:6.2f} s ({size / seq:6.1f} MiB/s)")
print(f"aws s3 cp, 8 MiB parts, 10 at a time:             {par:6.2f} s ({size / par:6.1f} MiB/s)")
print(f"ratio gateway / aws (sequential): {gw / seq:.2f}; gateway / aws (parallel): {gw / par:.2f}")
PY
