"""``modelmonitor rules``: print a ModelMonitor's PrometheusRule (Sloth-style SLO recordings, burn-rate alerts)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from modelmonitor.api.validation import SpecError, parse_spec
from modelmonitor.rules.prometheus_rule import build_prometheus_rule, unsupported_slos


class _RulesDumper(yaml.SafeDumper):
    """Multi-line PromQL as literal blocks, and no YAML anchors: the output is read by people and promtool."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_RulesDumper.add_representer(str, _represent_str)


def dump_yaml(document: Any) -> str:
    """YAML with PromQL expressions in literal blocks."""
    return yaml.dump(document, Dumper=_RulesDumper, sort_keys=False, width=120)


def _pairs(values: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SpecError([f"{option}: expected NAME=VALUE, got {item!r}"])
        pairs[name] = value
    return pairs


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "rules", help="print a PrometheusRule with SLO recording rules and burn-rate alerts for a ModelMonitor"
    )
    parser.add_argument("monitor", type=Path, help="ModelMonitor YAML file")
    parser.add_argument("--namespace", help="namespace of the rule (default: the ModelMonitor's, else 'default')")
    parser.add_argument(
        "--selector",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra label matcher on the sidecar metrics, e.g. namespace=ml (repeatable)",
    )
    parser.add_argument(
        "--label",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="label on the PrometheusRule, e.g. release=prometheus for a ruleSelector (repeatable)",
    )
    parser.add_argument(
        "--groups-only", action="store_true", help="print only the rule groups (a file for promtool check rules)"
    )
    parser.add_argument("--out", type=Path, help="write to this file instead of stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        document = yaml.safe_load(args.monitor.read_text(encoding="utf-8"))
        if not isinstance(document, dict) or document.get("kind") != "ModelMonitor":
            raise SpecError([f"{args.monitor}: not a ModelMonitor manifest (kind: ModelMonitor)"])
        metadata = document.get("metadata") or {}
        name = metadata.get("name")
        if not name:
            raise SpecError([f"{args.monitor}: metadata.name: required field is missing"])
        spec = parse_spec(document.get("spec"))
        namespace = args.namespace or metadata.get("namespace") or "default"
        rule = build_prometheus_rule(
            spec,
            name,
            namespace,
            selector=_pairs(args.selector, "--selector"),
            labels=_pairs(args.label, "--label"),
        )
    except (OSError, yaml.YAMLError, SpecError) as error:
        print(f"modelmonitor rules: {error}", file=sys.stderr)
        return 2
    for slo_name, reason in unsupported_slos(spec):
        print(f"modelmonitor rules: slo {slo_name} skipped: {reason}", file=sys.stderr)
    text = dump_yaml({"groups": rule["spec"]["groups"]} if args.groups_only else rule)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
    return 0
