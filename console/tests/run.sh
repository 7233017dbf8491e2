#!/usr/bin/env bash
# The web console's browser tests: starts a real picgate (the debug binary, built when
# missing or stale) on a free port with a temporary data directory and an administrator, then
# drives the console at / with headless Chromium from Debian (/usr/bin/chromium, never a
# downloaded browser) through console/tests/*.test.mjs, one file after another (they share the
# server).
#
#   bash console/tests/run.sh                 from the repository root (or anywhere)
#   CONSOLE_TEST_REDIS=1 bash console/tests/run.sh   sessions in a real redis-server instead of the process
#   bash console/tests/run.sh --test-name-pattern=upload   only some tests (node --test flags pass through)
#   PICGATE_BIN=target/release/picgate bash console/tests/run.sh   another binary (first-load figures of a release build)
#
# Needs: chromium and fonts-noto-cjk (apt-get install -y chromium fonts-noto-cjk), node ≥ 20 and
# `npm ci` in console/tests. Writes docs/screenshots/*.png, target/console-first-load.json and
# target/console-axe.json. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

fail() { echo "console tests: $*" >&2; exit 1; }

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || fail "no Chromium at $CHROMIUM: apt-get install -y chromium fonts-noto-cjk"
fc-list 2>/dev/null | grep -ci 'Noto Sans CJK' >/dev/null \
  || fail "no CJK font (the zh-CN screens would show boxes): apt-get install -y chromium fonts-noto-cjk"
command -v node >/dev/null || fail "node is missing: apt-get install -y nodejs npm"
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] \
  || fail "node $(node --version) is too old: playwright-core 1.65 needs node 20 or newer"
[ -d console/tests/node_modules/playwright-core ] && [ -d console/tests/node_modules/axe-core ] \
  || fail "console/tests/node_modules is missing: (cd console/tests && npm ci)"

# The binary: the one the README's test command builds (`cargo test --workspace` unifies the
# workspace's features, so a plain `cargo build -p picgate` would build the gateway a second
# time); cargo rebuilds only what changed (the console's files are embedded at compile time).
if [ -z "${PICGATE_BIN:-}" ]; then
  echo "console tests: cargo test --workspace --no-run"
  cargo test -q --workspace --no-run 2>/dev/null \
    || fail "cargo test --workspace --no-run failed (run it to see why)"
  PICGATE_BIN=$ROOT/target/debug/picgate
fi
[ -x "$PICGATE_BIN" ] || fail "no picgate binary at $PICGATE_BIN"
case "$PICGATE_BIN" in
  */release/*) PICGATE_BIN_KIND="release build" ;;
  */debug/*) PICGATE_BIN_KIND="debug build" ;;
  *) PICGATE_BIN_KIND=$PICGATE_BIN ;;
esac

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

WORK=$(mktemp -d -t picgate-console-XXXXXX)
PICGATE_PID=
REDIS_PORT=
NODE_PID=
cleanup() {
  local rc=$?
  if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill "$NODE_PID" 2>/dev/null || true # playwright closes its Chromium on SIGTERM
    wait "$NODE_PID" 2>/dev/null || true
  fi
  if [ -n "$PICGATE_PID" ] && kill -0 "$PICGATE_PID" 2>/dev/null; then
    kill "$PICGATE_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$PICGATE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$PICGATE_PID" 2>/dev/null || true
  fi
  if [ -n "$REDIS_PORT" ]; then redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; fi
  if [ "$rc" -ne 0 ] && [ -s "$WORK/picgate.log" ]; then
    echo "---- picgate log (last 40 lines) ----" >&2
    tail -n 40 "$WORK/picgate.log" >&2
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(free_port)
export PICGATE__SERVER__HOST=127.0.0.1
export PICGATE__SERVER__PORT=$PORT
export PICGATE__STORAGE__DATA_DIR=$WORK/data
export PICGATE__AUTH__BCRYPT_COST=4
# Sign-up with an invitation code, the mode the sign-up tests (register.test.mjs) drive; accounts
# the other tests make through the API come with a code an administrator created.
export PICGATE__AUTH__REGISTRATION=invite
PICGATE__AUTH__JWT_SECRET=$(head -c 32 /dev/urandom | base64 | tr -d '\n')
export PICGATE__AUTH__JWT_SECRET
mkdir -p "$WORK/data"

if [ -n "${CONSOLE_TEST_REDIS:-}" ]; then
  command -v redis-server >/dev/null || fail "CONSOLE_TEST_REDIS is set but redis-server is missing"
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --dir "$WORK" --logfile "$WORK/redis.log" >/dev/null || fail "redis-server did not start"
  export PICGATE__REDIS__URL="redis://127.0.0.1:$REDIS_PORT"
fi

ADMIN_EMAIL=console-admin@example.com
ADMIN_PHONE=13800000013
ADMIN_NAME=Ada
ADMIN_PASSWORD="console $(head -c 12 /dev/urandom | base64 | tr -d '/+=\n')"
PICGATE_PASSWORD=$ADMIN_PASSWORD "$PICGATE_BIN" user create --admin --phone "$ADMIN_PHONE" \
  --email "$ADMIN_EMAIL" --name "$ADMIN_NAME" >"$WORK/user.log" 2>&1 \
  || { cat "$WORK/user.log" >&2; fail "picgate user create failed"; }

"$PICGATE_BIN" serve >"$WORK/picgate.log" 2>&1 &
PICGATE_PID=$!
BASE=http://127.0.0.1:$PORT
for _ in $(seq 300); do
  kill -0 "$PICGATE_PID" 2>/dev/null || fail "picgate exited at start"
  curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && break
  sleep 0.1
done
curl -fsS -o /dev/null "$BASE/healthz" || fail "picgate did not answer /healthz on $BASE"
curl -fsS "$BASE/" 2>/dev/null | grep -q 'data-testid\|{{ASSETS}}\|/console/' \
  || fail "GET $BASE/ does not serve the console (is it embedded in this build?)"

echo "console tests: picgate on $BASE (data in $WORK/data${REDIS_PORT:+, sessions in redis :$REDIS_PORT})"
set +e
PICGATE_URL=$BASE PICGATE_ADMIN_LOGIN=$ADMIN_EMAIL PICGATE_ADMIN_PHONE=$ADMIN_PHONE \
PICGATE_ADMIN_NAME=$ADMIN_NAME PICGATE_ADMIN_PASSWORD=$ADMIN_PASSWORD CHROMIUM=$CHROMIUM \
PICGATE_BIN_KIND=$PICGATE_BIN_KIND \
SCREENSHOT_DIR=$ROOT/docs/screenshots FIRST_LOAD_OUT=$ROOT/target/console-first-load.json \
  node --test --test-reporter=spec --test-reporter-destination=stdout --test-concurrency=1 "$@" console/tests/*.test.mjs &
NODE_PID=$!
wait "$NODE_PID" # in the background, so that INT/TERM reach the trap at once
rc=$?
NODE_PID=
set -e
[ "$rc" -eq 0 ] || fail "browser tests failed (exit $rc); see the failures above"
echo "console tests: passed (screenshots in docs/screenshots/, first load in target/console-first-load.json)"
