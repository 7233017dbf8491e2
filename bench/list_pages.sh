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
# Every page from the backends, not from the listing cache.
export PICGATE__STORAGE__LIST_CACHE_SECS=0
bench_s3_gateway "$work"

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

python3 - "http://127.0.0.1:$gw_port" "$token" "$page" "http://127.0.0.1:$s3_port" <<'PY'
import json, statistics, sys, time, urllib.request
base, token, page, s3 = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]

# The yardstick: the same pages straight from s3s-fs (one ListObjectsV2 of page+1 keys).
try:
    import botocore.session
    client = botocore.session.get_session().create_client(
        "s3", endpoint_url=s3, region_name="us-east-1",
        aws_access_key_id="benchAK", aws_secret_access_key="benchSKbenchSK")
    def direct(start_after=None):
        args = dict(Bucket="picgate", Prefix="files/p/", MaxKeys=page + 1)
        if start_after:
            args["StartAfter"] = start_after
        t = time.perf_counter()
        client.list_objects_v2(**args)
        return time.perf_counter() - t
except ImportError:
    client = None

def get(bucket, cursor=None, size=None):
    url = f"{base}/api/v1/buckets/{bucket}/objects?prefix=p/&pageSize={size or page}"
    if cursor:
        url += f"&cursor={cursor}"
    req = urllib.request.Request(url, headers={"authorization": f"Bearer {token}"})
    t = time.perf_counter()
    with urllib.request.urlopen(req) as r:
        body = json.load(r)
    return time.perf_counter() - t, body["data"]

for bucket, backend in (("files", "s3 (s3s-fs)"), ("images", "fs")):
    # Find the last page's cursor with few requests: walk in pages of 1000, then one request
    # that ends right before the last page.
    cursors, cursor, seen = [None], None, 0
    while True:
        _, data = get(bucket, cursor, 1000)
        seen += len(data["items"])
        cursor = data.get("nextCursor")
        if not cursor:
            break
        cursors.append(cursor)
    before_last_chunk = cursors[-1]
    in_last_chunk = seen - 1000 * (len(cursors) - 1)
    if in_last_chunk > page:
        _, data = get(bucket, before_last_chunk, in_last_chunk - page)
        last = data["nextCursor"]
    else:
        _, data = get(bucket, cursors[-2], 1000 - (page - in_last_chunk))
        last = data["nextCursor"]
    _, check = get(bucket, last)
    assert len(check["items"]) == page and not check.get("nextCursor"), "not the last page"
    pages = (seen + page - 1) // page
    firsts = [get(bucket)[0] for _ in range(15)]
    lasts = [get(bucket, last)[0] for _ in range(15)]
    f, l = statistics.median(firsts) * 1000, statistics.median(lasts) * 1000
    print(f"{backend:12} {seen} objects in {pages} pages of {page}: "
          f"first page {f:7.1f} ms, last page {l:7.1f} ms (medians of 15), last/first {l / f:.2f}")
    if bucket == "files" and client is not None:
        start_after = "files/p/%06d.png" % (seen - page - 1)
        df = statistics.median([direct() for _ in range(15)]) * 1000
        dl = statistics.median([direct(start_after) for _ in range(15)]) * 1000
        print(f"{'s3s-fs alone':12} ListObjectsV2 of {page + 1} keys: first {df:7.1f} ms, last {dl:7.1f} ms; "
              f"gateway/direct: first {f / df:.2f}, last {l / dl:.2f}")
PY
