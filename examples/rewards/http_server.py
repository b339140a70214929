#!/usr/bin/env python3
"""The math answer checker (math_answer.py) as an HTTP reward server for spct's `http` reward kind, in the shape
of OpenRLHF's --remote_rm_url (docs/rewards.md). Standard library only.

POST any path with {"query": [...], "prompts": [...], "labels": [...], "completions": [...]}; the answer is
{"rewards": [...], "scores": [...], "info": [{"extracted": ...}, ...]}. spct also sends "completions" (the generated text alone); a request from
OpenRLHF has only query/prompts/labels, and the completion is then the query with its prompt removed.

    python3 examples/rewards/http_server.py --port 8000
    reward: {functions: ["math=http:http://127.0.0.1:8000/reward"]}

--port 0 picks a free port; --port-file writes the port chosen, once the server listens.
"""
import argparse
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from math_answer import correct, extract  # noqa: E402


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: spct reuses its connections
    # The headers and the body go out in two writes; with Nagle's algorithm on, the body waits for the client's
    # delayed ACK of the headers (40 ms on Linux) on every request of a kept-alive connection.
    disable_nagle_algorithm = True

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            request = json.loads(body)
            completions = request.get("completions") or [
                q[len(p):] if q.startswith(p) else q for q, p in zip(request["query"], request["prompts"])]
            extracted = [extract(c) for c in completions]
            rewards = [1.0 if correct(e, label) else 0.0 for e, label in zip(extracted, request["labels"])]
            # "info" reaches spct's rollout log; OpenRLHF ignores it.
            status, answer = 200, {"rewards": rewards, "scores": rewards, "info": [{"extracted": e} for e in extracted]}
        except (KeyError, TypeError, ValueError) as error:
            status, answer = 400, {"error": f"bad request: {error}"}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # one line per request on stderr is noise at thousands of requests
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--port-file", help="write the port listened on to this file")
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        os.replace(args.port_file + ".tmp", args.port_file)
    print(f"reward server on http://{args.host}:{server.server_address[1]}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
