#!/usr/bin/env bash
# Bucket notifications: what a rule sending every upload to a webhook costs the uploads, and how
# long an event takes to reach the receiver, each figure next to its yardstick in one run:
#   1. upload req/s (N raw PUTs of a small PNG, C at a time) on a gateway whose bucket has no
#      rule vs one with `s3:ObjectCreated:*` → a local webhook; with the journal queue (no
#      Redis), with Redis without persistence, and with Redis AOF (appendfsync everysec);
#   2. delivery latency, the client's send time of each upload → the receiver's arrival time of
#      its webhook POST (matched by the body's `Key`), p50/p99/max, for uploads one at a time
#      and under the load of 1; next to the upload's own answer time and the gateway's
#      picgate_notify_delivery_latency_seconds (produced → acknowledged);
#   3. exactly once: distinct webhook-id per upload, duplicates, missing, signatures.
#
#   bash bench/notify.sh [uploads] [concurrency] [sequential]     (default 2000 16 300)
#
# ROUNDS=5 (default): each off/on pair five times, alternating (about 4 minutes on 2 cores); BENCH_KEEP=1 keeps the work
# directory (the receiver's log of every POST, the client's send/answer times per key).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
uploads=${1:-2000}
conc=${2:-16}
seq_n=${3:-300}
rounds=${ROUNDS:-5}
bench_need curl "apt-get install curl"
bench_need python3 "apt-get install python3"
bench_need redis-server "apt-get install redis-server"
bin=$(bench_bin)
if [ -z "${PICGATE_BIN:-}" ] && [ -n "$(find crates -name '*.rs' -newer "$bin" -print -quit)" ]; then
  echo "note: $bin is older than crates/ (rebuild: cargo build --release -p picgate)" >&2
fi
export BENCH_ADMIN=1   # the token sets the bucket's rules

work=$(mktemp -d "$PWD/target/bench-notify.XXXXXX")
pids=()
cleanup() {
  local rc=$? p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "$rc" != 0 ]; then
    for p in "$work"/picgate-*.log "$work"/receiver.err; do
      [ -s "$p" ] && { echo "$p:" >&2; tail -n 20 "$p" >&2; }
    done
  fi
  [ -n "${BENCH_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# The helpers: the webhook receiver, the upload client, the wait for the events and the report.
cat > "$work/nb.py" <<'PY'
import asyncio, base64, collections, hashlib, hmac, json, os, struct, sys, time, zlib

def png(w=16, h=16):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    raw = b"".join(b"\0" + bytes((x * 16 + y) & 255 for x in range(w * 3)) for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))

async def read_message(reader):
    """One HTTP/1.1 message head and body: (start line, headers, body), or None at EOF."""
    line = await reader.readline()
    if not line:
        return None
    headers = {}
    while True:
        h = await reader.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        k, v = h.decode("latin-1").split(":", 1)
        headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readline()
    else:
        n = int(headers.get("content-length", "0"))
        body = await reader.readexactly(n) if n else b""
    return line.decode("latin-1").rstrip("\r\n"), headers, body

