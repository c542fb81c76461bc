#!/usr/bin/env bash
# demo.sh: the whole server-authentication flow of haloy in under a minute,
# in throwaway directories and on loopback only. A server issues a token, a
# client adds the server, deploys an app whose haloy.yaml takes its token
# from .env, shows the status, and after the token is revoked the next
# deploy fails with the authentication message. No token is ever printed.
#
# Usage: scripts/demo.sh [BIN_DIR]   (BIN_DIR holds haloy and haloyadm; default bin/)
# Run it with `go tool task demo`, which builds bin/ first.
set -euo pipefail

bin_dir=${1:-"$(dirname "$0")/../bin"}
bin_dir=$(cd "$bin_dir" && pwd)
for b in haloy haloyadm; do
	if [[ ! -x "$bin_dir/$b" ]]; then
		echo "demo: $bin_dir/$b not found; build it first: go tool task build" >&2
		exit 1
	fi
done

# Nothing of the caller's haloy set-up may leak in: no HALOY_* variable, and
# every directory below is a fresh temporary one.
while read -r v; do unset "$v"; done < <(compgen -e | grep '^HALOY_' || true)
unset SSL_CERT_FILE SSL_CERT_DIR

root=$(mktemp -d "${TMPDIR:-/tmp}/haloy-demo.XXXXXX")
server_pid=""
cleanup() {
	if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$root"
}
trap cleanup EXIT
umask 077
start=$SECONDS

step=0
heading() {
	step=$((step + 1))
	printf '\n==> %d. %s\n' "$step" "$1"
}
# show prints a command as the user would type it, then runs it.
show() {
	printf '$ %s\n' "$*"
	"$@"
}
die() {
	echo "demo: FAILED: $*" >&2
	exit 1
}

# The server side: haloyadm with its own config and data directories.
mkdir -p "$root/server" "$root/home" "$root/my-app"
haloyadm() {
	HALOY_CONFIG_DIR="$root/server/etc" HALOY_DATA_DIR="$root/server/var" HOME="$root/server" \
		"$bin_dir/haloyadm" "$@"
}
# The client side: haloy with its own home, run in the app's directory.
haloy() {
	(cd "$root/my-app" && HOME="$root/home" HALOY_CONFIG_DIR="$root/home/.config/haloy" "$bin_dir/haloy" "$@")
}

heading "On the server: initialize haloyadm (its first token is discarded here)"
show haloyadm init >/dev/null

heading "On the server: create an API token for this machine"
echo '$ TOKEN=$(haloyadm api token --name demo-laptop)'
TOKEN=$(haloyadm api token --name demo-laptop)
[[ $TOKEN == haloy_* ]] || die "haloyadm api token printed no token"

heading "On the server: serve the API on 127.0.0.1, on a free port"
echo '$ haloyadm serve --listen 127.0.0.1:0 &'
# the binary itself, not the function: $! must be serve's own pid; the log
# exists before serve starts, so that reading it never races its creation
: >"$root/server/serve.log"
HALOY_CONFIG_DIR="$root/server/etc" HALOY_DATA_DIR="$root/server/var" HOME="$root/server" \
	"$bin_dir/haloyadm" serve --listen 127.0.0.1:0 2>"$root/server/serve.log" &
server_pid=$!
port=""
for _ in $(seq 100); do
	port=$(sed -n 's|^haloyadm: serving on http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$root/server/serve.log")
	[[ -n $port ]] && break
	kill -0 "$server_pid" 2>/dev/null || { cat "$root/server/serve.log" >&2; die "haloyadm serve exited"; }
	sleep 0.1
done
[[ -n $port ]] || die "haloyadm serve did not start in 10 seconds"
server="localhost:$port"
cat "$root/server/serve.log"

heading "On your machine: add the server; the token goes through stdin, never on the command line"
echo "\$ printf '%s\\n' \"\$TOKEN\" | haloy server add $server --token-stdin"
printf '%s\n' "$TOKEN" | haloy server add "$server" --token-stdin

heading "List the servers (tokens are never shown)"
show haloy server list

heading "A sample app whose haloy.yaml takes its token from .env"
cat >"$root/my-app/haloy.yaml" <<YAML
name: demo-app
api_token:
  from:
    env: DEMO_DEPLOY_TOKEN
image:
  repository: ghcr.io/example/demo-app
  tag: "1.0"
YAML
printf 'DEMO_DEPLOY_TOKEN=%s\n' "$TOKEN" >"$root/my-app/.env"
echo '$ cat haloy.yaml'
cat "$root/my-app/haloy.yaml"
echo '(and .env holds DEMO_DEPLOY_TOKEN=<the token>, mode 0600)'

heading "Deploy: haloy picks the only server, reads the token from .env, checks it, deploys"
show haloy deploy

heading "The deployments the server recorded"
show haloy status

heading "On the server: revoke the token"
show haloyadm api token revoke demo-laptop
show haloyadm api token list

heading "Deploy again: the server rejects the revoked token (exit code 3)"
echo '$ haloy deploy'
set +e
haloy deploy >"$root/fail.out" 2>&1
code=$?
set -e
cat "$root/fail.out"
echo "(exit code $code)"
[[ $code -eq 3 ]] || die "haloy deploy with a revoked token exited $code, want 3"
grep -q 'authentication failed for' "$root/fail.out" || die "no authentication message"

heading "On your machine: delete the server and its token"
show haloy server delete "$server"
show haloy server list

heading "Stop the server; what it logged"
kill -TERM "$server_pid"
wait "$server_pid" || true
server_pid=""
cat "$root/server/serve.log"

printf '\nDemo complete in %d seconds; its directories are removed.\n' $((SECONDS - start))
