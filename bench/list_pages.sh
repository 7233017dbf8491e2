#!/usr/bin/env bash
# Cursor listing cost: the first and the last page of a prefix holding N objects (default
# 20000), through the gateway, on s3s-fs and on the fs backend. Reports medians and the ratio
# last/first for each backend.
#
#   bash bench/list_pages.sh [objects] [page_size]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
n=${1:-20000}
page=${2:-50}

work=$(mktemp -d "$PWD/target/bench-list.XXXXXX")
trap 'kill ${gw_pid:-} ${s3_pid:-} 2>/dev/null || true; rm -rf "$work"' EXIT
bench_s3 "$work/s3" picgate
cat > "$work/picgate.toml" <<TOML
[storage]
data_dir = "$work/data"
[buckets.files.backend]
type = "s3"
endpoint = "http://127.0.0.1:$s3_port"
bucket = "picgate"
root = "files/"
access_key_id = "benchAK"
secret_access_key = "benchSKbenchSK"
TOML
bench_gateway "$work/picgate.toml"

echo "writing $n objects on each backend"
python3 - "$work" "$n" <<'PY'
import os, sys
work, n = sys.argv[1], int(sys.argv[2])
for root in (f"{work}/s3/picgate/files/p", f"{work}/data/images/p"):
    os.makedirs(root, exist_ok=True)
    for i in range(n):
        with open(f"{root}/{i:06d}.png", "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + i.to_bytes(4, "big"))
PY

python3 - "http://127.0.0.1:$gw_port" "$token" "$page" <<'PY'
import json, statistics, sys, time, urllib.request
base, token, page = sys.argv[1], sys.argv[2], int(sys.argv[3])

def get(bucket, cursor=None):
    url = f"{base}/api/v1/buckets/{bucket}/objects?prefix=p/&pageSize={page}"
    if cursor:
        url += f"&cursor={cursor}"
    req = urllib.request.Request(url, headers={"authorization": f"Bearer {token}"})
    t = time.perf_counter()
    with urllib.request.urlopen(req) as r:
        body = json.load(r)
    return time.perf_counter() - t, body["data"]

for bucket, backend in (("files", "s3 (s3s-fs)"), ("images", "fs")):
    cursors, cursor, seen = [None], None, 0
    while True:
        _, data = get(bucket, cursor)
        seen += len(data["items"])
        cursor = data.get("nextCursor")
        if not cursor:
            break
        cursors.append(cursor)
    last = cursors[-1]
    firsts = [get(bucket)[0] for _ in range(15)]
    lasts = [get(bucket, last)[0] for _ in range(15)]
    f, l = statistics.median(firsts) * 1000, statistics.median(lasts) * 1000
    print(f"{backend:12} {seen} objects in {len(cursors)} pages of {page}: "
          f"first page {f:7.1f} ms, last page {l:7.1f} ms (medians of 15), last/first {l / f:.2f}")
PY
