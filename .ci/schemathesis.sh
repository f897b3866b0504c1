#!/usr/bin/env bash
# Schema-driven API fuzzing: schemathesis against the server's own /api/openapi.json.
#
# Starts target/debug/stockroom on a free port with a throw-away database, seeds an admin, a
# user and a little data (so operations with path ids meet real rows), then runs `st run` over
# every operation with every check, as the user and as the admin. Operations that end the
# caller's own session (logout, logout-all, refresh, account deletion) run in their own
# invocations, each with a fresh token, so they cannot turn the rest of a run into 401s.
#
#   bash .ci/schemathesis.sh                  # what CI runs
#   ST_MAX_EXAMPLES=200 ST_SEED=1 bash .ci/schemathesis.sh   # a longer (or a replayed) fuzz
#
# Exits non-zero on any failure. Reports (JUnit) land in target/schemathesis/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

MAX_EXAMPLES=${ST_MAX_EXAMPLES:-50}
SEED=${ST_SEED:-}
BIN=$ROOT/target/debug/stockroom
OUT=$ROOT/target/schemathesis
CONFIG=$ROOT/.ci/schemathesis.toml

[[ -x $BIN ]] || cargo build
if ! command -v st >/dev/null; then
  echo "== installing schemathesis (pip)"
  python3 -m pip install --quiet schemathesis
fi

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

DB=$WORK/st.db
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
PASSWORD='plum-sofa-riddle-42'
# Test-friendly settings: no rate limits (the fuzzer is one busy client), cheap hashing, and no
# password-strength estimate (a JSON Schema can state a length, not a zxcvbn score; the policy
# has tests of its own).
export STOCKROOM_AUTH_RATE_LIMIT=0 STOCKROOM_LOGIN_MAX_FAILURES=0 STOCKROOM_MIN_PASSWORD_SCORE=0 \
  STOCKROOM_ARGON2_MEMORY_KIB=256 STOCKROOM_ARGON2_ITERATIONS=1

echo "== schemathesis: admin account and server on $BASE"
printf '%s\n' "$PASSWORD" |
  "$BIN" --db "$DB" admin create --email admin@st.example --username st-admin --password-stdin >/dev/null
mkdir -p "$OUT"
"$BIN" --db "$DB" --port "$PORT" >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "$BASE/api/health" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT/server.log"; echo "the server did not start"; exit 1; }
  sleep 0.1
done

# api METHOD PATH TOKEN [JSON]: prints the response body, fails on a non-2xx status.
api() {
  local method=$1 path=$2 token=$3 body=${4:-}
  local args=(-fsS -X "$method" "$BASE$path" -H "Authorization: Bearer $token")
  [[ -n $body ]] && args+=(-H 'Content-Type: application/json' --data "$body")
  curl "${args[@]}"
}
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

login() { # login LOGIN → token
  curl -fsS "$BASE/api/auth/login" -H 'Content-Type: application/json' \
    --data "{\"login\":\"$1\",\"password\":\"$PASSWORD\"}" | json "['token']"
}
signup() { # signup USERNAME → token
  curl -fsS "$BASE/api/auth/signup" -H 'Content-Type: application/json' \
    --data "{\"email\":\"$1@st.example\",\"username\":\"$1\",\"password\":\"$PASSWORD\"}" | json "['token']"
}

echo "== schemathesis: seeding"
ADMIN=$(login st-admin)
USER=$(signup st-user)
ADMIN_ID=$(api GET /api/users/me "$ADMIN" | json "['id']")
USER_ID=$(api GET /api/users/me "$USER" | json "['id']")
# Products point at the kept category; the other one may be deleted.
KEPT_CATEGORY_ID=$(api POST /api/categories "$ADMIN" '{"name":"Kitchen","description":"Pots"}' | json "['id']")
CATEGORY_ID=$(api POST /api/categories "$ADMIN" '{"name":"Garden","description":null}' | json "['id']")
PRODUCT_ID=
for i in 1 2 3; do
  id=$(api POST /api/products "$ADMIN" \
    "{\"name\":\"Kettle $i\",\"price\":${i}999,\"quantity\":100000,\"categoryId\":$KEPT_CATEGORY_ID}" | json "['id']")
  PRODUCT_ID=${PRODUCT_ID:+$PRODUCT_ID, }$id
done
ASSET_ID= SYMBOLS=
for sym in ACME BOLT CRUX; do
  id=$(api POST /api/assets "$ADMIN" \
    "{\"symbol\":\"$sym\",\"name\":\"$sym Corp\",\"price\":12345,\"marketCap\":1000000,\"rating\":\"AA\",\"sector\":\"Tech\"}" |
    json "['id']")
  ASSET_ID=${ASSET_ID:+$ASSET_ID, }$id
  SYMBOLS=${SYMBOLS:+$SYMBOLS, }\"$sym\"
