#!/usr/bin/env bash
# A two-node depsync cluster on loopback: an SVN repository (svnadmin,
# file://), a manager and a worker daemon with their own Carbon homes and
# ports. A sample C-App dropped on the manager arrives on the worker; then
# both are stopped and everything is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/bin/depsync"
CAPP="$PWD/examples/HelloWorld_1.0.0.car"

work=$(mktemp -d "${TMPDIR:-/tmp}/depsync-demo.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${KEEP:-}" = 1 ]; then echo "demo: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(( (RANDOM % 20000) + 20000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "demo: no free port found" >&2; exit 1
}

wait_http() {
  for _ in $(seq 1 300); do
    curl -fsS "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "demo: $1 did not come up; logs in $work/*.log" >&2
  tail -n 30 "$work"/*.log >&2 || true
  exit 1
}

say "An SVN repository: svnadmin create $work/repo"
svnadmin create "$work/repo"
URL="file://$work/repo"

mport=$(free_port); wport=$(free_port)
while [ "$wport" = "$mport" ]; do wport=$(free_port); done
DEPSYNC_TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
export DEPSYNC_TOKEN

for node in manager worker; do
  mkdir -p "$work/$node/repository/deployment/server"
done
cat > "$work/manager.yaml" <<YAML
role: manager
node_name: node1
listen: 127.0.0.1:$mport
carbon: {home: $work/manager}
svn: {url: "$URL"}
peers: [http://127.0.0.1:$wport]
YAML
cat > "$work/worker.yaml" <<YAML
role: worker
node_name: node2
listen: 127.0.0.1:$wport
carbon: {home: $work/worker}
svn: {url: "$URL"}
peers: [http://127.0.0.1:$mport]
YAML

say "Manager (node1) on 127.0.0.1:$mport, worker (node2) on 127.0.0.1:$wport"
sed 's/^/    /' "$work/manager.yaml"
"$BIN" run --config "$work/manager.yaml" >"$work/manager.log" 2>&1 & pids+=($!)
"$BIN" run --config "$work/worker.yaml" >"$work/worker.log" 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$mport/readyz"
wait_http "http://127.0.0.1:$wport/readyz"
echo "    both nodes ready"

src="$work/manager/repository/deployment/server/carbonapps"
dst="$work/worker/repository/deployment/server/carbonapps"
mkdir -p "$src"
say "Drop $(basename "$CAPP") into the manager's $src"
start=$(date +%s%N)
cp "$CAPP" "$src/"
for _ in $(seq 1 600); do
  if [ -f "$dst/$(basename "$CAPP")" ] && cmp -s "$CAPP" "$dst/$(basename "$CAPP")"; then break; fi
  sleep 0.02
done
if ! cmp -s "$CAPP" "$dst/$(basename "$CAPP")" 2>/dev/null; then
  echo "demo: the C-App did not reach the worker within 12s; logs:" >&2
  tail -n 40 "$work"/*.log >&2
  exit 1
fi
ms=$(( ($(date +%s%N) - start) / 1000000 ))
say "It is on the worker after ${ms} ms, byte for byte: $dst/$(basename "$CAPP")"
sha256sum "$src/$(basename "$CAPP")" "$dst/$(basename "$CAPP")" | sed 's/^/    /'

say "svn log of the repository"
svn log -v -l 3 "$URL" | sed 's/^/    /'

say "depsync status of each node"
"$BIN" status --node "http://127.0.0.1:$mport" | sed 's/^/    /'
"$BIN" status --node "http://127.0.0.1:$wport" | sed 's/^/    /'

say "Stop both daemons (SIGTERM)"
for p in "${pids[@]}"; do kill -TERM "$p"; done
for p in "${pids[@]}"; do wait "$p" && echo "    pid $p exited 0"; done
pids=()
say "Done. Run it again with KEEP=1 to keep $work and its logs."
