#!/usr/bin/env python3
"""Sanity check of the Grafana dashboard (deploy/check.sh runs it).

Checks that the file is valid JSON and an importable dashboard (schemaVersion >= 36, a
${DS_PROMETHEUS} datasource, the job/namespace/instance/route/client variables), that every
panel other than a row has targets with a PromQL expression, that every metric those
expressions and the variable queries name is one picgate exports (or Prometheus' `up`), that
every metric a panel selects is filtered by the job and namespace variables (so that two
installations in one Prometheus do not mix), and that every picgate metric is shown somewhere. With --rules FILE it also writes every expression, Grafana's
variables replaced, as a recording rule, so that `promtool check rules FILE` parses them.
Usage: check_dashboard.py [--rules FILE] [deploy/grafana/picgate.json]
"""

import json
import re
import sys

COUNTERS_AND_GAUGES = {
    "picgate_http_requests_total",
    "picgate_http_requests_in_flight",
    "picgate_uploads_total",
    "picgate_uploaded_bytes_total",
    "picgate_storage_operation_errors_total",
    "picgate_dependency_up",
    "picgate_auth_logins_total",
    "picgate_auth_session_revocations_total",
    "picgate_auth_refresh_token_reuse_total",
    "picgate_auth_token_uses_total",
    "picgate_list_cache_lookups_total",
    "picgate_image_transforms_total",
    "picgate_image_transforms_queued",
    "picgate_variant_cache_lookups_total",
    "picgate_notify_events_produced_total",
    "picgate_notify_events_delivered_total",
    "picgate_notify_delivery_retries_total",
    "picgate_notify_events_dead_lettered_total",
    "picgate_notify_events_dropped_total",
    "picgate_notify_queue_depth",
    "picgate_build_info",
    "up",
}
HISTOGRAMS = {
    "picgate_http_request_duration_seconds",
    "picgate_http_request_body_size_bytes",
    "picgate_http_response_body_size_bytes",
    "picgate_storage_operation_duration_seconds",
    "picgate_image_transform_duration_seconds",
    "picgate_notify_delivery_latency_seconds",
}
HISTOGRAM_SERIES = {f"{h}_{suffix}" for h in HISTOGRAMS for suffix in ("bucket", "sum", "count")}
KNOWN = COUNTERS_AND_GAUGES | HISTOGRAM_SERIES

# PromQL functions, aggregations and keywords: identifiers that are not metric names.
PROMQL_WORDS = set(
    """
    sum min max avg group stddev stdvar count count_values bottomk topk quantile limitk
    limit_ratio by without on ignoring group_left group_right offset bool and or unless atan2
    abs absent absent_over_time ceil changes clamp clamp_max clamp_min day_of_month
    day_of_week day_of_year days_in_month delta deriv exp floor histogram_count
    histogram_sum histogram_fraction histogram_quantile histogram_avg histogram_stddev
    histogram_stdvar holt_winters double_exponential_smoothing hour idelta increase irate
    label_join label_replace ln log2 log10 minute month predict_linear rate resets round
    scalar sgn sort sort_desc sort_by_label sort_by_label_desc sqrt time timestamp vector
    year avg_over_time min_over_time max_over_time sum_over_time count_over_time
    quantile_over_time stddev_over_time stdvar_over_time last_over_time present_over_time
    mad_over_time inf nan
    """.split()
)

IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (a small PromQL scan, enough for dashboards)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)
    text = re.sub(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*", " ", text)  # Grafana variables
    text = re.sub(r"\{[^{}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges and subqueries
    text = re.sub(
        r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text, flags=re.I
    )
    names = set()
    for match in IDENT.finditer(text):
        word = match.group(0)
        start = match.start()
        # Durations and numbers such as 5m or 1e3 start with a digit: IDENT never starts
        # there, but it can start in the middle of one ("5m" -> "m").
        if start > 0 and (text[start - 1].isdigit() or text[start - 1] == "."):
            continue
        if word.lower() in PROMQL_WORDS:
            continue
        names.add(word)
    return names


# Matchers every selector of a panel's expression must carry.
SCOPE = ('job=~"$job"', 'namespace=~"$namespace"')
STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')


def unscoped(expr: str, names: set[str]) -> list[str]:
    """The selectors of `names` in `expr` that lack one of the SCOPE matchers."""
    strings = [m.span() for m in STRING.finditer(expr)]
    missing = []
    for name in sorted(names):
        for m in re.finditer(
            rf"(?<![A-Za-z0-9_:]){re.escape(name)}(?![A-Za-z0-9_:])\s*(\{{[^{{}}]*\}})?", expr
        ):
            if any(start <= m.start() < end for start, end in strings):
                continue
            matchers = m.group(1) or ""
            lacking = [s for s in SCOPE if s not in matchers]
            if lacking:
                missing.append(f"{name}{matchers or '{}'} lacks {', '.join(lacking)}")
    return missing


def as_promql(expr: str) -> str:
    """The expression with Grafana's variables replaced by what they stand for."""
    expr = expr.replace("$__rate_interval", "5m").replace("$__interval", "1m")
    expr = expr.replace("$__range", "1h")
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", ".*", expr)


def main(path: str, rules_path: str | None = None) -> int:
    problems: list[str] = []
    try:
        with open(path, encoding="utf-8") as f:
            dashboard = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        print(f"{path}: not valid JSON: {e}")
        return 1

    if not isinstance(dashboard.get("schemaVersion"), int) or dashboard["schemaVersion"] < 36:
        problems.append(f"schemaVersion {dashboard.get('schemaVersion')!r} < 36")
    for key in ("title", "uid", "panels", "templating"):
        if key not in dashboard:
            problems.append(f"no {key!r}")

    variables = {v.get("name"): v for v in dashboard.get("templating", {}).get("list", [])}
    ds_var = variables.get("DS_PROMETHEUS")
    ds_input = any(i.get("name") == "DS_PROMETHEUS" for i in dashboard.get("__inputs", []))
    if not (ds_input or (ds_var and ds_var.get("type") == "datasource")):
        problems.append("no DS_PROMETHEUS datasource input or variable")
    for name in ("job", "namespace", "instance", "route", "client"):
        if name not in variables:
            problems.append(f"no template variable {name!r}")

    used: set[str] = set()
    recorded: list[str] = []

    def check_expr(where: str, expr: str, scoped: bool = False) -> None:
        recorded.append(as_promql(expr))
        names = metric_names(expr)
        if not names:
            problems.append(f"{where}: names no metric: {expr!r}")
        for name in sorted(names - KNOWN):
            problems.append(f"{where}: unknown metric {name!r}")
        if scoped:
            for selector in unscoped(expr, names):
                problems.append(f"{where}: {selector}")
        used.update(names)

    for name, var in variables.items():
        if var.get("type") != "query":
            continue
        query = var.get("query")
        query = query.get("query", "") if isinstance(query, dict) else (query or "")
        m = re.fullmatch(r"\s*label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*", query)
        if not m:
            problems.append(f"variable {name!r}: not a label_values(metric, label) query: {query!r}")
            continue
        check_expr(f"variable {name!r}", m.group(1))

    ids = set()

    def walk(panels):
        for panel in panels:
            title = panel.get("title", "?")
            if panel.get("id") in ids:
                problems.append(f"panel {title!r}: duplicate id {panel.get('id')}")
            ids.add(panel.get("id"))
            if "gridPos" not in panel:
                problems.append(f"panel {title!r}: no gridPos")
            if panel.get("type") == "row":
                walk(panel.get("panels", []))
                continue
            datasource = panel.get("datasource") or {}
            if "DS_PROMETHEUS" not in json.dumps(datasource):
                problems.append(f"panel {title!r}: datasource is not ${{DS_PROMETHEUS}}")
            targets = panel.get("targets") or []
            if not targets:
                problems.append(f"panel {title!r}: no targets")
            for target in targets:
                expr = target.get("expr", "")
                if not expr.strip():
                    problems.append(f"panel {title!r}: target {target.get('refId')} has no expr")
                    continue
                check_expr(f"panel {title!r}", expr, scoped=True)

    walk(dashboard.get("panels", []))

    shown = {re.sub(r"_(bucket|sum|count)$", "", n) if n in HISTOGRAM_SERIES else n for n in used}
    for name in sorted((COUNTERS_AND_GAUGES | HISTOGRAMS) - shown):
        problems.append(f"metric {name!r} is on no panel")

    if rules_path:
        # JSON is YAML: promtool reads this as a rule file.
        rules = [
            {"record": f"dashboard:expr_{i}", "expr": expr} for i, expr in enumerate(recorded)
        ]
        with open(rules_path, "w", encoding="utf-8") as f:
            json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, f, indent=1)

    for problem in problems:
        print(f"{path}: {problem}")
    if problems:
        return 1
    print(f"{path}: ok ({len(ids)} panels, {len(shown)} metrics)")
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    rules_file = None
    if args[:1] == ["--rules"] and len(args) >= 2:
        rules_file, args = args[1], args[2:]
    sys.exit(main(args[0] if args else "deploy/grafana/picgate.json", rules_file))
