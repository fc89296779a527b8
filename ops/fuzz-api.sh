#!/usr/bin/env bash
# Fuzzes the running API against its own OpenAPI document with Schemathesis: every status code,
# content type, header and body the server sends must be documented, and no request may get a 5xx.
#
#   ops/fuzz-api.sh [BASE_URL] [MAX_EXAMPLES]      (default http://127.0.0.1:8080, 100)
#
# Needs a running server and `pip install schemathesis`. It writes through the API (with an admin
# token it creates), so point it at a scratch store, never at real data.
set -euo pipefail

base=${1:-http://127.0.0.1:8080}
examples=${2:-100}
command -v st >/dev/null || { echo "install Schemathesis first: pip install schemathesis" >&2; exit 1; }
token=$(cargo run -q -- token create --role admin --label fuzz | tail -1)
st run "$base/openapi.json" --url "$base" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
    --max-examples "$examples" --workers 2
