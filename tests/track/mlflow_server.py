"""A stand-in MLflow tracking server for itwin's tests (loopback only).

mlflow_server.py RECORD.jsonl PORT_FILE [FAIL_BATCHES]
Implements the REST endpoints itwin uses (experiments get-by-name/create,
runs create/log-batch/update), keeps state in memory, appends every request
with its answer to RECORD.jsonl, and answers the first FAIL_BATCHES log-batch
requests that carry metrics with 503 (a server that fails and recovers).
Writes the port it listens on to PORT_FILE once it is ready.
"""
import json
import os
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def main(record, port_file, fail_batches="0"):
    state = {"experiments": {}, "runs": {}, "fails_left": int(fail_batches)}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self, code, obj, body):
            with lock, open(record, "a") as f:
                f.write(json.dumps({"method": self.command, "path": self.path, "status": code,
                                    "auth": self.headers.get("Authorization"), "body": body}) + "\n")
            data = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urlparse(self.path)
            if url.path == "/api/2.0/mlflow/experiments/get-by-name":
                name = parse_qs(url.query)["experiment_name"][0]
                for eid, e in state["experiments"].items():
                    if e["name"] == name:
                        return self.answer(200, {"experiment": {"experiment_id": eid, "name": name}}, None)
                return self.answer(404, {"error_code": "RESOURCE_DOES_NOT_EXIST"}, None)
            self.answer(404, {"error_code": "ENDPOINT_NOT_FOUND"}, None)

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            path = urlparse(self.path).path
            if path == "/api/2.0/mlflow/experiments/create":
                eid = str(len(state["experiments"]) + 1)
                state["experiments"][eid] = {"name": body["name"]}
                return self.answer(200, {"experiment_id": eid}, body)
            if path == "/api/2.0/mlflow/runs/create":
                rid = uuid.uuid4().hex
                state["runs"][rid] = body
                return self.answer(200, {"run": {"info": {"run_id": rid, "experiment_id": body["experiment_id"]}}}, body)
            if path == "/api/2.0/mlflow/runs/log-batch":
                with lock:
                    fail = state["fails_left"] > 0 and bool(body.get("metrics"))
                    if fail:
                        state["fails_left"] -= 1
                if fail:
                    return self.answer(503, {"error_code": "TEMPORARILY_UNAVAILABLE"}, body)
                return self.answer(200, {}, body)
            if path == "/api/2.0/mlflow/runs/update":
                return self.answer(200, {"run_info": {"run_id": body["run_id"], "status": body["status"]}}, body)
            self.answer(404, {"error_code": "ENDPOINT_NOT_FOUND"}, body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:])