# receiver PORT SECRET OUT: answers every request 200 (empty body); appends one JSON line per
# POST to OUT: webhook-id, Key, eventName, eventTime, arrival (CLOCK_MONOTONIC and realtime, ns),
# signature check.
async def receiver(port, secret, out_path):
    key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()
    out = open(out_path, "a", buffering=1)
    async def handle(reader, writer):
        try:
            while (msg := await read_message(reader)) is not None:
                mono, real = time.monotonic_ns(), time.time_ns()
                start, headers, body = msg
                if start.startswith("POST"):
                    wid, ts = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
                    mac = base64.b64encode(hmac.new(key, f"{wid}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
                    sig_ok = f"v1,{mac}" in headers.get("webhook-signature", "").split()
                    try:
                        doc = json.loads(body)
                        rec = doc["Records"][0]
                        k, name, etime = doc["Key"], rec["eventName"], rec["eventTime"]
                    except Exception:
                        k = name = etime = None
                    out.write(json.dumps({"id": wid, "key": k, "event": name, "eventTime": etime,
                                          "mono": mono, "real": real, "sig": sig_ok}) + "\n")
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=256)
    async with server:
        await server.serve_forever()

# upload PORT TOKEN PREFIX N CONC OUT: N raw PUTs of a PNG into `images` at PREFIX<i>.png, CONC
# at a time on keep-alive connections; OUT gets "key send_ns answer_ns status" per upload
# (CLOCK_MONOTONIC); prints "req/s seconds non_201 client_cpu_percent".
async def upload(port, token, prefix, n, conc, out_path):
    body = png()
    counter = iter(range(n))
    rows = []
    async def worker():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in counter:
            key = f"{prefix}{i:05d}.png"
            head = (f"PUT /api/v1/buckets/images/objects/{key} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n"
                    f"authorization: Bearer {token}\r\ncontent-type: image/png\r\n"
                    f"content-length: {len(body)}\r\n\r\n").encode()
            t0 = time.monotonic_ns()
            writer.write(head + body)
            await writer.drain()
            start, headers, _ = await read_message(reader)
            t1 = time.monotonic_ns()
            rows.append((key, t0, t1, int(start.split()[1])))
            if headers.get("connection", "").lower() == "close":
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()
    t, c = time.monotonic_ns(), os.times()
    await asyncio.gather(*(worker() for _ in range(conc)))
    secs = (time.monotonic_ns() - t) / 1e9
    c1 = os.times()
    cpu = (c1.user + c1.system - c.user - c.system) / secs * 100
    with open(out_path, "w") as f:
        for r in rows:
            f.write(" ".join(map(str, r)) + "\n")
    print(f"{n / secs:.1f} {secs:.3f} {sum(1 for r in rows if r[3] != 201)} {cpu:.0f}")

def received(path, prefix=None):
    recs = []
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if prefix is None or (r["key"] or "").startswith("images/" + prefix):
                recs.append(r)
    return recs

# wait OUT PREFIX N TIMEOUT: until the receiver logged N POSTs for PREFIX (or TIMEOUT s), then
# one more second for late duplicates; prints the seconds waited.
def wait(path, prefix, n, timeout):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout and len(received(path, prefix)) < n:
        time.sleep(0.02)
    waited = time.monotonic() - t0
    time.sleep(1)
    print(f"{waited:.2f}")

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, -(-len(xs) * p // 100) - 1))]

def parse_time(s):
    # "2026-12-01T00:00:00.123Z" → ns since the epoch (ms precision)
    from datetime import datetime, timezone
    return int(datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp() * 1000) * 1_000_000

# latency CLIENT_OUT RECEIVER_OUT PREFIX: one JSON line: counts and latencies (ms) of the events
# of PREFIX's uploads.
def latency(client_path, recv_path, prefix):
    sent = {}
    for line in open(client_path):
        k, t0, t1, status = line.split()
        if status == "201":
            sent["images/" + k] = (int(t0), int(t1))
    recs = received(recv_path, prefix)
    by_key = collections.defaultdict(list)
    for r in recs:
        by_key[r["key"]].append(r)
    send, answer, etime = [], [], []
    for k, rs in by_key.items():
        if k not in sent:
            continue
        r = min(rs, key=lambda r: r["mono"])
        send.append((r["mono"] - sent[k][0]) / 1e6)
        answer.append((r["mono"] - sent[k][1]) / 1e6)
        etime.append((r["real"] - parse_time(r["eventTime"])) / 1e6)
    last_answer = max(t1 for _, t1 in sent.values())
    last_arrival = max((r["mono"] for r in recs), default=last_answer)
    upload_ms = [(t1 - t0) / 1e6 for t0, t1 in sent.values()]
    def stats(xs):
        return [round(pct(xs, 50), 2), round(pct(xs, 99), 2), round(max(xs), 2)] if xs else [None] * 3
    print(json.dumps({
        "uploads": len(sent), "posts": len(recs), "keys": len(by_key),
        "ids": len({r["id"] for r in recs}),
        "missing": sum(1 for k in sent if k not in by_key),
        "dup_keys": sum(1 for rs in by_key.values() if len(rs) > 1),
        "send": stats(send), "answer": stats(answer), "etime": stats(etime), "upload": stats(upload_ms),
        "drain_ms": round((last_arrival - last_answer) / 1e6, 1),
    }))

# census RECEIVER_OUT: one JSON line over every POST received: posts, distinct ids, distinct
# keys, ids seen twice, keys with more than one id, bad signatures, event names.
def census(path):
    recs = received(path)
    ids = collections.Counter(r["id"] for r in recs)
    key_ids = collections.defaultdict(set)
    for r in recs:
        key_ids[r["key"]].add(r["id"])
    print(json.dumps({
        "posts": len(recs), "ids": len(ids), "keys": len(key_ids),
        "dup_ids": sum(1 for c in ids.values() if c > 1),
        "keys_many_ids": sum(1 for s in key_ids.values() if len(s) > 1),
        "bad_sig": sum(1 for r in recs if not r["sig"]),
        "events": dict(collections.Counter(r["event"] for r in recs)),
    }))

# hist BEFORE AFTER: picgate_notify_delivery_latency_seconds{target="bench"} between two /metrics
# snapshots: [count, mean ms, upper bound (ms) of the bucket holding the median, of the p99].
def hist(before, after):
    def read(path):
        b, s, n = {}, 0.0, 0
        for line in open(path):
            if not line.startswith("picgate_notify_delivery_latency_seconds") or 'target="bench"' not in line:
                continue
            name, v = line.rsplit(" ", 1)
            if "_bucket" in name:
                le = name.split('le="')[1].split('"')[0]
                b[float("inf") if le == "+Inf" else float(le)] = float(v)
            elif "_sum" in name:
                s = float(v)
            elif "_count" in name:
                n = float(v)
        return b, s, n
    (b0, s0, n0), (b1, s1, n1) = read(before), read(after)
    n = n1 - n0
    def le(q):
        for bound in sorted(b1):
            if b1[bound] - b0.get(bound, 0) >= q * n:
                return bound * 1000
    print(json.dumps([int(n), round((s1 - s0) / n * 1000, 2) if n else None, le(0.5), le(0.99)]))

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "receiver":
    asyncio.run(receiver(int(args[0]), args[1], args[2]))
elif cmd == "upload":
    asyncio.run(upload(int(args[0]), args[1], args[2], int(args[3]), int(args[4]), args[5]))
elif cmd == "wait":
    wait(args[0], args[1], int(args[2]), float(args[3]))
elif cmd == "latency":
    latency(*args)
elif cmd == "census":
    census(*args)
elif cmd == "hist":
    hist(*args)
elif cmd == "pngsize":
    print(len(png()))
PY
nb() { python3 "$work/nb.py" "$@"; }

# The receiver: one process for the whole run (each phase's keys carry their own prefix).
secret="whsec_$(head -c 24 /dev/urandom | base64)"
r_port=$(bench_port)
hooks="$work/hooks.jsonl"
: > "$hooks"
python3 "$work/nb.py" receiver "$r_port" "$secret" "$hooks" >/dev/null 2>"$work/receiver.err" & r_pid=$!
pids+=("$r_pid")
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$r_port/" && break; sleep 0.05; done

# Redis servers: one without persistence, one with AOF fsync'd every second.
redis_start() {   # redis_start NAME ARGS…: sets $redis_port, $redis_pid
  local name=$1
  shift
  redis_port=$(bench_port)
  mkdir -p "$work/redis-$name"
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work/redis-$name" --daemonize no \
    --save '' "$@" >"$work/redis-$name.log" 2>&1 &
  redis_pid=$!
  pids+=("$redis_pid")
  for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return; sleep 0.05; done
  echo "redis-server $name did not start" >&2; exit 1
}
redis_start mem --appendonly no
redis_mem_port=$redis_port redis_mem_pid=$redis_pid
redis_start aof --appendonly yes --appendfsync everysec
redis_aof_port=$redis_port redis_aof_pid=$redis_pid

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# host_ticks: busy and total ticks of all CPUs (busy: user, nice, system, irq, softirq, steal).
host_ticks() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
# metrics PORT FILE: a /metrics snapshot; metric FILE NAME: the value of NAME{target="bench"} in
# it (0 when absent).
metrics() { curl -sf "http://127.0.0.1:$1/metrics" > "$2"; }
metric() { awk -v n="$2" 'index($0, n "{") == 1 && /target="bench"/ {v = $NF} END {print v + 0}' "$1"; }

# gateway NAME QUEUE RULE: a fresh gateway on its own data dir (QUEUE: journal, mem or aof; RULE:
# on or off); sets $gw_pid, $gw_port, $token.
gateway() {
  local name=$1 queue=$2 rule=$3 code
  cat > "$work/$name.toml" <<TOML
[storage]
data_dir = "$work/data-$name"
[notify.targets.bench]
type = "webhook"
endpoint = "http://127.0.0.1:$r_port/hook"
secret = "$secret"
TOML
  case $queue in
    mem) printf '[redis]\nurl = "redis://127.0.0.1:%s"\nkey_prefix = "%s:"\n' "$redis_mem_port" "$name" >> "$work/$name.toml" ;;
    aof) printf '[redis]\nurl = "redis://127.0.0.1:%s"\nkey_prefix = "%s:"\n' "$redis_aof_port" "$name" >> "$work/$name.toml" ;;
  esac
  bench_gateway "$work/$name.toml" >"$work/picgate-$name.log" 2>&1
  pids+=("$gw_pid")
  [ -n "$token" ] || { echo "$name: no token" >&2; exit 1; }
  if [ "$rule" = on ]; then
    code=$(curl -s -o "$work/rule.json" -w '%{http_code}' -X PUT -H "authorization: Bearer $token" \
      -H 'content-type: application/json' "http://127.0.0.1:$gw_port/api/v1/buckets/images/notifications" \
      -d '{"rules":[{"events":["s3:ObjectCreated:*"],"target":"arn:minio:sqs::bench:webhook"}]}')
    [ "$code" = 200 ] || { echo "$name: setting the rule: $code $(cat "$work/rule.json")" >&2; exit 1; }
  fi
}
stop_gateway() { kill "$gw_pid"; wait "$gw_pid" 2>/dev/null || true; }

