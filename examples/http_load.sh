#!/usr/bin/env bash
# HTTP load check (a benchmark, not a ctest): starts a built http_hello_real,
# runs wrk against its /hello/hello endpoint, and checks that
#   - wrk reports zero socket errors (connect, read, write, timeout) and no
#     non-2xx responses,
#   - the server's peak RSS (VmHWM in /proc/PID/status) stays under a bound,
#   - the server is still alive afterwards and stops cleanly.
# Builds nothing itself.
#
#   examples/http_load.sh BUILD/examples/http_hello_real
#
# Environment (all optional):
#   THREADS=2 CONNECTIONS=256 DURATION=10s   wrk -t/-c/-d
#   RSS_LIMIT_KB=262144                      bound on the server's VmHWM
#   KAIROS_PORT=0                            server port (0 = any free one)
#   KAIROS_WORKERS                           server worker threads
# Exit status: 0 all checks passed, 1 a check failed, 2 bad usage/setup.
set -euo pipefail

usage() { echo "usage: $0 PATH/TO/http_hello_real" >&2; exit 2; }
[[ $# -eq 1 ]] || usage
server_bin=$1
[[ -x $server_bin ]] || { echo "$0: $server_bin is not an executable" >&2; exit 2; }
command -v wrk >/dev/null || { echo "$0: wrk not found (apt-get install -y wrk)" >&2; exit 2; }

threads=${THREADS:-2}
connections=${CONNECTIONS:-256}
duration=${DURATION:-10s}
rss_limit_kb=${RSS_LIMIT_KB:-262144}

workdir=$(mktemp -d)
server_pid=
cleanup() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT

# Serve for far longer than the run; SIGTERM stops it.
KAIROS_PORT=${KAIROS_PORT:-0} "$server_bin" 3600 >"$workdir/server.out" 2>"$workdir/server.err" &
server_pid=$!

# Its first line names the address; wait for it (bounded).
addr=
for _ in $(seq 1 300); do
    if read -r line <"$workdir/server.out" 2>/dev/null && [[ $line == "listening on "* ]]; then
        addr=${line#listening on }
        break
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if [[ -z $addr ]]; then
    echo "$0: the server did not start" >&2
    cat "$workdir/server.err" >&2
    exit 2
fi
url="http://$addr/hello/hello"

# One request first: the endpoint must answer before we load it.
if command -v curl >/dev/null; then
    body=$(curl -s --max-time 10 "$url")
    [[ $body == "hello world" ]] || { echo "$0: $url answered '$body'" >&2; exit 1; }
fi

echo "wrk -t$threads -c$connections -d$duration $url (server pid $server_pid)"
wrk -t"$threads" -c"$connections" -d"$duration" --latency "$url" | tee "$workdir/wrk.out"

status=0
rps=$(awk '/^Requests\/sec:/ {print $2}' "$workdir/wrk.out")
total=$(awk '/requests in/ {print $1}' "$workdir/wrk.out")
errors=$(sed -n 's/^ *Socket errors: *//p' "$workdir/wrk.out")
non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$workdir/wrk.out")
hwm_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || echo "")

echo "----"
echo "requests/s:      ${rps:-?}"
echo "requests:        ${total:-?}"
if [[ -z $errors ]]; then
    echo "socket errors:   0"
else
    echo "socket errors:   $errors"
    status=1
fi
if [[ -n $non2xx ]]; then
    echo "non-2xx:         $non2xx"
    status=1
fi
if [[ -z $rps || -z $total || $total == 0 ]]; then
    echo "no requests completed" >&2
    status=1
fi
if [[ -z $hwm_kb ]]; then
    echo "server peak RSS: unknown (server gone?)"
    status=1
elif ((hwm_kb > rss_limit_kb)); then
    echo "server peak RSS: ${hwm_kb} KiB > limit ${rss_limit_kb} KiB"
    status=1
else
    echo "server peak RSS: ${hwm_kb} KiB (limit ${rss_limit_kb} KiB)"
fi

# Still serving after the load?
if command -v curl >/dev/null; then
    body=$(curl -s --max-time 10 "$url" || true)
    if [[ $body != "hello world" ]]; then
        echo "the server no longer answers after the load" >&2
        status=1
    fi
fi

# Stop it: SIGTERM, then SIGKILL if it does not go within 10 s.
kill -TERM "$server_pid" 2>/dev/null || true
for _ in $(seq 1 100); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$server_pid" 2>/dev/null; then
    echo "the server ignored SIGTERM; killing it" >&2
    kill -KILL "$server_pid" 2>/dev/null || true
fi
wait "$server_pid" 2>/dev/null || true
server_pid=

if ((status == 0)); then
    echo "http_load: OK"
else
    echo "http_load: FAILED"
fi
exit $status
