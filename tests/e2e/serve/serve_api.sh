#!/usr/bin/env bash
# `spct serve` end to end: a model exported by a one-step `spct train` is served on an ephemeral port; health,
# model list, completions (seeded: the same request twice gives the same text), OpenAI-style errors for a bad
# request, a missing token and an unknown model, a request that stalls mid-body (the server drops it and keeps
# serving); then GRM scoring with grm.backend remote against it (`spct eval` of the GRM: every critique comes
# from the server), a clean exit on SIGTERM, and the same scoring with the server gone failing with an error
# that names the URL. Every wait has a deadline.
set -uo pipefail
work=$(mktemp -d)
serve_pid=
cleanup() {
  [[ -n "$serve_pid" ]] && kill -9 "$serve_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail=0
check() {  # check NAME CONDITION...
  local name=$1
  shift
  if "$@"; then echo "ok: $name"; else echo "FAIL: $name"; fail=1; fi
}

"$SPCT_BINARY" train run.dir="$work" run.name=m layout.colocate=true run.steps=1 sft.warmup_steps=2 \
  > "$work/train.txt" 2>&1 || { cat "$work/train.txt"; echo "FAIL: training the model to serve"; exit 1; }
model=$work/m/model
[[ -s $model/config.json ]] || { ls -R "$work/m"; echo "FAIL: no exported model"; exit 1; }
tokenizer=()
[[ -e $model/tokenizer.json ]] || tokenizer=(--tokenizer char)

export SPCT_E2E_TOKEN=e2e-secret
"$SPCT_BINARY" serve "$model" "${tokenizer[@]}" --port 0 --port-file "$work/port" --threads 1 \
  --api-key-env SPCT_E2E_TOKEN --model-name tiny > "$work/serve.txt" 2>&1 &
serve_pid=$!
for _ in $(seq 300); do [[ -s $work/port ]] && break; sleep 0.1; done
[[ -s $work/port ]] || { cat "$work/serve.txt"; echo "FAIL: spct serve did not start within 30 s"; exit 1; }
url=http://127.0.0.1:$(cat "$work/port")
auth=(-H "Authorization: Bearer e2e-secret")
curl_json() { curl -s --max-time 20 -o "$work/body" -w '%{http_code}' "$@"; }

check "health" test "$(curl_json "$url/health")" = 200
check "models needs the token" test "$(curl_json "$url/v1/models")" = 401
check "models lists tiny" test "$(curl_json "${auth[@]}" "$url/v1/models")" = 200
check "models body" grep -q '"id":"tiny"' "$work/body"

request='{"model": "tiny", "prompt": ["3+4=", "1+1="], "n": 2, "max_tokens": 6, "temperature": 0.8, "seed": 7, "stop": ["9"]}'
check "completion" test "$(curl_json "${auth[@]}" -H 'Content-Type: application/json' -d "$request" "$url/v1/completions")" = 200
cp "$work/body" "$work/first"
check "four choices" test "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["choices"]))' "$work/first")" = 4
check "same seed, same text" test "$(curl_json "${auth[@]}" -d "$request" "$url/v1/completions")" = 200
strip_ids() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([c["text"] for c in d["choices"]])' "$1"; }
check "seeded completions repeat" test "$(strip_ids "$work/first")" = "$(strip_ids "$work/body")"

check "bad request is 400" test "$(curl_json "${auth[@]}" -d '{"prompt": "1+1=", "n": 0}' "$url/v1/completions")" = 400
check "400 names the field" grep -q '"n\\" must be in' "$work/body"
check "unknown model is 404" test "$(curl_json "${auth[@]}" -d '{"prompt": "1", "model": "x"}' "$url/v1/completions")" = 404
check "not JSON is 400" test "$(curl_json "${auth[@]}" -d '{"prompt": ' "$url/v1/completions")" = 400
if [[ ${#tokenizer[@]} -gt 0 ]]; then  # the character tokenizer has no token for a non-ASCII character
  check "unencodable prompt is 400" test "$(curl_json "${auth[@]}" -d '{"prompt": "3+4=\u00e9"}' "$url/v1/completions")" = 400
  check "400 names the byte" grep -q 'prompt 0 cannot be encoded: character tokenizer: byte 0xc3 at offset 4' "$work/body"
fi
# A request path that is not UTF-8: the refusal's log line quotes it escaped.
python3 - "$(cat "$work/port")" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
s.sendall(b"GET /v2/\xff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
while s.recv(4096):
    pass
PY
check "log quotes invalid UTF-8 escaped" grep -qF 'GET /v2/\xff: 404: no route' "$work/serve.txt"

# More idle keep-alive connections than the server keeps (512): a new client is still served, at once.
python3 - "$(cat "$work/port")" "$work/idle_ready" <<'PY' &
import socket, sys, time
idle = []
for _ in range(520):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    s.recv(4096)  # the answer; the connection stays open, idle
    idle.append(s)
open(sys.argv[2], "w").close()
time.sleep(20)
PY
idler=$!
for _ in $(seq 600); do [[ -e $work/idle_ready ]] && break; sleep 0.1; done
check "idle connections opened" test -e "$work/idle_ready"
check "served past 512 idle connections" test "$(curl_json "$url/health")" = 200
kill "$idler" 2>/dev/null
wait "$idler" 2>/dev/null

# A client that sends half a body and goes quiet: the server still answers others meanwhile.
python3 - "$(cat "$work/port")" <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"pro")
time.sleep(3)
PY
staller=$!
sleep 0.2
check "served while another client stalls" test "$(curl_json "$url/health")" = 200
wait $staller

# GRM scoring through the remote backend: the served model writes every critique (random weights: accuracy is
# whatever it is; the point is that the pass completes and every request reached the server).
grm_eval=("$SPCT_SOURCE_DIR/configs/eval_grm.yaml" run.dir="$work" grm.backend=remote grm.remote_url="$url"
  grm.remote_model=tiny grm.remote_api_key_env=SPCT_E2E_TOKEN grm.model_path= data.eval_size=8 'eval.k=[1,2]'
  grm.remote_retries=1 grm.remote_timeout_s=20)
"$SPCT_BINARY" eval "${grm_eval[@]}" run.name=remote > "$work/eval.txt" 2>&1
code=$?
check "spct eval with the remote GRM exits 0" test $code -eq 0
check "eval.json written" test -s "$work/remote/eval.json"
[[ $code -eq 0 ]] || cat "$work/eval.txt"

kill -TERM "$serve_pid"
for _ in $(seq 100); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$serve_pid" 2>/dev/null; then
  echo "FAIL: spct serve still running 10 s after SIGTERM"
  fail=1
else
  wait "$serve_pid"
  code=$?
  serve_pid=
  check "exit 0 on SIGTERM" test $code -eq 0
fi
# The server is gone: the step fails (grm.remote_fallback fail) with an error naming the URL, after its retries.
"$SPCT_BINARY" eval "${grm_eval[@]}" run.name=down > "$work/down.txt" 2>&1
code=$?
check "server gone: eval fails" test $code -ne 0
check "server gone: the error names the URL" grep -q "remote GRM $url/v1/completions: " "$work/down.txt"
# The cause, directly or as the failure that opened the circuit breaker.
check "server gone: and the cause" grep -q "cannot connect to $url" "$work/down.txt"
[[ $code -ne 0 ]] || cat "$work/down.txt"

[[ $fail -eq 0 ]] || cat "$work/serve.txt"
[[ $fail -eq 0 ]] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
