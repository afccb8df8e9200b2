"""Proxy overhead on loopback: direct vs nginx vs the sidecar (monitoring off and on), one run, one model server.

Targets, all in front of the same ``tests.support.model_server`` process (aiohttp + numpy logistic model,
20 features, stdlib event loop):

- ``direct``: the model server itself (the baseline of every ratio);
- ``nginx``: Debian ``nginx-light`` as a plain reverse proxy (1 worker, upstream keepalive 64, HTTP/1.1);
- ``naive``: an aiohttp ``ClientSession`` proxy reading bodies fully (``--with-naive``; the research anchor);
- ``sidecar-off``: ``modelmonitor-proxy --no-monitoring`` (forwarding only);
- ``sidecar-on``: ``modelmonitor-proxy`` with the recorder (20 features discovered from the bodies);
- ``sidecar-on-asyncio``: the same on the stdlib event loop instead of uvloop (``--compare-loops``).

Measures, per protocol (KServe v1, OIP v2; one row of 20 floats per request):

- throughput with ``wrk -t1 -c16`` for ``--duration`` s, ``--rounds`` interleaved rounds (targets shuffled per
  round); the ratio to direct is paired within a round, and the median over rounds is reported;
- the proxy's CPU per request: CPU seconds of the proxy process(es) during the wrk run / requests (psutil);
- added latency at concurrency 1: ``http.client`` keep-alive, ``--cycles`` cycles × ``--requests`` requests per
  target; added p50 = median over cycles of (target p50 − direct p50), added p99 = pooled p99 difference.

Needs ``wrk`` and ``nginx`` (``apt-get install -y nginx-light wrk``); a missing one drops its target.
Run: ``PYTHONPATH=operator:sidecar:. python benchmarks/bench_proxy.py`` (about 4 minutes; ``--quick`` ≈ 1 minute).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
FEATURES = 20
ROW = [round(0.1 * i - 1.0, 3) for i in range(FEATURES)]
BODIES = {
    "v1": ("/v1/models/m:predict", json.dumps({"instances": [ROW]})),
    "v2": (
        "/v2/models/m/infer",
        json.dumps({"inputs": [{"name": "input-0", "shape": [1, FEATURES], "datatype": "FP64", "data": ROW}]}),
    ),
}

NAIVE_PROXY = """
import sys, aiohttp
from aiohttp import web
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization",
       "proxy-authenticate", "content-length", "host"}
async def main():
    session = aiohttp.ClientSession(sys.argv[1], auto_decompress=False)
    async def handle(request):
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        async with session.request(request.method, request.rel_url, data=body, headers=headers) as upstream:
            data = await upstream.read()
            out = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP}
            return web.Response(status=upstream.status, body=data, headers=out)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app
