#!/usr/bin/env bash
# Listing a 1000-object prefix, page 1 of 50: the Node/Express service picgate replaces (the
# seed, POST /imagepic/object/listObjects) next to picgate on the same s3s-fs bucket — the same
# compat route, the native cursor page, and the cursor page with `fields=key,contentType` —
# with picgate's listing cache on (the default), then off. wrk -t2 -c32 --latency per target,
# one target at a time.
#
#   bash bench/list.sh [duration]      (default 10s; env SEED_DIR: the seed's sources,
#                                       CONNS: wrk connections, default 32)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
duration=${1:-10s}
conns=${CONNS:-32}
seed_src=${SEED_DIR:-/work/shared/peers/seed-express}
bench_need wrk "apt-get install wrk"
bench_need node "apt-get install nodejs npm"
bench_need npm "apt-get install npm"
bench_need curl "apt-get install curl"
bench_need python3 "apt-get install python3"
bench_need s3s-fs "cargo install s3s-fs --version 0.14.1 --features binary --locked"
bench_bin >/dev/null
[ -x "$seed_src/run.sh" ] || { echo "seed service not found in $seed_src (set SEED_DIR)" >&2; exit 1; }

# A writable copy of the seed (its run.sh keeps state in .run/), dependencies installed once.
seed=$PWD/target/seed-express
mkdir -p "$seed"
(cd "$seed_src" && tar --exclude=./node_modules --exclude=./.run --exclude=./db -cf - .) | (cd "$seed" && tar -xf -)
chmod -R u+w "$seed"
lock_sum=$(sha256sum "$seed/package-lock.json" | cut -d' ' -f1)
if [ ! -d "$seed/node_modules" ] || [ "$(cat "$seed/.npm-ci-done" 2>/dev/null)" != "$lock_sum" ]; then
  echo "installing the seed's dependencies (npm ci)"
  (cd "$seed" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$lock_sum" > "$seed/.npm-ci-done"
fi

work=$(mktemp -d "$PWD/target/bench-list.XXXXXX")
export TMPDIR=$work   # the seed's s3s-fs data dir goes there too
cleanup() {
  local rc=$?
  [ "$rc" = 0 ] || [ ! -s "$work/picgate.log" ] || { echo "picgate log:" >&2; tail -n 20 "$work/picgate.log" >&2; }
  kill ${gw_pid:-} 2>/dev/null || true
  "$seed/run.sh" stop >/dev/null 2>&1 || true
  wait 2>/dev/null || true
  [ -n "${BENCH_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# The seed: its own s3s-fs (bucket imagepic) and app, then 1000 objects under bench-list/.
"$seed/run.sh" stop >/dev/null 2>&1 || true
"$seed/run.sh" start >/dev/null
set -a   # S3_PORT, APP_PORT, MINIO_ACCESS_KEY, MINIO_SECRET_KEY
# shellcheck source=/dev/null
source "$seed/.run/env"
set +a
(cd "$seed" && node bench/seed.js imagepic bench-list/ 1000 16 >/dev/null)

# picgate: bucket imagepic, public-read, on that same s3s-fs bucket (no root: the same keys).
# shellcheck disable=SC2153 # S3_PORT comes from the seed's .run/env
cat > "$work/picgate.toml" <<TOML
[storage]
data_dir = "$work/data"
[buckets.imagepic]
policy = "public-read"
max_object_bytes = 20971520
allowed_types = ["image/*"]
[buckets.imagepic.backend]
type = "s3"
endpoint = "http://127.0.0.1:$S3_PORT"
bucket = "imagepic"
access_key_id = "$MINIO_ACCESS_KEY"
secret_access_key = "$MINIO_SECRET_KEY"
TOML
bench_gateway "$work/picgate.toml" >"$work/picgate.log" 2>&1

seed_url="http://127.0.0.1:$APP_PORT/imagepic/object/listObjects"
compat_url="http://127.0.0.1:$gw_port/imagepic/object/listObjects"
native_url="http://127.0.0.1:$gw_port/api/v1/buckets/imagepic/objects?prefix=bench-list/&pageSize=50"
fields_url="$native_url&fields=key,contentType"
body='{"bucketName":"imagepic","prefix":"bench-list/","pageSize":50,"pageNum":1}'

# Both answer the same listing; the cursor pages have 50 items and a next cursor.
post() { curl -s -H 'content-type: application/json' -d "$body" "$1"; }
check_listings() {
  python3 - "$(post "$seed_url")" "$(post "$compat_url")" "$(curl -s "$native_url")" "$(curl -s "$fields_url")" "$1" <<'PY'
import json, sys
seed, compat, native, fields = (json.loads(a) for a in sys.argv[1:5])
def page(name, env):
    d = env["data"]
    names = [i["name"] for i in d["lists"]]
    assert env["success"] and d["total"] == 1000 and len(names) == 50, f"{name}: total {d.get('total')}, {len(names)} items"
    return names
s, c = page("seed", seed), page("picgate compat", compat)
assert s == c, f"the first 50 names differ: seed {s[:3]}…, picgate {c[:3]}…"
for name, env in (("native", native), ("native fields", fields)):
    d = env["data"]
    keys = [i["key"] for i in d["items"]]
    assert len(keys) == 50 and d.get("nextCursor"), f"picgate {name}: {len(keys)} items, nextCursor {d.get('nextCursor')!r}"
    assert keys == c, f"picgate {name}: the first page differs from listObjects"
assert all(set(i) == {"key", "contentType"} for i in fields["data"]["items"]), "fields=key,contentType not honoured"
print(f"same listing ({sys.argv[5]}): total 1000, first page of 50 equal (seed, picgate compat, native); "
      f"contentType of the first: {fields['data']['items'][0]['contentType']}")
PY
}
check_listings "listing cache on"

# wrk: the seed's own POST script for both POST targets, the same counting for the GETs.
cat > "$work/get.lua" <<'LUA'
-- GET; count answers without "success":true
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if not string.find(body, '"success":true', 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("not-success responses: %d\n", total))
end
LUA
seed_pid=$(cat "$seed/.run/app.pid") s3_pid=$(cat "$seed/.run/s3.pid")
run() { # label script url app-name app-pid
  local out
  out="$work/wrk-${#runs[@]}.txt"
  WRK_BODY=$body bench_wrk "$out" "$4=$5" "s3s-fs=$s3_pid" -- -t2 -c"$conns" -d"$duration" --latency -s "$2" "$3"
  runs+=("$1=$out")
}
runs=()
echo "seed (node $(node -v)) vs picgate, one s3s-fs, $(nproc) CPUs (load $(bench_load)), wrk -t2 -c$conns -d$duration --latency, one target at a time"
run "(a) seed listObjects" "$seed/bench/post.lua" "$seed_url" node "$seed_pid"
run "(b) picgate listObjects" "$seed/bench/post.lua" "$compat_url" picgate "$gw_pid"
run "(c) picgate cursor page" "$work/get.lua" "$native_url" picgate "$gw_pid"
run "(d) picgate cursor, key+contentType" "$work/get.lua" "$fields_url" picgate "$gw_pid"

# The same three with the listing cache off (storage.list_cache_secs = 0): every request
# goes to s3s-fs, as every seed request does.
kill "$gw_pid"
wait "$gw_pid" 2>/dev/null || true
PICGATE__STORAGE__LIST_CACHE_SECS=0 "$(bench_bin)" --config "$work/picgate.toml" serve >>"$work/picgate.log" 2>&1 &
gw_pid=$!
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$gw_port/healthz" >/dev/null && break; sleep 0.05; done
check_listings "listing cache off" >/dev/null
run "(b0) listObjects, cache off" "$seed/bench/post.lua" "$compat_url" picgate "$gw_pid"
run "(c0) cursor page, cache off" "$work/get.lua" "$native_url" picgate "$gw_pid"
run "(d0) cursor key+contentType, cache off" "$work/get.lua" "$fields_url" picgate "$gw_pid"
echo
bench_wrk_table seed "${runs[@]}"
echo
bench_log_summary "$work/picgate.log"
