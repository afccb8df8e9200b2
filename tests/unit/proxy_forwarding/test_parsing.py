"""Pure parsing in the proxy: response heads, hop-by-hop filtering, addresses, CLI settings.

We test these aspects:
- response heads: status, reason, framing (Content-Length, chunked, until close), keep-alive rules,
  body-less responses (HEAD, 1xx, 204, 304), and every malformed head is an UpstreamError naming it;
- end_to_end drops hop-by-hop headers and those named in Connection, keeps order and Content-Length on request;
- --upstream and --listen parsing, with clear errors;
- settings: flags over environment over config; cohort validation.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from modelmonitor_proxy.__main__ import parse_listen, read_settings
from modelmonitor_proxy.app import parse_upstream
from modelmonitor_proxy.upstream import UpstreamError, _parse_head, end_to_end


def head(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@pytest.mark.parametrize(
    ("raw", "method", "want"),
    [
        (head("HTTP/1.1 200 OK", "Content-Length: 5"), "GET", (200, "OK", 5, False, True, False)),
        (head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked"), "GET", (200, "OK", None, True, True, False)),
        (head("HTTP/1.1 200 OK"), "GET", (200, "OK", None, False, False, False)),
        (head("HTTP/1.0 200 OK", "Content-Length: 1"), "GET", (200, "OK", 1, False, False, False)),
        (
            head("HTTP/1.0 200 OK", "Connection: keep-alive", "Content-Length: 1"),
            "GET",
            (200, "OK", 1, False, True, False),
        ),
        (head("HTTP/1.1 200 OK", "Connection: close", "Content-Length: 1"), "GET", (200, "OK", 1, False, False, False)),
        (head("HTTP/1.1 200 OK", "Content-Length: 9"), "HEAD", (200, "OK", 9, False, True, True)),
        (head("HTTP/1.1 204 No Content"), "GET", (204, "No Content", None, False, True, True)),
        (head("HTTP/1.1 304 Not Modified", "Content-Length: 10"), "GET", (304, "Not Modified", 10, False, True, True)),
        (head("HTTP/1.1 200 OK", "Content-Length: 0"), "POST", (200, "OK", 0, False, True, True)),
        (head("HTTP/1.1 418"), "GET", (418, "", None, False, False, False)),
        (head("HTTP/1.1 200 OK", "Content-Length: 3", "Content-Length: 3"), "GET", (200, "OK", 3, False, True, False)),
    ],
)
def test_parse_head(raw: bytes, method: str, want: tuple[object, ...]) -> None:
    status, reason, _, length, chunked, keep_alive, body_done = _parse_head(raw, method)
    assert (status, reason, length, chunked, keep_alive, body_done) == want


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (head("HTTP/2 200 OK"), "bad status line"),
        (head("ICY 200 OK"), "bad status line"),
        (head("HTTP/1.1 2000 OK"), "bad status line"),
        (head("HTTP/1.1 200 OK", "No colon here"), "bad header line"),
        (head("HTTP/1.1 200 OK", " Folded: value"), "bad header line"),
        (head("HTTP/1.1 200 OK", "Content-Length: -1"), "bad Content-Length"),
        (head("HTTP/1.1 200 OK", "Content-Length: 1", "Content-Length: 2"), "bad Content-Length"),
        (head("HTTP/1.1 200 OK", "Content-Length: 1", "Transfer-Encoding: chunked"), "both Content-Length"),
    ],
)
def test_malformed_heads_are_errors(raw: bytes, message: str) -> None:
    with pytest.raises(UpstreamError, match=message) as caught:
        _parse_head(raw, "GET")
    assert caught.value.kind == "protocol"


def test_end_to_end_filters_hop_by_hop() -> None:
    headers = [
        (b"Host", b"a"),
        (b"Connection", b"keep-alive, X-Secret"),
        (b"X-Secret", b"s"),
        (b"Keep-Alive", b"5"),
        (b"Content-Length", b"3"),
        (b"X-Kept", b"1"),
        (b"Transfer-Encoding", b"chunked"),
        (b"x-kept", b"2"),
    ]
    assert end_to_end(headers) == [(b"Host", b"a"), (b"X-Kept", b"1"), (b"x-kept", b"2")]
    assert (b"Content-Length", b"3") in end_to_end(headers, keep_length=True)


@pytest.mark.parametrize(
    ("url", "want"),
    [("http://127.0.0.1:8080", ("127.0.0.1", 8080)), ("http://model/", ("model", 80)), ("http://[::1]:9", ("::1", 9))],
)
def test_parse_upstream(url: str, want: tuple[str, int]) -> None:
    assert parse_upstream(url) == want


@pytest.mark.parametrize("url", ["https://a:1", "127.0.0.1:8080", "http://a:1/v1", "http://a:1?x=1", "http://a:99999"])
def test_parse_upstream_rejects(url: str) -> None:
    with pytest.raises(ValueError, match="--upstream"):
        parse_upstream(url)


@pytest.mark.parametrize(
    ("text", "want"), [("0.0.0.0:8008", ("0.0.0.0", 8008)), ("[::]:1", ("::", 1)), (":9", ("0.0.0.0", 9))]
)
def test_parse_listen(text: str, want: tuple[str, int]) -> None:
    assert parse_listen(text) == want


@pytest.mark.parametrize("text", ["8008", "host:", "host:port", "h:70000"])
def test_parse_listen_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="--listen"):
        parse_listen(text)


def test_settings_precedence() -> None:
    env = {"MODELMONITOR_VERSION": "v9", "MODELMONITOR_COHORT": "canary"}
    settings, config = read_settings(["--upstream", "http://127.0.0.1:1"], env)
    assert (settings.version, settings.cohort, settings.monitoring) == ("v9", "canary", True)
    assert settings.options.path_prefix == "/modelmonitor"
    assert settings.options.max_concurrency == 0
    assert config.monitor == "local"
    settings, _ = read_settings(
        ["--upstream", "http://127.0.0.1:1", "--model-version", "v1", "--cohort", "stable", "--max-concurrency", "7"],
        env,
    )
    assert (settings.version, settings.cohort, settings.options.max_concurrency) == ("v1", "stable", 7)


def test_settings_from_config_file(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"spec": {"target": {"deployment": "d"}, "sidecar": {"pathPrefix": "/mm", "maxConcurrency": 3}}}')
    settings, _ = read_settings(["--upstream", "http://127.0.0.1:1", "--config", str(path)], {})
    assert (settings.options.path_prefix, settings.options.max_concurrency) == ("/mm", 3)


def test_bad_cohort_from_environment(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        read_settings(["--upstream", "http://127.0.0.1:1"], {"MODELMONITOR_COHORT": "blue"})
    assert caught.value.code == 2
    assert "MODELMONITOR_COHORT" in capsys.readouterr().err
