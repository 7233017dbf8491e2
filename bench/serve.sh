#!/usr/bin/env bash
# Public file serving: a 4 KiB and a 1 MiB PNG through picgate's stable link (/f) from the fs
# `images` bucket and from a public-read bucket on s3s-fs, next to nginx serving the same files
# from a directory. wrk -t2 -c64 --latency per target, one target at a time.
#
#   bash bench/serve.sh [duration]      (default 10s)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
duration=${1:-10s}
bench_need wrk "apt-get install wrk"
bench_need curl "apt-get install curl"
bench_need python3 "apt-get install python3"
bench_need s3s-fs "cargo install s3s-fs --version 0.14.1 --features binary --locked"
bench_nginx_bin >/dev/null
bench_bin >/dev/null

work=$(mktemp -d "$PWD/target/bench-serve.XXXXXX")
cleanup() {
  local rc=$?
  [ "$rc" = 0 ] || [ ! -s "$work/picgate.log" ] || { echo "picgate log:" >&2; tail -n 20 "$work/picgate.log" >&2; }
  kill ${gw_pid:-} ${s3_pid:-} ${ng_pid:-} 2>/dev/null || true
  wait 2>/dev/null || true
  [ -n "${BENCH_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"   # nginx workers may run as another user: let them reach www/

# The files: a PNG signature, then random bytes (picgate sniffs image/png).
mkdir -p "$work/www"
for spec in 4k:4096 1m:1048576; do
  name=${spec%%:*} size=${spec#*:}
  { printf '\x89PNG\r\n\x1a\n'; head -c "$((size - 8))" /dev/urandom; } > "$work/www/bench-$name.png"
done
chmod 644 "$work"/www/*.png

# picgate: `images` on fs under the data dir, `s3images` public-read on s3s-fs.
bench_s3 "$work/s3" picgate
cat > "$work/picgate.toml" <<TOML
[storage]
data_dir = "$work/data"
[buckets.s3images]
policy = "public-read"
max_object_bytes = 20971520
allowed_types = ["image/*"]
[buckets.s3images.backend]
type = "s3"
endpoint = "http://127.0.0.1:$s3_port"
bucket = "picgate"
root = "s3images/"
access_key_id = "benchAK"
secret_access_key = "benchSKbenchSK"
TOML
bench_gateway "$work/picgate.toml" >"$work/picgate.log" 2>&1
gw="http://127.0.0.1:$gw_port"

# Uploaded through the API (raw PUT), as a client would: the S3 copy gets its content type.
for f in "$work"/www/*.png; do
  for bucket in images s3images; do
    code=$(curl -s -o "$work/put.json" -w '%{http_code}' -T "$f" -H "authorization: Bearer $token" \
      "$gw/api/v1/buckets/$bucket/objects/$(basename "$f")")
    [ "$code" = 201 ] || { echo "upload of $(basename "$f") to $bucket: $code $(cat "$work/put.json")" >&2; exit 1; }
  done
done

bench_nginx "$work/nginx" "$work/www"
ng="http://127.0.0.1:$ng_port"

echo "picgate ($(bench_bin)) vs nginx $("$(bench_nginx_bin)" -v 2>&1 | sed 's/.*nginx\///'), $(nproc) CPUs (load $(bench_load)), wrk -t2 -c64 -d$duration --latency, one target at a time"
for name in 4k 1m; do
  file="$work/www/bench-$name.png"
  runs=()
  for target in "nginx|$ng/bench-$name.png|nginx=$ng_pid" \
                "picgate fs /f/images|$gw/f/images/bench-$name.png|picgate=$gw_pid" \
                "picgate s3 /f/s3images|$gw/f/s3images/bench-$name.png|picgate=$gw_pid s3s-fs=$s3_pid"; do
    IFS='|' read -r label url procs <<<"$target"
    bench_check_file "$url" "$file" image/png
    out="$work/wrk-$name-${#runs[@]}.txt"
    # shellcheck disable=SC2086 # $procs: NAME=PID words
    bench_wrk "$out" $procs -- -t2 -c64 -d"$duration" --latency "$url"
    runs+=("$label=$out")
  done
  echo
  case $name in 4k) echo "4 KiB PNG" ;; 1m) echo "1 MiB PNG" ;; esac
  bench_wrk_table nginx "${runs[@]}"
done

echo
bench_log_summary "$work/picgate.log"