# run NAME QUEUE RULE: a fresh gateway, 50 warm-up uploads, then the timed N at C; with the rule
# on, waits for every event and, after, the sequential uploads. Appends a JSON line to
# $work/results.jsonl.
run() {
  local name=$1 queue=$2 rule=$3 t0 c0 r0 h0 h1 rpid out waited m=$work/metrics-$1 rps secs bad ccpu
  gateway "$name" "$queue" "$rule"
  nb upload "$gw_port" "$token" "$name/warm/" 50 "$conc" "$work/$name-warm.txt" >/dev/null
  [ "$rule" = off ] || nb wait "$hooks" "$name/warm/" 50 30 >/dev/null
  rpid=$r_pid
  case $queue in mem) rpid=$redis_mem_pid ;; aof) rpid=$redis_aof_pid ;; esac
  metrics "$gw_port" "$m-0.txt"
  c0=$(ticks "$gw_pid") r0=$(ticks "$rpid") h0=$(host_ticks) t0=$(now)
  read -r rps secs bad ccpu <<<"$(nb upload "$gw_port" "$token" "$name/load/" "$uploads" "$conc" "$work/$name-load.txt")"
  h1=$(host_ticks)
  out=",\"gw_ms\":$(awk -v a="$c0" -v b="$(ticks "$gw_pid")" -v hz="$(getconf CLK_TCK)" -v n="$uploads" 'BEGIN {printf "%.2f", (b - a) / hz * 1000 / n}')"
  out="{\"name\":\"$name\"$out,\"queue\":\"$queue\",\"rule\":\"$rule\",\"rps\":$rps,\"secs\":$secs,\"non201\":$bad,\"cpu_client\":$ccpu"
  out+=",\"cpu_gw\":$(awk -v a="$c0" -v b="$(ticks "$gw_pid")" -v t="$(awk -v a="$t0" -v b="$(now)" 'BEGIN {print b - a}')" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f", (b - a) / hz / t * 100}')"
  out+=",\"cpu_host\":$(awk -v a="$h0" -v b="$h1" -v n="$(nproc)" 'BEGIN {split(a, x, " "); split(b, y, " "); printf "%.0f", (y[1] - x[1]) / (y[2] - x[2]) * n * 100}')"
  out+=",\"cpu_other\":$(awk -v a="$r0" -v b="$(ticks "$rpid")" -v t="$secs" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f", (b - a) / hz / t * 100}')"
  if [ "$rule" = on ]; then
    waited=$(nb wait "$hooks" "$name/load/" "$uploads" 120)
    metrics "$gw_port" "$m-1.txt"
    nb upload "$gw_port" "$token" "$name/seq/" "$seq_n" 1 "$work/$name-seq.txt" >/dev/null
    nb wait "$hooks" "$name/seq/" "$seq_n" 60 >/dev/null
    metrics "$gw_port" "$m-2.txt"
    out+=",\"waited\":$waited,\"load\":$(nb latency "$work/$name-load.txt" "$hooks" "$name/load/")"
    out+=",\"seq\":$(nb latency "$work/$name-seq.txt" "$hooks" "$name/seq/")"
    out+=",\"hist_load\":$(nb hist "$m-0.txt" "$m-1.txt"),\"hist_seq\":$(nb hist "$m-1.txt" "$m-2.txt")"
    out+=",\"produced\":$(metric "$m-2.txt" picgate_notify_events_produced_total)"
    out+=",\"delivered\":$(metric "$m-2.txt" picgate_notify_events_delivered_total)"
    out+=",\"retries\":$(metric "$m-2.txt" picgate_notify_delivery_retries_total)"
    out+=",\"dead\":$(metric "$m-2.txt" picgate_notify_events_dead_lettered_total)"
    out+=",\"dropped\":$(metric "$m-2.txt" picgate_notify_events_dropped_total)"
    out+=",\"depth\":$(metric "$m-2.txt" picgate_notify_queue_depth)"
    out+=",\"expected\":$((50 + uploads + seq_n))"
  fi
  echo "$out}" >> "$work/results.jsonl"
  stop_gateway
}

