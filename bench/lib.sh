# shellcheck shell=bash disable=SC2034 # the functions set globals ($gw_pid, $token, …) for the scripts
# Shared by the bench scripts: a free port, the release binary, a gateway with a user and token.
bench_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

bench_bin() {
  local bin=${PICGATE_BIN:-target/release/picgate}
  [ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
  echo "$bin"
}

# bench_gateway CONFIG_FILE: starts the gateway (sets $gw_pid, $gw_port, $token); with
# BENCH_ADMIN=1 the user (and so $token) is an administrator.
bench_gateway() {
  local config=$1 bin
  bin=$(bench_bin)
  gw_port=$(bench_port)
  export PICGATE__SERVER__PORT=$gw_port PICGATE__AUTH__JWT_SECRET=bench-secret-bench-secret-bench-secret RUST_LOG=warn
  "$bin" --config "$config" user create --phone 13700000000 --email bench@example.com --password 'bench password 1' ${BENCH_ADMIN:+--admin} >/dev/null
  "$bin" --config "$config" serve & gw_pid=$!
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$gw_port/healthz" >/dev/null && break; sleep 0.05; done
  token=$(curl -sf "http://127.0.0.1:$gw_port/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"login":"bench@example.com","password":"bench password 1"}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["accessToken"])')
}

# bench_s3 DIR BUCKET: starts s3s-fs (sets $s3_pid, $s3_port); credentials AK / SK.
bench_s3() {
  command -v s3s-fs >/dev/null || { echo "install: cargo install s3s-fs --version 0.14.1 --features binary --locked" >&2; exit 1; }
  s3_port=$(bench_port)
  mkdir -p "$1/$2"
  s3s-fs --host 127.0.0.1 --port "$s3_port" --access-key benchAK --secret-key benchSKbenchSK "$1" >/dev/null 2>&1 & s3_pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$s3_port/" && break; sleep 0.05; done
}

# bench_s3_gateway WORK: s3s-fs in WORK/s3 and a gateway whose `files` bucket lives on it
# (remote bucket `picgate`, root `files/`); `images` stays on fs under WORK/data.
bench_s3_gateway() {
  local work=$1
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
}

now() { date +%s.%N; }

# bench_need TOOL INSTALL_HINT: stops with the install hint when TOOL is not on PATH.
bench_need() { command -v "$1" >/dev/null || { echo "$1 not found; install: $2" >&2; exit 1; }; }

# bench_nginx_bin: nginx from PATH or /usr/sbin.
bench_nginx_bin() {
  local n
  n=$(command -v nginx || true)
  if [ -z "$n" ] && [ -x /usr/sbin/nginx ]; then n=/usr/sbin/nginx; fi
  [ -n "$n" ] || { echo "nginx not found; install: apt-get install nginx-light" >&2; exit 1; }
  echo "$n"
}

# bench_nginx_conf DIR PORT ROOT: writes DIR/nginx.conf, a static server of ROOT on
# 127.0.0.1:PORT (foreground, no access log, sendfile); logs and temp paths stay in DIR.
bench_nginx_conf() {
  local dir=$1 port=$2 root=$3
  mkdir -p "$dir/tmp"
  cat > "$dir/nginx.conf" <<NGINX
worker_processes auto;
daemon off;
user $(id -un) $(id -gn);
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  types { image/png png; text/plain txt; }
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$port;
    root $root;
  }
}
NGINX
}

# bench_nginx DIR ROOT: starts nginx serving ROOT (sets $ng_pid, $ng_port).
bench_nginx() {
  local dir=$1 root=$2 bin
  bin=$(bench_nginx_bin)
  ng_port=$(bench_port)
  bench_nginx_conf "$dir" "$ng_port" "$root"
  "$bin" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" & ng_pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$ng_port/" && return; sleep 0.05; done
  echo "nginx did not start; see $dir/error.log" >&2; exit 1
}

# bench_check_file URL FILE TYPE: the URL answers 200, Content-Type TYPE and exactly FILE's bytes.
bench_check_file() {
  local url=$1 file=$2 type=$3 got
  got=$(curl -s -o "$file.got" -w '%{http_code} %{content_type}' "$url")
  [ "$got" = "200 $type" ] || { echo "$url: expected 200 $type, got $got" >&2; exit 1; }
  cmp -s "$file" "$file.got" || { echo "$url: body differs from $file" >&2; exit 1; }
  rm -f "$file.got"
}

