#!/usr/bin/env bash
# Image variants (`/f/{bucket}/{key}?w=320&fmt=webp`), each figure next to a yardstick measured
# in the same run:
#   1. time to make a 320-px WebP q80 of a 4000x3000 JPEG: picgate's first GET (a cache miss)
#      vs vipsthumbnail, one process per image and per image in one batch; the imaging crate's
#      `thumb` example in-process; picgate's own transform histogram to split transform from HTTP;
#   2. picgate's peak RSS (VmHWM) during 8 concurrent first GETs of 8 different images, at 320
#      and at 1280 px, with the default transform slots (one per core) and with 8 slots;
#   3. wrk on a cached variant vs on its original (3.8 MB) and vs a plain object of the
#      variant's own bytes;
#   4. bytes of `?v=auto` (h5: 750 px, pc: 1280 px, WebP by Accept) vs the original, for the
#      synthetic JPEG, a blurred (smoother) copy of it and a real photo when one is found.
#
#   bash bench/variants.sh [images] [duration]      (default 10 images, wrk 10s)
#
# BENCH_PHOTO=file.jpg names the real photo for 4 (default: lake.jpg of the webp crate's
# sources in the cargo registry, 4000x2250, if present); BENCH_KEEP=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
count=${1:-10}
duration=${2:-10s}
bench_need vipsthumbnail "apt-get install -y libvips-tools"
bench_need vips "apt-get install -y libvips-tools"
bench_need wrk "apt-get install wrk"
bench_need curl "apt-get install curl"
bench_need python3 "apt-get install python3"
bin=$(bench_bin)
if [ -z "${PICGATE_BIN:-}" ] && [ -n "$(find crates -name '*.rs' -newer "$bin" -print -quit)" ]; then
  echo "note: $bin is older than crates/ (rebuild: cargo build --release -p picgate)" >&2
fi
# The imaging crate's examples: `gen` writes the test JPEGs, `thumb` times one transform.
if ! cargo build --release -q -p picgate-imaging --examples; then
  if [ ! -x target/release/examples/gen ] || [ ! -x target/release/examples/thumb ]; then
    echo "cargo build --release -p picgate-imaging --examples failed" >&2; exit 1
  fi
  echo "note: the examples did not build; using the ones in target/release/examples" >&2
fi
gen=target/release/examples/gen thumb=target/release/examples/thumb

