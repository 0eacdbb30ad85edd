#!/usr/bin/env bash
# face-preflight-proxy beside the proxies a user would otherwise run there:
# Debian's nginx-light and HAProxy, each pinned to core 1, in front of one
# upstream (nginx answering `200 []`, core 0), loaded by wrk (core 0) with a
# valid identify of 10 faceIds. Rounds alternate between the three (and the
# upstream direct, for the added latency); the table prints medians.
#
# Usage: benches/proxy_peers/run.sh [ROUNDS] [SECONDS]   (defaults 3, 5)
# Installs nginx-light, haproxy and wrk with apt-get if they are missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-3}"
seconds="${2:-5}"

need=()
command -v nginx >/dev/null || need+=(nginx-light)
command -v haproxy >/dev/null || need+=(haproxy)
command -v wrk >/dev/null || need+=(wrk)
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
cargo build --release --quiet --features proxy --bin face-preflight-proxy

work="$(mktemp -d /tmp/face-preflight-peers.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

UPSTREAM=18480 NGINX=18481 HAPROXY=18482 PREFLIGHT=18483

cat > "$work/upstream.conf" <<CONF
daemon off; worker_processes 1; pid $work/upstream.pid; error_log /dev/null;
events { worker_connections 4096; }
http {
  access_log off; client_body_temp_path $work/u-body;
  server { listen 127.0.0.1:$UPSTREAM; keepalive_requests 1000000;
    location / { default_type application/json; return 200 '[]'; } }
}
CONF
cat > "$work/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $work/nginx.pid; error_log /dev/null;
events { worker_connections 4096; }
http {
  access_log off; client_body_temp_path $work/n-body; proxy_temp_path $work/n-proxy;
  upstream face { server 127.0.0.1:$UPSTREAM; keepalive 64; }
  server { listen 127.0.0.1:$NGINX; keepalive_requests 1000000;
    location / { proxy_pass http://face; proxy_http_version 1.1; proxy_set_header Connection ""; } }
}
CONF
cat > "$work/haproxy.cfg" <<CONF
global
  nbthread 1
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
frontend face
  bind 127.0.0.1:$HAPROXY
  default_backend upstream
backend upstream
  http-reuse always
  server u 127.0.0.1:$UPSTREAM
CONF

taskset -c 0 nginx -c "$work/upstream.conf" -p "$work" & pids+=($!)
taskset -c 1 nginx -c "$work/nginx.conf" -p "$work" & pids+=($!)
taskset -c 1 haproxy -f "$work/haproxy.cfg" -q & pids+=($!)
taskset -c 1 target/release/face-preflight-proxy --upstream "http://127.0.0.1:$UPSTREAM" --plain-http \
  --listen "127.0.0.1:$PREFLIGHT" --rate 1000000 ${PROXY_FLAGS:-} >/dev/null 2>"$work/proxy.log" & pids+=($!)
for port in $UPSTREAM $NGINX $HAPROXY $PREFLIGHT; do
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
done

# One wrk run: prints "requests_per_second p50_us p99_us".
load() {
  local port=$1 connections=$2
  taskset -c 0 wrk -t1 -c"$connections" -d"${seconds}s" --latency -s benches/proxy_peers/identify.lua \
    "http://127.0.0.1:$port" 2>/dev/null | awk '
      function us(v) { if (v ~ /us$/) return v+0; if (v ~ /ms$/) return v*1000; if (v ~ /s$/) return v*1000000; return v }
      $1 == "50%" { p50 = us($2) } $1 == "99%" { p99 = us($2) } $1 == "Requests/sec:" { rps = $2 }
      END { printf "%.0f %.0f %.0f\n", rps, p50, p99 }'
}

names=(direct nginx haproxy face-preflight-proxy)
ports=($UPSTREAM $NGINX $HAPROXY $PREFLIGHT)
: > "$work/results"
for round in $(seq "$rounds"); do
  for i in "${!names[@]}"; do
    echo "${names[$i]} 32 $(load "${ports[$i]}" 32)" >> "$work/results"
    echo "${names[$i]} 1 $(load "${ports[$i]}" 1)" >> "$work/results"
  done
  echo "round $round of $rounds done" >&2
done

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
pick() { awk -v n="$1" -v c="$2" -v f="$3" '$1 == n && $2 == c { print $f }' "$work/results" | median; }
direct_p50="$(pick direct 1 4)"
nginx_rps="$(pick nginx 32 3)"
printf '\n| %-22s | %14s | %9s | %16s | %22s |\n' "" "req/s at 32" "÷ nginx" "p99 at 32 (µs)" "p50 at 1, + direct (µs)"
printf '|%s|%s|%s|%s|%s|\n' "------------------------" "----------------" "-----------" "------------------" "------------------------"
for name in "${names[@]}"; do
  rps="$(pick "$name" 32 3)"; p99="$(pick "$name" 32 5)"; p50="$(pick "$name" 1 4)"
  printf '| %-22s | %14s | %9s | %16s | %22s |\n' "$name" "$rps" \
    "$(awk -v a="$rps" -v b="$nginx_rps" 'BEGIN { printf "%.2f", a / b }')" "$p99" \
    "$([ "$name" = direct ] && echo "$p50" || echo "+$((p50 - direct_p50))")"
done
echo
echo "medians of $rounds alternating rounds of ${seconds} s; proxies on core 1, upstream and wrk on core 0"