web.run_app(main(), host="127.0.0.1", port=int(sys.argv[2]), access_log=None, print=None)
"""

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fcgi;
    uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
    upstream model {{ server 127.0.0.1:{upstream}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://model;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing on port {port}")


@dataclass
class Target:
    name: str
    port: int
    process: subprocess.Popen[bytes] | None
    rps: dict[str, list[float]] = field(default_factory=dict)
    ratio: dict[str, list[float]] = field(default_factory=dict)
    cpu_us: dict[str, list[float]] = field(default_factory=dict)
    added_p50: dict[str, list[float]] = field(default_factory=dict)
    latencies: dict[str, list[float]] = field(default_factory=dict)

    def cpu_seconds(self) -> float:
        if self.process is None:
            return 0.0
        proc = psutil.Process(self.process.pid)
        total = 0.0
        for p in [proc, *proc.children(recursive=True)]:
            times = p.cpu_times()
            total += times.user + times.system
        return total


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "operator"), str(ROOT / "sidecar"), str(ROOT)])
    return env


def start(command: Sequence[str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as handle:
        process = subprocess.Popen(list(command), cwd=ROOT, env=child_env(), stdout=handle, stderr=handle)
    wait_for_port(port, process)
    return process


def wrk_script(tmp: Path, protocol: str) -> Path:
    _, body = BODIES[protocol]
    script = tmp / f"{protocol}.lua"
    script.write_text(
        f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\nwrk.headers["Content-Type"] = "application/json"\n'
    )
    return script


def run_wrk(target: Target, protocol: str, script: Path, duration: float) -> tuple[float, float]:
    path, _ = BODIES[protocol]
    before = target.cpu_seconds()
    out = subprocess.run(
        ["wrk", "-t1", "-c16", f"-d{duration:g}s", "-s", str(script), f"http://127.0.0.1:{target.port}{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    after = target.cpu_seconds()
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{target.name}: {errors.group(1)} non-2xx responses under wrk")
    return requests / duration, (after - before) / max(requests, 1) * 1e6


def closed_loop(port: int, protocol: str, count: int) -> list[float]:
    path, body = BODIES[protocol]
    data = body.encode()
    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Content-Type": "application/json"}
    samples = []
    for _ in range(10):  # warm the connection
        conn.request("POST", path, data, headers)
        conn.getresponse().read()
    for _ in range(count):
        t0 = time.perf_counter_ns()
        conn.request("POST", path, data, headers)
        response = conn.getresponse()
        response.read()
        samples.append((time.perf_counter_ns() - t0) / 1000.0)
        if response.status != 200:
            raise RuntimeError(f"port {port}: status {response.status}")
    conn.close()
    return samples


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--cycles", type=int, default=15, help="closed-loop cycles per protocol")
    parser.add_argument("--requests", type=int, default=200, help="closed-loop requests per target per cycle")
    parser.add_argument("--protocols", default="v1,v2")
    parser.add_argument("--with-naive", action="store_true", help="also measure a naive aiohttp proxy")
    parser.add_argument("--no-uvloop", action="store_true", help="run the sidecar on the stdlib loop")
    parser.add_argument(
        "--compare-loops", action="store_true", help="also measure the monitoring sidecar on the stdlib asyncio loop"
    )
    parser.add_argument("--quick", action="store_true", help="1 round × 3 s, 5 cycles (a smoke run)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.duration, args.cycles = 1, 3.0, 5
    protocols = args.protocols.split(",")
    if shutil.which("wrk") is None:
        parser.error("wrk is required: apt-get install -y wrk")
    rng = random.Random(args.seed)

    tmp = Path(tempfile.mkdtemp(prefix="bench-proxy-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        model_port = free_port()
        command = [sys.executable, "-m", "tests.support.model_server", "--port", str(model_port)]
        model = start([*command, "--features", str(FEATURES)], model_port, tmp / "model.log")
        processes.append(model)
        upstream = f"http://127.0.0.1:{model_port}"
        targets = [Target("direct", model_port, model)]

        if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
            port = free_port()
            conf = tmp / "nginx.conf"
            conf.write_text(NGINX_CONF.format(tmp=tmp, upstream=model_port, port=port))
            nginx = shutil.which("nginx") or "/usr/sbin/nginx"
            process = start([nginx, "-c", str(conf), "-p", str(tmp)], port, tmp / "nginx.log")
            processes.append(process)
            targets.append(Target("nginx", port, process))
        else:
            print("nginx not found: skipping the nginx target", file=sys.stderr)

        if args.with_naive:
            port = free_port()
            script = tmp / "naive.py"
            script.write_text(NAIVE_PROXY)
            process = start([sys.executable, str(script), upstream, str(port)], port, tmp / "naive.log")
            processes.append(process)
            targets.append(Target("naive", port, process))

        loop_flag = ["--no-uvloop"] if args.no_uvloop else []
        sidecars: list[tuple[str, list[str]]] = [("sidecar-off", ["--no-monitoring"]), ("sidecar-on", [])]
        if args.compare_loops:
            sidecars.append(("sidecar-on-asyncio", ["--no-uvloop"]))
        for name, extra in sidecars:
            port = free_port()
            command = [
                sys.executable, "-m", "modelmonitor_proxy", "--upstream", upstream,
                "--listen", f"127.0.0.1:{port}", "--log-level", "WARNING", *extra, *loop_flag,
            ]  # fmt: skip
            process = start(command, port, tmp / f"{name}.log")
            processes.append(process)
            targets.append(Target(name, port, process))

        direct = targets[0]
        for protocol in protocols:
            script = wrk_script(tmp, protocol)
            for target in targets:  # warm-up: imports, JIT-less caches, connection pools
                run_wrk(target, protocol, script, 1.0)
            for round_index in range(args.rounds):
                order = targets[:]
                rng.shuffle(order)
                results = {}
                for target in order:
                    results[target.name] = run_wrk(target, protocol, script, args.duration)
                for target in targets:
                    rps, cpu = results[target.name]
                    target.rps.setdefault(protocol, []).append(rps)
                    target.ratio.setdefault(protocol, []).append(rps / results["direct"][0])
                    target.cpu_us.setdefault(protocol, []).append(cpu)
                print(f"[{protocol}] round {round_index + 1}/{args.rounds} done", file=sys.stderr)
            for _ in range(args.cycles):
                order = targets[:]
                rng.shuffle(order)
                cycle = {t.name: closed_loop(t.port, protocol, args.requests) for t in order}
                direct_p50 = statistics.median(cycle["direct"])
                for target in targets:
                    target.latencies.setdefault(protocol, []).extend(cycle[target.name])
                    target.added_p50.setdefault(protocol, []).append(statistics.median(cycle[target.name]) - direct_p50)
            print(f"[{protocol}] latency cycles done", file=sys.stderr)

        print(render(targets, direct, protocols, args))
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def render(targets: list[Target], direct: Target, protocols: list[str], args: argparse.Namespace) -> str:
    med: Callable[[Sequence[float]], float] = statistics.median
    lines = [
        f"Proxy overhead, loopback, {FEATURES}-feature bodies; wrk -t1 -c16 {args.rounds}×{args.duration:g}s "
        f"interleaved rounds; closed loop {args.cycles}×{args.requests} requests per target.",
        "",
        "| protocol | target | req/s (median) | ratio vs direct (median [min–max]) | proxy CPU µs/req | "
        "added p50 µs | added p99 µs |",
        "|---|---|---|---|---|---|---|",
    ]
    for protocol in protocols:
        direct_p99 = percentile(direct.latencies[protocol], 99)
        for target in targets:
            ratios = target.ratio[protocol]
            if target is direct:
                p50 = med(direct.latencies[protocol])
                cpu = f"(model {med(target.cpu_us[protocol]):.0f})"
                added = f"(direct p50 {p50:.0f})"
                added99 = f"(direct p99 {direct_p99:.0f})"
            else:
                cpu = f"{med(target.cpu_us[protocol]):.0f}"
                added = f"{med(target.added_p50[protocol]):+.0f}"
                added99 = f"{percentile(target.latencies[protocol], 99) - direct_p99:+.0f}"
            lines.append(
                f"| {protocol} | {target.name} | {med(target.rps[protocol]):,.0f} | "
                f"{med(ratios):.2f} [{min(ratios):.2f}–{max(ratios):.2f}] | {cpu} | {added} | {added99} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