work=$(mktemp -d "$PWD/target/bench-variants.XXXXXX")
pids=()
cleanup() {
  local rc=$? p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "$rc" != 0 ]; then
    for p in "$work"/picgate-*.log; do
      [ -s "$p" ] && { echo "$p:" >&2; tail -n 20 "$p" >&2; }
    done
  fi
  [ -n "${BENCH_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

ms_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f\n", (b - a) * 1000}'; }
median() { python3 -c 'import statistics, sys; print(f"{statistics.median(float(l) for l in open(sys.argv[1]) if l.strip()):.2f}")' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {r = a / b; printf (r >= 0.1 ? "%.2f" : "%.4f"), r}'; }
kib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
hwm() { awk '$1=="VmHWM:" {print $2}' "/proc/$1/status"; }
rss() { awk '$1=="VmRSS:" {print $2}' "/proc/$1/status"; }
# reset_hwm PID: VmHWM back to the current RSS (Linux ≥ 4.0, clear_refs 5), so that the next
# reading is the peak of what follows only.
reset_hwm() {
  { echo 5 > "/proc/$1/clear_refs"; } 2>/dev/null \
    || echo "note: VmHWM could not be reset: each peak includes the rounds before it" >&2
}
# histo PORT: "sum count" of picgate_image_transform_duration_seconds (read around each first
# GET: that one transform's own duration).
histo() {
  curl -sf "http://127.0.0.1:$1/metrics" | awk '
    /^picgate_image_transform_duration_seconds_sum/ {s = $2}
    /^picgate_image_transform_duration_seconds_count/ {c = $2}
    END {print s + 0, c + 0}'
}
# start NAME CONFIG: a fresh gateway (its own data dir), logging to picgate-NAME.log; sets
# $gw_pid, $gw_port, $token.
start() {
  bench_gateway "$2" >"$work/picgate-$1.log" 2>&1
  pids+=("$gw_pid")
}
# upload PORT TOKEN FILE KEY: raw PUT into `images`; 201 or the script stops.
upload() {
  local code
  code=$(curl -s -o "$work/put.json" -w '%{http_code}' -T "$3" -H "authorization: Bearer $2" \
    "http://127.0.0.1:$1/api/v1/buckets/images/objects/$4")
  [ "$code" = 201 ] || { echo "upload of $4: $code $(cat "$work/put.json")" >&2; exit 1; }
}
# get URL OUT [CURL_ARGS…]: GET into OUT; must answer 200 image/webp; prints curl's time_total
# in ms.
get() {
  local url=$1 out=$2 got
  shift 2
  got=$(curl -s -o "$out" -w '%{http_code} %{content_type} %{time_total}' "$@" "$url")
  [ "${got% *}" = "200 image/webp" ] || { echo "$url: expected 200 image/webp, got ${got% *}" >&2; exit 1; }
  awk -v t="${got##* }" 'BEGIN {printf "%.2f\n", t * 1000}'
}

# Test images: synthetic 4000x3000 q90 JPEGs (gradients, a sine pattern, ±12 noise), one seed
# each: `count` (+1 warm-up) for 1, 16 for 2's two rounds (8 + 8) and 8 more with 8 slots.
mkdir -p "$work/img" "$work/vout" "$work/out"
n_img=$(( count + 1 > 32 ? count + 1 : 32 ))
for ((i = 1; i <= n_img; i++)); do "$gen" "$work/img/s$i.jpg" 4000 3000 "$i" >/dev/null; done
size1=$(stat -c %s "$work/img/s1.jpg")

printf '[storage]\ndata_dir = "%s/data-a"\n' "$work" > "$work/a.toml"
start a "$work/a.toml"
a_pid=$gw_pid a_port=$gw_port a_token=$token
a="http://127.0.0.1:$a_port"

echo "picgate ($bin) vs vipsthumbnail (libvips $(vipsthumbnail --vips-version | sed 's/^libvips //')), $(nproc) CPUs (load $(bench_load))"
echo "test images: synthetic 4000x3000 JPEGs, q90, gen seeds 1..$n_img (seed 1: $size1 B)"

# 1. Time to a 320-px WebP q80, one image at a time. Each image in turn: picgate's first GET
# (a miss: read the original, decode, resize, encode, store), the same GET again (a hit: HTTP and
# one read), vipsthumbnail on it, and the `thumb` example on it; after a warm-up round on an image
# not counted. Then vipsthumbnail on all of them in one process (3 times).
for ((i = 0; i <= count; i++)); do upload "$a_port" "$a_token" "$work/img/s$((i + 1)).jpg" "t/img$i.jpg"; done
round() {   # round I: one image's four measurements, appended to $work/t-*.txt
  local i=$1 in="$work/img/s$(($1 + 1)).jpg" t0 line s0 n0 s1 n1
  read -r s0 n0 <<<"$(histo "$a_port")"
  get "$a/f/images/t/img$i.jpg?w=320&fmt=webp" "$work/out/p$i.webp" >> "$work/t-miss.txt"
  read -r s1 n1 <<<"$(histo "$a_port")"
  [ "$((n1 - n0))" = 1 ] || { echo "image $i: $((n1 - n0)) transforms counted for one first GET" >&2; exit 1; }
  awk -v a="$s0" -v b="$s1" 'BEGIN {printf "%.2f\n", (b - a) * 1000}' >> "$work/t-transform.txt"
  get "$a/f/images/t/img$i.jpg?w=320&fmt=webp" "$work/out/p$i.webp.2" >> "$work/t-hit.txt"
  t0=$EPOCHREALTIME
  vipsthumbnail "$in" -s 320 -o "$work/vout/v$i.webp[Q=80]"
  ms_since "$t0" >> "$work/t-vips.txt"
  t0=$EPOCHREALTIME
  line=$("$thumb" "$in" 320 "$work/out/r$i.webp" 80)
  ms_since "$t0" >> "$work/t-thumbproc.txt"
  echo "${line%% ms*}" >> "$work/t-thumb.txt"
  stat -c %s "$work/out/p$i.webp" >> "$work/b-picgate.txt"
  stat -c %s "$work/vout/v$i.webp" >> "$work/b-vips.txt"
}
round 0
rm -f "$work"/t-*.txt "$work"/b-*.txt
for ((i = 1; i <= count; i++)); do round "$i"; done
batch=()
for ((i = 1; i <= count; i++)); do batch+=("$work/img/s$((i + 1)).jpg"); done
for _ in 1 2 3; do
  t0=$EPOCHREALTIME
  vipsthumbnail "${batch[@]}" -s 320 -o "$work/vout/%s.webp[Q=80]"
  awk -v ms="$(ms_since "$t0")" -v n="$count" 'BEGIN {printf "%.2f\n", ms / n}' >> "$work/t-batch.txt"
done
miss=$(median "$work/t-miss.txt") hit=$(median "$work/t-hit.txt") vproc=$(median "$work/t-vips.txt")
vbatch=$(median "$work/t-batch.txt") tin=$(median "$work/t-thumb.txt") tproc=$(median "$work/t-thumbproc.txt")
transform=$(median "$work/t-transform.txt")
echo
echo "1. 4000x3000 JPEG -> 320-px WebP q80, $count images one at a time (medians; batch: median of 3 runs)"
printf '%-58s %9s %10s %16s %15s\n' "" "ms/image" "bytes" "÷ vips process" "÷ vips batch"
row() {   # row LABEL MS BYTES [no-ratio]
  local r1 r2
  r1=$(ratio "$2" "$vproc") r2=$(ratio "$2" "$vbatch")
  [ -z "${4:-}" ] || r1="" r2=""
  printf '%-58s %9.1f %10s %16s %15s\n' "$1" "$2" "$3" "$r1" "$r2"
}
row "vipsthumbnail, one process per image" "$vproc" "$(median "$work/b-vips.txt" | cut -d. -f1)"
row "vipsthumbnail, $count images in one process, per image" "$vbatch" ""
row "picgate first GET ?w=320&fmt=webp (curl time_total)" "$miss" "$(median "$work/b-picgate.txt" | cut -d. -f1)"
row "  of which the transform (duration histogram)" "$transform" ""
row "  same GET again: the cached variant" "$hit" "" no-ratio
row "thumb example: transform in-process" "$tin" ""
row "thumb example: whole process" "$tproc" ""
echo "goal: picgate first GET at most 1.5x vipsthumbnail: $(ratio "$miss" "$vproc")x per process, $(ratio "$miss" "$vbatch")x per image in a batch"

# 2. Peak RSS: a fresh gateway, 8 images uploaded (and 8 more for the second round), then 8
# concurrent first GETs at 320 px, then 8 at 1280 px (a JPEG at 1280 of 4000 is decoded at 1/2
# scale only). VmHWM is reset to the current RSS before each round, so each peak is its own.
rss_case() {   # rss_case NAME SEED_OFFSET EXTRA_TOML LABEL
  local name=$1 off=$2 i w p url t0 codes pid port got base
  printf '[storage]\ndata_dir = "%s/data-%s"\n%b' "$work" "$name" "$3" > "$work/$name.toml"
  start "$name" "$work/$name.toml"
  pid=$gw_pid port=$gw_port
  for ((i = 0; i < 16; i++)); do upload "$port" "$token" "$work/img/s$((off + i + 1)).jpg" "r/img$i.jpg"; done
  base=$(hwm "$pid")
  printf '%-34s after start and 16 uploads: VmHWM %6s MiB, VmRSS %6s MiB\n' "$4" "$(kib "$base")" "$(kib "$(rss "$pid")")"
  for w in 320 1280; do
    reset_hwm "$pid"
    p=()
    t0=$EPOCHREALTIME
    for ((i = 0; i < 8; i++)); do
      url="http://127.0.0.1:$port/f/images/r/img$(( w == 320 ? i : i + 8 )).jpg?w=$w&fmt=webp"
      curl -s -o "$work/out/$name-$w-$i.webp" -w '%{http_code} %{content_type}\n' "$url" > "$work/$name-$w-$i.code" & p+=($!)
    done
    wait "${p[@]}"
    got=$(ms_since "$t0")
    codes=$(cat "$work/$name-$w-"*.code | sort | uniq -c | tr -s ' ' | paste -sd, -)
    [ "$codes" = " 8 200 image/webp" ] || { echo "8 GETs at $w px: $codes" >&2; exit 1; }
    peak=$(hwm "$pid")
    echo "$peak" >> "$work/peaks.txt"
    printf '%-34s 8 concurrent first GETs, %4s px: peak VmHWM %6s MiB, all 8 answered in %5.2f s\n' "" "$w" "$(kib "$peak")" "$(awk -v m="$got" 'BEGIN {print m / 1000}')"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
echo
echo "2. picgate RSS, 8 concurrent first GETs of 8 different 4000x3000 JPEGs (?w=W&fmt=webp), a fresh gateway each"
rss_case b 0 "" "max_concurrent 0 (one per core: $(nproc))"
rss_case c 16 "[variants]\nmax_concurrent = 8\n" "max_concurrent 8 (8 at once)"
peak=$(sort -n "$work/peaks.txt" | tail -n 1)
echo "goal: peak RSS at most 256 MiB: highest peak $(kib "$peak") MiB ($(ratio "$peak" $((256 * 1024)))x of 256 MiB)"

# 3. Req/s of a cached variant (image 1's, made in 1) next to its original's, and next to a
# plain object holding the variant's bytes (the same read, without the variant lookup).
upload "$a_port" "$a_token" "$work/out/p1.webp" "t/plain-variant.webp"
bench_check_file "$a/f/images/t/img1.jpg" "$work/img/s2.jpg" image/jpeg
bench_check_file "$a/f/images/t/plain-variant.webp" "$work/out/p1.webp" image/webp
bench_check_file "$a/f/images/t/img1.jpg?w=320&fmt=webp" "$work/out/p1.webp" image/webp
runs=()
for target in "original $((size1 / 1000)) kB JPEG|$a/f/images/t/img1.jpg" \
              "plain object, the variant's bytes|$a/f/images/t/plain-variant.webp" \
              "cached variant (w 320, webp)|$a/f/images/t/img1.jpg?w=320&fmt=webp"; do
  IFS='|' read -r label url <<<"$target"
  out="$work/wrk-${#runs[@]}.txt"
  bench_wrk "$out" "picgate=$a_pid" -- -t2 -c64 -d"$duration" --latency "$url"
  runs+=("$label=$out")
done
echo
echo "3. GET req/s, wrk -t2 -c64 -d$duration --latency, one target at a time (variant: $(stat -c %s "$work/out/p1.webp") B)"
bench_wrk_table original "${runs[@]}"
echo
bench_wrk_table "plain object" "${runs[@]:1}"
echo "goal: cached variant at least 0.8x the original's GET req/s (ratios above, first table)"

# 4. Bytes of ?v=auto as h5 (750 px) and pc (1280 px) send it (WebP by Accept), vs the original.
vips gaussblur "$work/img/s1.jpg" "$work/img/smooth.jpg[Q=90]" 2
photo=${BENCH_PHOTO:-$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -path '*/webp-*/assets/lake.jpg' 2>/dev/null | sort | tail -n 1)}
echo
echo "4. bytes of ?v=auto (Accept: image/webp,*/*), h5 and pc, vs the original"
printf '%-44s %10s %16s %8s %16s %8s\n' "original" "bytes" "h5 (750 px)" "÷ orig" "pc (1280 px)" "÷ orig"
cases=("synthetic, seed 1 (4000x3000, ±12 noise)|$work/img/s1.jpg" "seed 1 blurred (vips gaussblur 2, Q90)|$work/img/smooth.jpg")
if [ -n "$photo" ] && [ -f "$photo" ]; then
  cases+=("photo $(basename "$photo") ($(vipsheader -f width "$photo")x$(vipsheader -f height "$photo"))|$photo")
else
  echo "(no real photo: set BENCH_PHOTO=file.jpg)"
fi
for c in "${cases[@]}"; do
  IFS='|' read -r label file <<<"$c"
  key="bytes/$(basename "$file")"
  upload "$a_port" "$a_token" "$file" "$key"
  line=$(printf '%-44s %10s' "$label" "$(stat -c %s "$file")")
  for client in h5 pc; do
    get "$a/f/images/$key?v=auto" "$work/out/auto-$client.webp" -H "X-Client: $client" -H 'Accept: image/webp,*/*' >/dev/null
    b=$(stat -c %s "$work/out/auto-$client.webp")
    line+=$(printf ' %16s %8s' "$b B $(vipsheader -f width "$work/out/auto-$client.webp")w" "$(ratio "$b" "$(stat -c %s "$file")")")
  done
  echo "$line"
done

echo
echo "load at the end: $(bench_load)"
for name in a b c; do echo -n "$name: "; bench_log_summary "$work/picgate-$name.log"; done
