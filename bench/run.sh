#!/usr/bin/env bash
# Switchyard's benchmark against raw fetch and the peers, on Deno and on Bun.
# For each runtime:
#   1. start bench/server.ts on that runtime (127.0.0.1, free port), pinned to CPU 1;
#      run bench.ts "net" (loopback GET) and then "stream" (a large streamed body, its own
#      process so its RSS starts clean) against it, pinned to CPU 0; stop the server;
#   2. run bench.ts "inproc,stub,router" (no server, not pinned);
#   3. run cold.ts (new processes importing mod.ts / effect).
# Then report.ts prints the tables (and writes them to $RESULTS_DIR/tables.md).
#
#   bash bench/run.sh                   # full run (5 rounds; about 15 minutes on 2 cores)
#   BENCH_SMOKE=1 bash bench/run.sh     # tiny sizes, 1 round: checks every case runs (CI)
#   RUNTIMES=bun bash bench/run.sh      # one runtime
#   PARTS="net stream" bash bench/run.sh   # parts: net stream inproc cold
#   PIN=none bash bench/run.sh          # leave CPU placement to the kernel
#   BENCH_ROUNDS=3 BENCH_NET_N=5000 bash bench/run.sh   # any BENCH_* reaches bench.ts
#
# Exits non-zero if any case throws. Pinning: on a 2-vCPU VM the kernel otherwise moves
# client and server between "same core" and "different cores" at random, which moves
# loopback numbers by up to 3x (shared/reference/PERF.md); without taskset or a second
# CPU the run is unpinned and says so.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=./node_modules/.bin
RUNTIMES=${RUNTIMES:-"deno bun"}
PARTS=${PARTS:-"net stream inproc cold"}
R=${RESULTS_DIR:-bench/results}
mkdir -p "$R"
rm -f "$R"/*.json "$R"/*.log "$R"/tables.md

for dep in ky ofetch hono effect; do
  [[ -d node_modules/$dep ]] || { echo "missing dev dependency: $dep (npm install)" >&2; exit 1; }
done

# Loopback only: no proxy setting may reroute 127.0.0.1 traffic.
unset HTTP_PROXY HTTPS_PROXY ALL_PROXY http_proxy https_proxy all_proxy
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

SERVER_PID=""
stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap stop_server EXIT INT TERM

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "kernel: $(uname -srm)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) x $(nproc) vCPU"
  echo "load before run (1/5/15 min): $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "deno: $($BIN/deno --version | head -1)"
  echo "bun: $($BIN/bun --version)"
  for p in effect ky ofetch hono zod; do
    echo "$p: $(grep -m1 '"version"' node_modules/$p/package.json | cut -d'"' -f4)"
  done
  echo "smoke: ${BENCH_SMOKE:-0}"
} > "$R/env.txt"
cat "$R/env.txt"

PIN=${PIN:-split}
if [[ "$PIN" != none ]] && { ! command -v taskset >/dev/null || [[ $(nproc) -lt 2 ]]; }; then
  echo "PIN=$PIN needs taskset and 2 CPUs; running unpinned" >&2
  PIN=none
fi
case "$PIN" in
  split) SERVER_PIN=(taskset -c 1); CLIENT_PIN=(taskset -c 0) ;;
  none) SERVER_PIN=(); CLIENT_PIN=() ;;
  *) echo "PIN must be split or none" >&2; exit 2 ;;
esac
echo "loopback CPU placement: PIN=$PIN" | tee -a "$R/env.txt"

has_part() { [[ " $PARTS " == *" $1 "* ]]; }

for rt in $RUNTIMES; do
  case "$rt" in
    deno)
      server_cmd=("$BIN/deno" run --allow-net=127.0.0.1 bench/server.ts 0)
      # --allow-read: node_modules and the feature-checked modules (dynamic imports).
      bench_cmd=("$BIN/deno" run --v8-flags=--expose-gc --allow-net=127.0.0.1 --allow-env --allow-read
        "--allow-write=$R" bench/bench.ts)
      cold_cmd=("$BIN/deno" run --allow-env --allow-read --allow-run "--allow-write=$R" bench/cold.ts) ;;
    bun)
      server_cmd=("$BIN/bun" bench/server.ts 0)
      bench_cmd=("$BIN/bun" bench/bench.ts)
      cold_cmd=("$BIN/bun" bench/cold.ts) ;;
    *) echo "unknown runtime: $rt" >&2; exit 2 ;;
  esac

  port=""
  if has_part net || has_part stream; then
    log="$R/$rt.server.log"
    "${SERVER_PIN[@]}" "${server_cmd[@]}" > "$log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do
      port=$(awk '/^LISTENING/{print $2; exit}' "$log")
      [[ -n "$port" ]] && break
      kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log"; echo "server died" >&2; exit 1; }
      sleep 0.1
    done
    [[ -n "$port" ]] || { echo "server did not start" >&2; exit 1; }
    echo "== $rt: server pid $SERVER_PID on 127.0.0.1:$port (PIN=$PIN)"
    for part in net stream; do
      has_part "$part" || continue
      BENCH_SECTIONS=$part BENCH_URL="http://127.0.0.1:$port/" BENCH_OUT="$R/$rt.$part.json" \
        timeout 1800 "${CLIENT_PIN[@]}" "${bench_cmd[@]}" 2>&1 | tee "$R/$rt.$part.log"
    done
    stop_server
    echo "== $rt: server stopped"
  fi

  if has_part inproc; then
    # The URL only names the requests; nothing listens there.
    BENCH_SECTIONS=inproc,stub,router BENCH_URL="http://127.0.0.1:${port:-8080}/" BENCH_OUT="$R/$rt.inproc.json" \
      timeout 1800 "${bench_cmd[@]}" 2>&1 | tee "$R/$rt.inproc.log"
  fi

  if has_part cold; then
    BENCH_OUT="$R/$rt.cold.json" timeout 900 "${cold_cmd[@]}" 2>&1 | tee "$R/$rt.cold.log"
  fi
done

shopt -s nullglob
files=("$R"/*.json)
"$BIN/deno" run --allow-env "--allow-read=$R" "--allow-write=$R" bench/report.ts "${files[@]}"
echo "== wrote $R/tables.md and $R/goals.json"
