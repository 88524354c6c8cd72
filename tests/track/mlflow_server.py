"""A stand-in MLflow tracking server for itwin's tests (loopback only).

mlflow_server.py RECORD.jsonl PORT_FILE [FAIL_BATCHES]
Implements the REST endpoints itwin uses (experiments get-by-name/create,
runs create/get/log-batch/update; artifact uploads (PUT mlflow-artifacts, kept
under artifacts/ next to RECORD); the model registry's registered-models
create/get/search/alias and model-versions create/get/search, with searches
answered in pages of at most 2 items), keeps state in memory, appends every request
with its answer to RECORD.jsonl, and answers the first FAIL_BATCHES log-batch
requests that carry metrics with 503 (a server that fails and recovers).
Writes the port it listens on to PORT_FILE once it is ready.
"""
import json
import os
import re
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def main(record, port_file, fail_batches="0"):
    state = {"experiments": {}, "runs": {}, "fails_left": int(fail_batches), "models": {}}
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

        def version_json(self, name, v):
            model = state["models"][name]
            mv = dict(model["versions"][v - 1])
            mv["aliases"] = sorted(a for a, n in model["aliases"].items() if n == v)
            return mv

        def page(self, items, key, q):
            size = min(int(q.get("max_results", ["100"])[0]), 2)
            start = int(q.get("page_token", ["0"])[0])
            out = {key: items[start:start + size]}
            if start + size < len(items):
                out["next_page_token"] = str(start + size)
            return out

        def registry_get(self, path, q):
            models = state["models"]
            if path == "/api/2.0/mlflow/registered-models/search":
                items = [{"name": n, "aliases": [{"alias": a, "version": str(v)} for a, v in sorted(m["aliases"].items())]}
                         for n, m in sorted(models.items())]
                return self.answer(200, self.page(items, "registered_models", q), None)
            if path == "/api/2.0/mlflow/model-versions/search":
                name = re.fullmatch(r"name\s*=\s*'(.*)'", q["filter"][0]).group(1)
                items = [self.version_json(name, v + 1) for v in range(len(models[name]["versions"]))] if name in models else []
                return self.answer(200, self.page(items, "model_versions", q), None)
            name = q.get("name", [""])[0]
            if name not in models:
                return self.answer(404, {"error_code": "RESOURCE_DOES_NOT_EXIST"}, None)
            if path == "/api/2.0/mlflow/registered-models/get":
                aliases = [{"alias": a, "version": str(v)} for a, v in sorted(models[name]["aliases"].items())]
                return self.answer(200, {"registered_model": {"name": name, "aliases": aliases}}, None)
            if path == "/api/2.0/mlflow/model-versions/get":
                v = int(q["version"][0])
                if v > len(models[name]["versions"]):
                    return self.answer(404, {"error_code": "RESOURCE_DOES_NOT_EXIST"}, None)
                return self.answer(200, {"model_version": self.version_json(name, v)}, None)
            return False

        def registry_post(self, path, body):
            models = state["models"]
            if path == "/api/2.0/mlflow/registered-models/create":
                if body["name"] in models:
                    return self.answer(400, {"error_code": "RESOURCE_ALREADY_EXISTS"}, body)
                models[body["name"]] = {"versions": [], "aliases": {}}
                return self.answer(200, {"registered_model": {"name": body["name"]}}, body)
            if body.get("name") not in models:
                return self.answer(404, {"error_code": "RESOURCE_DOES_NOT_EXIST"}, body)
            model = models[body["name"]]
            if path == "/api/2.0/mlflow/model-versions/create":
                mv = {"name": body["name"], "version": str(len(model["versions"]) + 1), "source": body["source"],
                      "run_id": body.get("run_id", ""), "tags": body.get("tags", []), "current_stage": "None",
                      "status": "READY", "creation_timestamp": 1700000000000 + len(model["versions"])}
                model["versions"].append(mv)
                return self.answer(200, {"model_version": self.version_json(body["name"], len(model["versions"]))}, body)
            if path == "/api/2.0/mlflow/registered-models/alias":
                model["aliases"][body["alias"]] = int(body["version"])
                return self.answer(200, {}, body)
            return False

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

        def do_DELETE(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            url = urlparse(self.path)
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            args = {**q, **body}
            if url.path == "/api/2.0/mlflow/registered-models/alias" and args.get("name") in state["models"]:
                state["models"][args["name"]]["aliases"].pop(args["alias"], None)
                return self.answer(200, {}, args)
            self.answer(404, {"error_code": "ENDPOINT_NOT_FOUND"}, args)

        def do_GET(self):
            url = urlparse(self.path)
            if "/registered-models/" in url.path or "/model-versions/" in url.path:
                if self.registry_get(url.path, parse_qs(url.query)) is not False:
                    return
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
            if "/registered-models/" in path or "/model-versions/" in path:
                if self.registry_post(path, body) is not False:
                    return
            if path == "/api/2.0/mlflow/experiments/create":
                eid = str(len(state["experiments"]) + 1)
                state["experiments"][eid] = {"name": body["name"]}
                return self.answer(200, {"experiment_id": eid}, body)
            if path == "/api/2.0/mlflow/runs/create":
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
                if fail:
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
