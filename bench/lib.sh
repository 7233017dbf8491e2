# Shared by the bench scripts: a free port, the release binary, a gateway with a user and token.
bench_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

bench_bin() {
  local bin=target/release/picgate
  [ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
  echo "$bin"
}

# bench_gateway CONFIG_FILE: starts the gateway (sets $gw_pid, $gw_port, $token).
bench_gateway() {
  local config=$1 bin
  bin=$(bench_bin)
  gw_port=$(bench_port)
  export PICGATE__SERVER__PORT=$gw_port PICGATE__AUTH__JWT_SECRET=bench-secret-bench-secret-bench-secret RUST_LOG=warn
  "$bin" --config "$config" user create --phone 13700000000 --email bench@example.com --password 'bench password 1' >/dev/null
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
