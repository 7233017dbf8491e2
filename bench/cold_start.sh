#!/usr/bin/env bash
# Cold start: exec of the release binary with the embedded defaults (no config file, a fresh
# working directory, so ./data is created there) to its first `GET /healthz` 200, and its idle
# RSS one second later; nginx serving a static file is measured the same way as the yardstick.
#
#   bash bench/cold_start.sh [runs]      (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
runs=${1:-20}
bench_need python3 "apt-get install python3"
bin=$PWD/$(bench_bin)
nginx=$(bench_nginx_bin)

work=$(mktemp -d "$PWD/target/bench-cold.XXXXXX")
chmod 755 "$work"   # nginx workers may run as another user: let them reach www/
trap 'rm -rf "$work"' EXIT   # the driver stops every process it starts
mkdir -p "$work/www"
echo ok > "$work/www/healthz"
chmod 644 "$work/www/healthz"

python3 - "$bin" "$nginx" "$work" "$runs" <<'PY'
import os, signal, socket, statistics, subprocess, sys, time

bin_, nginx, work, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port

def first_200(port, deadline):
    """Polls GET /healthz with a raw socket, 1 ms between attempts; the time of the first 200."""
    req = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    while time.perf_counter() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(req)
                line = b""
                while b"\r\n" not in line:
                    chunk = s.recv(256)
                    if not chunk:
                        break
                    line += chunk
                if line.startswith(b"HTTP/1.1 200"):
                    return time.perf_counter()
        except OSError:
            pass
        time.sleep(0.001)
    raise SystemExit("no 200 from /healthz within the deadline")

def kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0

def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []

def measure(argv, cwd, env, port):
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t1 = first_200(port, t0 + 10)
        time.sleep(1)
        pids = [p.pid] + children(p.pid)
        rss = sum(kib(q, "VmRSS") for q in pids) / 1024
        hwm = sum(kib(q, "VmHWM") for q in pids) / 1024
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return (t1 - t0) * 1000, rss, hwm, len(pids)

def picgate(i):
    cwd = os.path.join(work, f"picgate-{i}")
    os.mkdir(cwd)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PICGATE")}
    env["PICGATE__SERVER__PORT"] = str(port)
    r = measure([bin_], cwd, env, port)
    assert os.path.isdir(os.path.join(cwd, "data")), "picgate did not create ./data"
    return r

def nginx_run(i):
    d = os.path.join(work, f"nginx-{i}")
    os.makedirs(os.path.join(d, "tmp"))
    port = free_port()
    conf = os.path.join(d, "nginx.conf")
    user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    group = subprocess.run(["id", "-gn"], capture_output=True, text=True).stdout.strip()
    temps = "".join(f"  {k}_temp_path {d}/tmp/{k};\n" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    with open(conf, "w") as f:
        f.write(f"""worker_processes auto;
daemon off;
user {user} {group};
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
{temps}  default_type text/plain;
  server {{
    listen 127.0.0.1:{port};
    root {work}/www;
  }}
}}
""")
    return measure([nginx, "-p", d, "-e", f"{d}/error.log", "-c", conf], d, dict(os.environ), port)

def report(name, results):
    ms = [r[0] for r in results]
    rss = statistics.median(r[1] for r in results)
    hwm = statistics.median(r[2] for r in results)
    procs = results[0][3]
    print(f"{name:8} exec -> first /healthz 200: median {statistics.median(ms):6.1f} ms, max {max(ms):6.1f} ms; "
          f"idle RSS {rss:5.1f} MiB (VmHWM {hwm:5.1f} MiB, {procs} process{'es' if procs > 1 else ''})")
    return statistics.median(ms), max(ms), rss

load = " ".join(open("/proc/loadavg").read().split()[:3])
# Alternate the two so that both see the same machine state.
pg, ng = [], []
for i in range(runs):
    pg.append(picgate(i))
    ng.append(nginx_run(i))
print(f"{runs} runs each, alternating, {os.cpu_count()} CPUs (load {load}); RSS medians, read 1 s after the first 200")
p_med, p_max, p_rss = report("picgate", pg)
n_med, n_max, n_rss = report("nginx", ng)
print(f"ratio picgate / nginx: median time {p_med / n_med:.2f}, max time {p_max / n_max:.2f}, idle RSS {p_rss / n_rss:.2f}")
print(f"targets: first 200 within 50 ms ({'met' if p_max <= 50 else 'missed'}: max {p_max:.1f} ms), "
      f"idle RSS under 20 MiB ({'met' if p_rss < 20 else 'missed'}: {p_rss:.1f} MiB)")
PY
