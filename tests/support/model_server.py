"""A small real model server: a seeded numpy logistic model behind aiohttp, for tests, benchmarks and the demo.

Serves the protocols the sidecar understands, plus plain HTTP probes the proxy tests need::

    POST /v1/models/<m>:predict   KServe v1   {"instances": [[x0, ...], ...]} -> {"predictions": [p, ...]}
    POST /v2/models/<m>/infer     OIP v2      {"inputs": [{"name", "shape", "datatype", "data"}]} -> {"outputs": [...]}
    POST /predict                 json        {"rows": [{"f00": x, ...}, ...]} -> {"scores": [p, ...]}
    GET  /v1/models/<m>, /v2/models/<m>, /v2/health/live, /v2/health/ready, /metrics (the model's own)
    ANY  /echo[...]               JSON of what arrived: method, raw path, headers, body (latin-1), body length
    POST /upload                  streams the body in, answers its length and sha256
    GET  /bytes?n=N               N deterministic bytes with Content-Length
    GET  /stream?chunks=K&size=S  K chunks of S bytes, chunked transfer encoding
    GET  /status/<code>           that status, a small JSON body
    GET  /slow?ms=T               answers after T milliseconds

Switches (all seeded, so runs repeat): ``--error-rate`` answers that fraction of predictions with
500, ``--latency-ms`` delays each prediction, ``--shift`` adds to the logit (prediction drift).

Run: ``python -m tests.support.model_server --port 8080 --features 20 --error-rate 0.05``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from aiohttp import web

MODEL_NAME = "m"


@dataclass(frozen=True, slots=True)
class ModelServerSettings:
    """What the server does; every default gives a healthy, undrifted model."""

    features: int = 20
    model_name: str = MODEL_NAME
    error_rate: float = 0.0
    latency_ms: float = 0.0
    shift: float = 0.0
    seed: int = 7


class LogisticModel:
    """``p = sigmoid(x · w + shift)`` with seeded weights ``w ~ N(0, 1/d)``.

    >>> model = LogisticModel(features=2, seed=1)
    >>> [round(p, 3) for p in model.predict([[0.0, 0.0]])]
    [0.5]
    """

    def __init__(self, features: int, seed: int, shift: float = 0.0) -> None:
        rng = np.random.default_rng(seed)
        self.features = features
        self.weights = rng.normal(0.0, 1.0 / np.sqrt(features), size=features)
        self.shift = shift

    def predict(self, rows: Sequence[Sequence[float]]) -> list[float]:
        x = np.asarray(rows, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.features:
            raise ValueError(f"expected rows of {self.features} numbers, got shape {list(x.shape)}")
        logits = x @ self.weights + self.shift
        return [float(p) for p in 1.0 / (1.0 + np.exp(-logits))]


def _bad_request(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


class ModelServer:
    """The request handlers; state is the model, the seeded error coin and a request counter."""

    def __init__(self, settings: ModelServerSettings) -> None:
        self.settings = settings
        self.model = LogisticModel(settings.features, settings.seed, settings.shift)
        self._coin = random.Random(settings.seed)
        self.predictions = 0

    async def _before_predict(self) -> web.Response | None:
        if self.settings.latency_ms > 0:
            await asyncio.sleep(self.settings.latency_ms / 1000.0)
        if self.settings.error_rate > 0 and self._coin.random() < self.settings.error_rate:
            return web.json_response({"error": "injected model failure"}, status=500)
        return None

    async def kserve_v1(self, request: web.Request) -> web.Response:
        try:
            document = json.loads(await request.read())
            rows = document["instances"]
            predictions = self.model.predict(rows)
        except (ValueError, KeyError, TypeError) as exc:
            return _bad_request(f"invalid KServe v1 request: {exc}")
        failure = await self._before_predict()
        if failure is not None:
            return failure
        self.predictions += len(predictions)
        return web.json_response({"predictions": predictions})

    async def oip_v2(self, request: web.Request) -> web.Response:
        try:
            document = json.loads(await request.read())
            tensor = document["inputs"][0]
            shape = tensor["shape"]
            rows = np.asarray(tensor["data"], dtype=np.float64).reshape(shape).tolist()
            predictions = self.model.predict(rows)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            return _bad_request(f"invalid OIP v2 request: {exc}")
        failure = await self._before_predict()
        if failure is not None:
            return failure
        self.predictions += len(predictions)
        body: dict[str, Any] = {
            "model_name": request.match_info["model"],
            "outputs": [{"name": "predict", "shape": [len(predictions)], "datatype": "FP64", "data": predictions}],
        }
        if isinstance(document.get("id"), str):
            body["id"] = document["id"]
        return web.json_response(body)

    async def json_rows(self, request: web.Request) -> web.Response:
        names = [f"f{i:02d}" for i in range(self.settings.features)]
        try:
            document = json.loads(await request.read())
            rows = [[row[name] for name in names] for row in document["rows"]]
            predictions = self.model.predict(rows)
        except (ValueError, KeyError, TypeError) as exc:
            return _bad_request(f"invalid json request: {exc}")
        failure = await self._before_predict()
        if failure is not None:
            return failure
        self.predictions += len(predictions)
        return web.json_response({"scores": predictions})

    async def metadata(self, request: web.Request) -> web.Response:
        return web.json_response({"name": request.match_info["model"], "ready": True})

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def own_metrics(self, request: web.Request) -> web.Response:
        text = f"model_server_predictions_total {self.predictions}\n"
        return web.Response(text=text, content_type="text/plain")

    async def echo(self, request: web.Request) -> web.Response:
        body = await request.read()
        return web.json_response(
            {
                "method": request.method,
                "path": request.raw_path,
                "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in request.raw_headers],
                "body": body.decode("latin-1"),
                "length": len(body),
            },
            headers={"X-Echo": "1"},
        )

    async def upload(self, request: web.Request) -> web.Response:
        digest = hashlib.sha256()
        length = 0
        async for piece in request.content.iter_any():
            digest.update(piece)
            length += len(piece)
        return web.json_response({"length": length, "sha256": digest.hexdigest()})

    async def bytes_(self, request: web.Request) -> web.Response:
        n = int(request.query.get("n", "1024"))
        return web.Response(body=deterministic_bytes(n), content_type="application/octet-stream")

    async def stream(self, request: web.Request) -> web.StreamResponse:
        chunks = int(request.query.get("chunks", "4"))
        size = int(request.query.get("size", "1024"))
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for index in range(chunks):
            await response.write(deterministic_bytes(size, index))
        await response.write_eof()
        return response

    async def status(self, request: web.Request) -> web.Response:
        code = int(request.match_info["code"])
        if code in (204, 304):
            return web.Response(status=code)
        return web.json_response({"status": code}, status=code)

    async def slow(self, request: web.Request) -> web.Response:
        await asyncio.sleep(float(request.query.get("ms", "100")) / 1000.0)
        return web.json_response({"slept_ms": float(request.query.get("ms", "100"))})


def deterministic_bytes(n: int, salt: int = 0) -> bytes:
    """``n`` bytes that depend only on ``n`` and ``salt`` (tests recompute them to compare)."""
    pattern = hashlib.sha256(f"{n}:{salt}".encode()).digest()
    return (pattern * (n // len(pattern) + 1))[:n]


def create_model_app(settings: ModelServerSettings | None = None) -> web.Application:
    """The aiohttp application serving the model (``client_max_size`` raised for large-body tests)."""
    server = ModelServer(settings or ModelServerSettings())
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.add_routes(
        [
            web.post("/v1/models/{model}:predict", server.kserve_v1),
            web.post("/v2/models/{model}/infer", server.oip_v2),
            web.post("/predict", server.json_rows),
            web.get("/v1/models/{model}", server.metadata),
            web.get("/v2/models/{model}", server.metadata),
            web.get("/v2/health/live", server.health),
            web.get("/v2/health/ready", server.health),
            web.get("/metrics", server.own_metrics),
            web.route("*", "/echo", server.echo),
            web.route("*", "/echo/{tail:.*}", server.echo),
            web.post("/upload", server.upload),
            web.get("/bytes", server.bytes_),
            web.get("/stream", server.stream),
            web.route("*", "/status/{code:\\d{3}}", server.status),
            web.get("/slow", server.slow),
        ]
    )
    return app


def kserve_v1_body(rows: Sequence[Sequence[float]]) -> bytes:
    """A KServe v1 request body for ``rows``."""
    return json.dumps({"instances": [list(row) for row in rows]}).encode()


def oip_v2_body(rows: Sequence[Sequence[float]]) -> bytes:
    """An OIP v2 request body for ``rows`` (one FP64 tensor named ``input-0``)."""
    data = [float(x) for row in rows for x in row]
    width = len(rows[0]) if rows else 0
    tensor = {"name": "input-0", "shape": [len(rows), width], "datatype": "FP64", "data": data}
    return json.dumps({"inputs": [tensor]}).encode()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.model_server", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--model-name", default=MODEL_NAME)
    parser.add_argument("--error-rate", type=float, default=0.0, help="fraction of predictions answered with 500")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to each prediction")
    parser.add_argument("--shift", type=float, default=0.0, help="added to the logit: shifts predictions")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop")
    args = parser.parse_args(argv)
    if not 0.0 <= args.error_rate <= 1.0:
        parser.error("--error-rate must be within [0, 1]")
    settings = ModelServerSettings(
        features=args.features,
        model_name=args.model_name,
        error_rate=args.error_rate,
        latency_ms=args.latency_ms,
        shift=args.shift,
        seed=args.seed,
    )
    loop_factory = None
    if args.uvloop:
        import uvloop

        loop_factory = uvloop.new_event_loop
    web.run_app(
        create_model_app(settings),
        host=args.host,
        port=args.port,
        access_log=None,
        print=lambda text: print(text, file=sys.stderr, flush=True),
        loop=loop_factory() if loop_factory else None,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
