#!/usr/bin/env bash
# `make demo`: veloslet at work with no container runtime installed. It serves
# on the simulated ("fake") backend, applies docs/examples/demo.toml, makes
# simulated instances crash now and then, and shows what the supervisor did.
# DEMO_SECONDS sets how long it runs (default 60).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${VELOSLET:-bin/veloslet}
seconds=${DEMO_SECONDS:-60}
dir=$(mktemp -d "${TMPDIR:-/tmp}/veloslet-demo.XXXXXX")
cat >"$dir/veloslet.toml" <<CONF
[store]
path = "$dir/veloslet.db"
[runtime]
backend = "fake"
[runtime.fake]
state_file = "$dir/host.json"
latency = "20ms"
[reconcile]
schedule = "@every 5s"
[restart]
backoff_initial = "2s"
backoff_max = "20s"
CONF
export VELOSLET_CONFIG="$dir/veloslet.toml"
v() { "$bin" "$@"; }

echo "== veloslet demo: simulated runtime, state in $dir"
"$bin" serve 2>"$dir/serve.log" &
serve=$!
stop() {
	kill -TERM "$serve" 2>/dev/null && wait "$serve" || true
	echo
	echo "== the daemon stopped (SIGTERM); instances stay for the next start to adopt."
	echo "   log: $dir/serve.log    database: $dir/veloslet.db"
}
trap stop EXIT

echo "== applying docs/examples/demo.toml"
v apply -f docs/examples/demo.toml
echo
echo "Watch from another terminal while this runs:"
echo "  VELOSLET_CONFIG=$dir/veloslet.toml $bin status"
echo "  VELOSLET_CONFIG=$dir/veloslet.toml $bin events --follow"
echo "  sqlite3 $dir/veloslet.db 'SELECT * FROM status'"
echo

victims=(web worker-2 worker-2 nightly-report worker-2 worker-1)
codes=(137 1 3 0 1 0)
end=$((SECONDS + seconds))
i=0
sleep 2
while ((SECONDS < end)); do
	uid=${victims[i % ${#victims[@]}]}
	code=${codes[i % ${#codes[@]}]}
	echo "== $(date +%T) crashing $uid with exit code $code"
	v fake exit "$uid" --code "$code" >/dev/null
	sleep 4
	v status
	echo
	sleep 4
	i=$((i + 1))
done
echo "== the last events"
v events --limit 15