echo "picgate ($bin), $(nproc) CPUs (load $(bench_load)), redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'); gateway, receiver, redis and client on one host"
echo "workload: $uploads raw PUTs of a $(nb pngsize)-byte 16x16 PNG into \`images\` (fs), $conc at a time (python asyncio client, keep-alive), after 50 warm-up; a fresh gateway per run, $rounds rounds of off/on per queue"
for ((round = 1; round <= rounds; round++)); do
  for queue in journal mem aof; do
    run "$queue-off-$round" "$queue" off
    run "$queue-on-$round" "$queue" on
  done
done
# The tables: req/s off and on per queue, the latencies, exactly once.
python3 - "$work/results.jsonl" "$uploads" "$conc" "$seq_n" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
n, conc, seq_n = sys.argv[2:5]
LABEL = {"journal": "journal (no Redis)", "mem": "Redis, no persistence", "aof": "Redis AOF everysec"}
print()
print(f"1. upload req/s, {n} PUTs {conc} at a time: rule off (no rule on the bucket) vs on (s3:ObjectCreated:* -> webhook)")
print(f"{'queue':<22} {'round':>5} {'off req/s':>9} {'on req/s':>9} {'on/off':>6}  {'gw CPU ms/upload':>16}   CPU during the uploads (100% = one core; host: all processes), off | on")
def cpu(r, other):
    return f"gw {r['cpu_gw']:>3}% client {r['cpu_client']:>2}% {other} {r['cpu_other']:>2}% host {r['cpu_host']:>3}%"