done
FIRST_PRODUCT=${PRODUCT_ID%%,*} FIRST_ASSET=${ASSET_ID%%,*}
# For each of them: an order, a cart line, a holding and a watchlist entry.
ORDER_ID= HOLDING_ID=
for token in "$USER" "$ADMIN"; do
  api POST /api/cart "$token" "{\"productId\":$FIRST_PRODUCT,\"quantity\":2}" >/dev/null
  ORDER_ID=${ORDER_ID:+$ORDER_ID, }$(api POST /api/order "$token" | json "['id']")
  api POST /api/cart "$token" "{\"productId\":$FIRST_PRODUCT,\"quantity\":1}" >/dev/null
  HOLDING_ID=${HOLDING_ID:+$HOLDING_ID, }$(api POST /api/portfolio "$token" \
    "{\"assetId\":$FIRST_ASSET,\"quantity\":10,\"costBasis\":100000}" | json "['id']")
  api POST /api/watchlist "$token" "{\"assetId\":$FIRST_ASSET}" >/dev/null
done
# A second session of each, which DELETE /api/auth/sessions/{id} may revoke.
SESSION_ID=$(login st-user >/dev/null; login st-admin >/dev/null
  for t in "$USER" "$ADMIN"; do api GET /api/auth/sessions "$t"; echo; done |
  python3 -c 'import json,sys; print(", ".join(str(s["id"]) for l in sys.stdin for s in json.loads(l) if not s["current"]))')

# config OTHER_USER_ID → the path of a rendered copy of .ci/schemathesis.toml
config() {
  local out=$WORK/schemathesis-$1.toml
  sed -e "s/@KEPT_CATEGORY_ID@/$KEPT_CATEGORY_ID/g; s/@CATEGORY_ID@/$CATEGORY_ID/g" \
    -e "s/@PRODUCT_ID@/$PRODUCT_ID/g; s/@ORDER_ID@/$ORDER_ID/g; s/@ASSET_ID@/$ASSET_ID/g" \
    -e "s/@SYMBOLS@/$SYMBOLS/g; s/@HOLDING_ID@/$HOLDING_ID/g; s/@SESSION_ID@/$SESSION_ID/g" \
    -e "s/@OTHER_USER_ID@/$1/g" "$CONFIG" >"$out"
  echo "$out"
}

FAILED=0
SUMMARY=()
# st_run NAME TOKEN OTHER_USER_ID [st options...]
st_run() {
  local name=$1 token=$2 other=$3
  shift 3
  echo "== schemathesis: $name"
  local seed=()
  [[ -n $SEED ]] && seed=(--seed "$SEED")
  local status=0
  # From the temp directory, so schemathesis' own cache stays out of the repository.
  (cd "$WORK" && st --config-file "$(config "$other")" run "$BASE/api/openapi.json" \
    --checks all --max-examples "$MAX_EXAMPLES" "${seed[@]}" \
    -H "Authorization: Bearer $token" \
    --report junit,ndjson --report-junit-path "$OUT/$name.xml" --report-ndjson-path "$OUT/$name.ndjson" \
    "$@") >"$OUT/$name.log" 2>&1 || status=$?
  if [[ $status -ne 0 ]]; then
    FAILED=1
    cat "$OUT/$name.log"
  fi
  local line
  line=$(grep -E '^  [0-9]+ generated' "$OUT/$name.log" | head -1 | sed 's/^ *//')
  local ops
  ops=$(grep -E '^  Tested: ' "$OUT/$name.log" | head -1 | sed 's/^ *Tested: //')
  SUMMARY+=("$(printf '%-22s operations %3s  %s' "$name" "${ops:-?}" "${line:-see $OUT/$name.log}")")
}

# Operations that end the caller's own session: each runs alone, with a token of its own.
OWN_SESSION=(
  'POST /api/auth/logout'
  'POST /api/auth/logout-all'
  'POST /api/auth/refresh'
  'DELETE /api/users/me'
)
# Deletions of the seeded rows the other operations use: run as the admin, after the rest.
SEED_DELETES=(
  'DELETE /api/categories/{id}'
  'DELETE /api/products/{id}'
  'DELETE /api/assets/{id}'
  'DELETE /api/users/{id}'
)
exclude=()
for op in "${OWN_SESSION[@]}"; do exclude+=(--exclude-name "$op"); done
only_deletes=()
for op in "${SEED_DELETES[@]}"; do only_deletes+=(--include-name "$op"); done

START=$SECONDS
st_run user "$USER" "$ADMIN_ID" "${exclude[@]}"
for op in "${SEED_DELETES[@]}"; do exclude+=(--exclude-name "$op"); done
st_run admin "$ADMIN" "$USER_ID" "${exclude[@]}"
st_run admin-deletes "$ADMIN" "$USER_ID" "${only_deletes[@]}"
n=0
for op in "${OWN_SESSION[@]}"; do
  n=$((n + 1))
  st_run "own-session-$n" "$(signup "st-own-$n")" "$ADMIN_ID" --include-name "$op"
done
echo "== schemathesis: summary ($((SECONDS - START)) s, at most $MAX_EXAMPLES examples per operation and phase)"
printf '  %s\n' "${SUMMARY[@]}"
if [[ $FAILED -ne 0 ]]; then
  echo "schemathesis found failures (logs and reports in $OUT)"
fi
exit $FAILED
