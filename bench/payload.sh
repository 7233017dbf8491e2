#!/usr/bin/env bash
# Bytes a page of 50 objects costs each client: the same listing asked for as `pc` and as
# `h5`, raw and gzipped, on the fs bucket `images` and on an s3s-fs bucket `files`. Then a
# dashboard's first screen: one `GET /api/v1/overview` against the calls a dashboard would make
# without it (the user, the buckets, the tokens, and every bucket listed whole with owners to
# count usage and find the user's latest uploads): requests, bytes and time (medians of 15).
#
#   cargo build --release && bash bench/payload.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_need curl "apt-get install curl"
bench_need python3 "apt-get install python3"
bench_need s3s-fs "cargo install s3s-fs --version 0.14.1 --features binary --locked"
bench_bin >/dev/null

work=$(mktemp -d "$PWD/target/bench-payload.XXXXXX")
cleanup() {
  kill "${gw_pid:-}" "${s3_pid:-}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
bench_s3_gateway "$work" 2>"$work/gateway.log"
base=http://127.0.0.1:$gw_port

# 50 screenshots as a screenshot tool names them, in each bucket.
head -c 4096 /dev/urandom | { printf '\x89PNG\r\n\x1a\n'; cat; } > "$work/shot.png"
for bucket in images files; do
  for i in $(seq -w 0 49); do
    curl -sf -o /dev/null -X PUT "$base/api/v1/buckets/$bucket/objects/screenshots/2026/11/IMG_20261130_10${i}42.png" \
      -H "authorization: Bearer $token" --data-binary @"$work/shot.png"
  done
done

# size CLIENT ENCODING BUCKET: bytes on the wire for page 1 of 50.
size() {
  curl -sf -o "$work/body" -w '%{size_download}' -H "authorization: Bearer $token" \
    -H "x-client: $1" -H "accept-encoding: $2" \
    "$base/api/v1/buckets/$3/objects?prefix=screenshots/&pageSize=50"
}

printf '%-24s %10s %10s %10s\n' "listing of 50 objects" "pc bytes" "h5 bytes" "h5 ÷ pc"
for bucket in images files; do
  for enc in identity gzip; do
    pc=$(size pc "$enc" "$bucket")
    h5=$(size h5 "$enc" "$bucket")
    label="$bucket ($([ "$bucket" = images ] && echo fs || echo s3s-fs)), $enc"
    printf '%-24s %10d %10d %10.2f\n' "$label" "$pc" "$h5" "$(python3 -c "print($h5/$pc)")"
  done
done
echo
echo "one h5 item: $(curl -sf -H "authorization: Bearer $token" -H 'x-client: h5' \
  "$base/api/v1/buckets/images/objects?prefix=screenshots/&pageSize=1" \
  | python3 -c 'import json,sys; d=json.load(sys.stdin)["data"]; print(json.dumps({k: d[k] for k in ("keyBase","urlBase")}), json.dumps(d["items"][0], ensure_ascii=False))')"

# The dashboard's first screen, with and without the overview (same data: 50 objects per
# bucket from above, plus the user's token list).
curl -sf -o /dev/null "$base/api/v1/auth/tokens" -H "authorization: Bearer $token" \
  -H 'content-type: application/json' -d '{"name":"bench","scopes":["upload"]}'
echo
python3 - "$base" "$token" <<'PY'
import gzip, http.client, json, statistics, sys, time, urllib.parse
base, token = sys.argv[1], sys.argv[2]
u = urllib.parse.urlparse(base)

def get(conn, path):
    conn.request("GET", path, headers={"authorization": f"Bearer {token}", "accept-encoding": "gzip"})
    r = conn.getresponse()
    wire = r.read()
    assert r.status == 200, (path, r.status, wire[:200])
    body = gzip.decompress(wire) if r.getheader("content-encoding") == "gzip" else wire
    return len(wire), json.loads(body)

def overview(conn):
    return [get(conn, "/api/v1/overview")[0]]

def separate(conn):
    sizes = [get(conn, "/api/v1/me")[0], get(conn, "/api/v1/auth/tokens")[0]]
    size, buckets = get(conn, "/api/v1/buckets")
    sizes.append(size)
    for b in buckets["data"]["items"]:
        cursor = None
        while True:
            q = f"/api/v1/buckets/{b['name']}/objects?pageSize=1000&fields=key,size,lastModified,owner"
            if cursor:
                q += "&cursor=" + urllib.parse.quote(cursor)
            size, page = get(conn, q)
            sizes.append(size)
            cursor = page["data"].get("nextCursor")
            if not cursor:
                break
    return sizes

def measure(fn):
    conn = http.client.HTTPConnection(u.hostname, u.port)
    fn(conn)  # warm
    times, sizes = [], None
    for _ in range(15):
        t = time.perf_counter()
        sizes = fn(conn)
        times.append((time.perf_counter() - t) * 1000)
    return len(sizes), sum(sizes), statistics.median(times)

o = measure(overview)
s = measure(separate)
print(f"{'first screen':<34} {'requests':>8} {'bytes (gzip)':>13} {'ms (median)':>12}")
print(f"{'GET /api/v1/overview':<34} {o[0]:>8} {o[1]:>13} {o[2]:>12.2f}")
print(f"{'me, tokens, buckets, full listings':<34} {s[0]:>8} {s[1]:>13} {s[2]:>12.2f}")
print(f"ratio overview / separate: requests {o[0]/s[0]:.2f}, bytes {o[1]/s[1]:.2f}, time {o[2]/s[2]:.2f}")
PY