med = statistics.median
for q in LABEL:
    offs = [r for r in rows if r["queue"] == q and r["rule"] == "off"]
    ons = [r for r in rows if r["queue"] == q and r["rule"] == "on"]
    other = "redis" if q != "journal" else "receiver"
    for i, (a, b) in enumerate(zip(offs, ons), 1):
        bad = a["non201"] + b["non201"]
        print(f"{LABEL[q]:<22} {i:>5} {a['rps']:9.0f} {b['rps']:9.0f} {b['rps'] / a['rps']:6.2f}  {a['gw_ms']:7.2f} {b['gw_ms']:5.2f} {b['gw_ms'] / a['gw_ms']:4.2f}x  "
              f" {cpu(a, other)} | {cpu(b, other)}" + (f"  non-201: {bad}" if bad else ""))
    print(f"{LABEL[q]:<22} {'med':>5} {med(r['rps'] for r in offs):9.0f} {med(r['rps'] for r in ons):9.0f} "
          f"{med(b['rps'] / a['rps'] for a, b in zip(offs, ons)):6.2f}  {med(r['gw_ms'] for r in offs):7.2f} {med(r['gw_ms'] for r in ons):5.2f} "
          f"{med(b['gw_ms'] / a['gw_ms'] for a, b in zip(offs, ons)):4.2f}x   (medians; ratios: median of the rounds' ratios)")
