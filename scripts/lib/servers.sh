# Shared by scripts/bench and scripts/soak (sourced, not run): starting latchkey and its tenants, and cleaning up.
# The caller sets root, work (a scratch directory), latchkey (the binary), rp_id, origin and postgres_url, and
# declares the arrays pids=() and databases=(); `trap cleanup EXIT` then stops what was started and drops the
# databases made with new_database.

script_name=${0##*/}

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for db in "${databases[@]}"; do
    psql "$postgres_url/postgres" -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}

random_b64url() { head -c "$1" /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '='; }

# new_database PREFIX: creates a PostgreSQL database with a fresh name on $postgres_url, dropped by cleanup; sets
# database to its name (not printed: a command substitution would lose it from databases).
new_database() {
  database=$1_$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
  psql "$postgres_url/postgres" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $database" >/dev/null
  databases+=("$database")
}

# Waits for a server's log to name its public address; prints it.
listen_url() {
  local log=$1 pattern=$2 pid=$3
  for _ in $(seq 600); do
    local url
    url=$(grep -o -m1 -E "$pattern http://[^ ]+" "$log" 2>/dev/null | grep -o -E 'http://[^ ]+' || true)
    if [ -n "$url" ]; then echo "$url"; return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "$script_name: the server did not start:" >&2
  cat "$log" >&2
  return 1
}

# start_latchkey NAME DATABASE_URL [CPU]: starts `latchkey serve`; sets latchkey_pid, latchkey_url, latchkey_admin,
# tenant_id, api_key. Other LATCHKEY_* settings the caller exports reach the server.
start_latchkey() {
  local name=$1 database_url=$2 cpu=${3:-}
  local -a pin=()
  [ -n "$cpu" ] && pin=(taskset -c "$cpu")
  export LATCHKEY_DATABASE_URL=$database_url LATCHKEY_MASTER_KEY
  LATCHKEY_MASTER_KEY=$(random_b64url 32)
  # The load generator sends every request from one address; the limits are not what is measured.
  LATCHKEY_LISTEN=127.0.0.1:0 LATCHKEY_ADMIN_LISTEN=127.0.0.1:0 NO_COLOR=1 \
    LATCHKEY_RATE_LIMIT_STARTS_PER_ADDRESS=0 LATCHKEY_RATE_LIMIT_STARTS_PER_TENANT=0 \
    LATCHKEY_RATE_LIMIT_FAILURES_PER_ADDRESS=0 LATCHKEY_RATE_LIMIT_FAILURES_PER_TENANT=0 \
    "${pin[@]}" "$latchkey" serve >"$work/$name.log" 2>&1 &
  latchkey_pid=$!
  pids+=("$latchkey_pid")
  latchkey_url=$(listen_url "$work/$name.log" 'public API listening on' "$latchkey_pid")
  latchkey_admin=$(listen_url "$work/$name.log" 'admin API listening on' "$latchkey_pid")
  local created
  created=$("$latchkey" tenant create --name=bench --rp-id="$rp_id" --origin="$origin")
  tenant_id=$(printf '%s' "$created" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  api_key=$(printf '%s' "$created" | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
}

# kosmos_realm: a 1Kosmos community of the running latchkey's tenant, its relying party the load generator's, and a
# license for it; sets community_id, license_key. The admin API has no 1Kosmos routes: the CLI makes them, as an
# operator would.
kosmos_realm() {
  community_id=$("$latchkey" kosmos community create --tenant="$tenant_id" --name=bench --dns="$rp_id" \
    --origin="$origin" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  license_key=$("$latchkey" kosmos license create --tenant="$tenant_id" --community="$community_id" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["license_key"])')
}