# bench_wrk_table YARDSTICK LABEL=WRK_OUTPUT_FILE...: one line per wrk run (req/s, p50, p99,
# non-2xx, socket errors, and not-success bodies when a script counted them), the ratios req/s
# and p99 to the first run, named YARDSTICK, and the CPU line bench_wrk appended, if any.
bench_wrk_table() {
  python3 - "$@" <<'PY'
import re, sys
yard, runs = sys.argv[1], sys.argv[2:]
UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4, "h": 3.6e6}
def ms(text):
    n, u = re.fullmatch(r"([\d.]+)([a-z]+)", text).groups()
    return float(n) * UNIT[u]
def parse(path):
    out = open(path).read()
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    bad = re.search(r"not-success responses: (\d+)", out)
    return dict(rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
                p50=ms(lat["50"]), p99=ms(lat["99"]),
                non2xx=int(non2xx.group(1)) if non2xx else 0,
                sock=sum(map(int, sock.groups())) if sock else 0,
                bad=int(bad.group(1)) if bad else None,
                cpu=cpu.group(1).strip() if (cpu := re.search(r"^cpu:(.*)$", out, re.M)) else "")
def ratio(x):
    return f"{x:.2f}" if x >= 0.1 else f"{x:.3f}"
rows = [(label, parse(path)) for label, path in (r.split("=", 1) for r in runs)]
base = rows[0][1]
w = max(len(label) for label, _ in rows)
head = f"{'target':<{w}} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'sock err':>8}"
with_bad = any(r["bad"] is not None for _, r in rows)
if with_bad:
    head += f" {'not-ok':>7}"
head += f"  {'req/s ÷ ' + yard:>16} {'p99 ÷ ' + yard:>14}"
if any(r["cpu"] for _, r in rows):
    head += "  CPU (100% = one core)"
print(head)
for label, r in rows:
    line = f"{label:<{w}} {r['rps']:9.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['non2xx']:8d} {r['sock']:8d}"
    if with_bad:
        line += f" {'-' if r['bad'] is None else r['bad']:>7}"
    line += f"  {ratio(r['rps'] / base['rps']):>16} {ratio(r['p99'] / base['p99']):>14}"
    if r["cpu"]:
        line += "  " + r["cpu"]
    print(line)
PY
}

# bench_log_summary LOG: says how many lines the gateway logged (at RUST_LOG=warn: warnings and
# errors) and shows the first few.
bench_log_summary() {
  local n
  n=$(grep -c . "$1" || true)
  echo "picgate log during the run: $n line(s)"
  [ "$n" = 0 ] || head -n 5 "$1" | cut -c1-300
}

# bench_ticks PID: CPU time used so far by PID and its live children (nginx workers), in ticks.
bench_ticks() {
  local p t=0 kids
  kids=$(cat "/proc/$1/task/$1/children" 2>/dev/null || true)
  for p in "$1" $kids; do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}

# bench_wrk OUT NAME=PID... -- WRK_ARGS...: runs wrk with WRK_ARGS into OUT, then appends the
# CPU each named process used meanwhile ("cpu: picgate 150% s3s-fs 40%", 100% = one core).
bench_wrk() {
  local out=$1 procs=() before=() p i t0 t1 line="cpu:"
  shift
  while [ "$1" != -- ]; do procs+=("$1"); shift; done
  shift
  for p in "${procs[@]}"; do before+=("$(bench_ticks "${p#*=}")"); done
  t0=$(now)
  wrk "$@" > "$out"
  t1=$(now)
  for i in "${!procs[@]}"; do
    p=${procs[$i]}
    line+=" ${p%%=*} $(awk -v a="${before[$i]}" -v b="$(bench_ticks "${p#*=}")" -v t0="$t0" -v t1="$t1" \
      -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f%%", (b - a) / hz / (t1 - t0) * 100}')"
  done
  echo "$line" >> "$out"
}

# bench_load: the 1, 5 and 15 minute load averages (other work on the machine skews figures).
bench_load() { cut -d' ' -f1-3 /proc/loadavg; }