print()
print("2. delivery latency, ms: the client sends the upload -> the receiver has its webhook POST (matched by Key);")
print("   yardsticks: the upload's own round trip (send -> answer); also answer -> POST (negative: the POST came first),")
print("   eventTime -> POST (realtime clock, eventTime in whole ms), and the gateway's histogram over the same events")
print("   (picgate_notify_delivery_latency_seconds, produced -> acknowledged: mean, and the bucket bounds holding p50 and p99)")
f3 = lambda s: f"{s[0]:6.1f} {s[1]:6.1f} {s[2]:6.1f}"
print(f"{'queue':<22} {'phase':<11} {'events':>6}  {'send->POST':^20}  {'upload (send->answer)':^21}  {'answer->POST':^20}  {'eventTime->POST':^20}  {'gateway histogram':^22}")
print(f"{'':<22} {'':<11} {'':>6}  {'p50    p99    max':>20}  {'p50    p99    max':>21}  {'p50    p99    max':>20}  {'p50    p99    max':>20}  {'mean  p50 <=  p99 <=':>22}")
for q in LABEL:
    for r in (r for r in rows if r["queue"] == q and r["rule"] == "on"):
        rnd = r["name"].rsplit("-", 1)[1]
        for phase, lat, h in ((f"seq r{rnd}", r["seq"], r["hist_seq"]), (f"load r{rnd}", r["load"], r["hist_load"])):
            print(f"{LABEL[q]:<22} {phase:<11} {lat['keys']:>6}  {f3(lat['send'])}  {' ' + f3(lat['upload'])}  {f3(lat['answer'])}  {f3(lat['etime'])}  "
                  f"{h[1]:6.1f} {h[2]:6g} {h[3]:6g}")
print(f"   (seq: {seq_n} uploads one at a time after the load phase's events all arrived; load: the {n} uploads of 1, {conc} at a time)")
print("   last POST after the last upload answer, load phase: " + ", ".join(
    f"{r['name']} {r['load']['drain_ms']:.0f} ms" for r in rows if r["rule"] == "on"))
print()
print("3. exactly once, per gateway with the rule (50 warm-up + load + sequential uploads)")
for r in (r for r in rows if r["rule"] == "on"):
    ok = all(x["missing"] == 0 and x["dup_keys"] == 0 and x["posts"] == x["keys"] == x["ids"] == x["uploads"] for x in (r["load"], r["seq"]))
    ok = ok and r["produced"] == r["delivered"] == r["expected"] and not (r["retries"] or r["dead"] or r["dropped"] or r["depth"])
    print(f"{r['name']:<12} uploads {r['expected']}; gateway: produced {r['produced']:.0f} delivered {r['delivered']:.0f} "
          f"retries {r['retries']:.0f} dead {r['dead']:.0f} dropped {r['dropped']:.0f} depth {r['depth']:.0f}; "
          f"receiver: load {r['load']['posts']} POSTs {r['load']['ids']} ids {r['load']['missing']} missing {r['load']['dup_keys']} dup, "
          f"seq {r['seq']['posts']} POSTs {r['seq']['ids']} ids {r['seq']['missing']} missing {r['seq']['dup_keys']} dup"
          + ("" if ok else "   <-- NOT exactly once"))
PY
echo
c=$(nb census "$hooks")
echo "receiver, whole run: $c"
python3 - "$c" "$rounds" "$uploads" "$seq_n" <<'PY'
import json, sys
c = json.loads(sys.argv[1]); rounds, n, s = map(int, sys.argv[2:])
want = rounds * 3 * (50 + n + s)
ok = c["posts"] == c["ids"] == c["keys"] == want and not c["dup_ids"] and not c["keys_many_ids"] and not c["bad_sig"] \
     and c["events"] == {"s3:ObjectCreated:Put": want}
print(f"expected {want} events (one per upload with the rule on, none with it off): "
      + ("every one arrived exactly once, signed, as s3:ObjectCreated:Put" if ok else "MISMATCH (see the census above)"))
PY
echo "load at the end: $(bench_load)"
for f in "$work"/picgate-*.log; do n=$(basename "$f" .log); echo -n "${n#picgate-}: "; bench_log_summary "$f"; done | grep -v ': 0 line(s)$' || echo "picgate logs: 0 lines from every gateway"
