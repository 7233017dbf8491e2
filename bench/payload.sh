#!/usr/bin/env bash
# Bytes a page of 50 objects costs each client: the same listing asked for as `pc` and as
# `h5`, raw and gzipped, on the fs bucket `images` and on an s3s-fs bucket `files`.
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
