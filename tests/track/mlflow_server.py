"""A stand-in MLflow tracking server for what the real one (../shared/oracles)
cannot do: fail on purpose (loopback only).

mlflow_server.py RECORD.jsonl PORT_FILE [FAIL_BATCHES [MODE]]
Implements the REST endpoints the MLflow logger uses (experiments
get-by-name/create, runs create/get/log-batch/update, artifact uploads: PUT
mlflow-artifacts, kept under artifacts/ next to RECORD), keeps state in
memory, and appends every request with its answer to RECORD.jsonl (status 0:
the connection was dropped). The first FAIL_BATCHES log-batch requests that
carry metrics fail: alternately 503 and a connection closed without an answer
(a server that fails and recovers). MODE "echo-auth": runs/create answers 403
with a body that echoes the request's headers, Authorization included (as some
proxies do). Writes the port it listens on to PORT_FILE once it is ready.
"""
import json
import os
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def main(record, port_file, fail_batches="0", mode=""):
    state = {"experiments": {}, "runs": {}, "fails_left": int(fail_batches), "failed": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def note(self, code, body):
            with lock, open(record, "a") as f:
                f.write(json.dumps({"method": self.command, "path": self.path, "status": code,
                                    "auth": self.headers.get("Authorization"), "body": body}) + "\n")

        def answer(self, code, obj, body):
            self.note(code, body)
            data = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def drop(self, body):
            self.note(0, body)
            self.close_connection = True  # no answer at all: the client sees an empty reply

        def do_PUT(self):
            data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            prefix = "/api/2.0/mlflow-artifacts/artifacts/"
            path = urlparse(self.path).path
            if not path.startswith(prefix) or ".." in path:
                return self.answer(404, {"error_code": "ENDPOINT_NOT_FOUND"}, None)
            dest = os.path.join(os.path.dirname(record), "artifacts", path[len(prefix):])
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "wb") as f:
                f.write(data)
            self.answer(200, {}, {"bytes": len(data)})

        def do_GET(self):
            url = urlparse(self.path)
            if url.path == "/api/2.0/mlflow/runs/get":
                rid = parse_qs(url.query)["run_id"][0]
                if rid not in state["runs"]:
                    return self.answer(404, {"error_code": "RESOURCE_DOES_NOT_EXIST"}, None)
                return self.answer(200, {"run": {"info": state["runs"][rid]["info"]}}, None)
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
                if mode == "echo-auth":
                    headers = "".join(f"{k}: {v}\n" for k, v in self.headers.items())
                    return self.answer(403, {"error_code": "PERMISSION_DENIED",
                                             "message": "denied; request was:\n" + headers}, body)
                rid = uuid.uuid4().hex
                info = {"run_id": rid, "experiment_id": body["experiment_id"], "status": "RUNNING",
                        "artifact_uri": "mlflow-artifacts:/%s/%s/artifacts" % (body["experiment_id"], rid)}
                state["runs"][rid] = {"create": body, "info": info}
                return self.answer(200, {"run": {"info": info}}, body)
            if path == "/api/2.0/mlflow/runs/log-batch":
                with lock:
                    fail = state["fails_left"] > 0 and bool(body.get("metrics"))
                    if fail:
                        state["fails_left"] -= 1
                        state["failed"] += 1
                    nth = state["failed"]
                if fail:
                    if nth % 2 == 0:
                        return self.drop(body)
                    return self.answer(503, {"error_code": "TEMPORARILY_UNAVAILABLE"}, body)
                return self.answer(200, {}, body)
            if path == "/api/2.0/mlflow/runs/update":
                if body["run_id"] in state["runs"]:
                    state["runs"][body["run_id"]]["info"]["status"] = body["status"]
                return self.answer(200, {"run_info": {"run_id": body["run_id"], "status": body["status"]}}, body)
            self.answer(404, {"error_code": "ENDPOINT_NOT_FOUND"}, body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:])
