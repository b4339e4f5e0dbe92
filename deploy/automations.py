"""Create or update the automations of deploy/automations.yaml on the Prefect server in use.

    python deploy/automations.py --block slack-webhook/newsdesk [--file deploy/automations.yaml] [--dry-run]

``--block`` names an existing notification block (``block-type-slug/block-name``); its id replaces
``block: NOTIFY`` in each action. An automation that already exists under the same name is
replaced, so running this twice leaves one copy of each. ``--dry-run`` validates the file against
Prefect's automation schema and prints what would be sent. Uses ``PREFECT_API_URL`` as every
Prefect command does.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
PLACEHOLDER = "NOTIFY"


def load(path: Path, block_id: str | None) -> list[dict[str, Any]]:
    """The automations of the file with the notification block's id filled in."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    automations = data["automations"] if isinstance(data, dict) else data
    for automation in automations:
        for action in automation.get("actions", []):
            if action.get("block") == PLACEHOLDER:
                action.pop("block")
                # A dry run without a block validates the rest with a stand-in id.
                action["block_document_id"] = block_id or "00000000-0000-0000-0000-000000000000"
    return automations


def validate(automations: list[dict[str, Any]]):
    from prefect.events.schemas.automations import AutomationCore

    return [AutomationCore.model_validate(item) for item in automations]


def apply(automations: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Create each automation, replacing one of the same name. Returns (name, id) pairs."""
    from prefect import get_client

    done = []
    with get_client(sync_client=True) as client:
        for automation in validate(automations):
            for existing in client.read_automations_by_name(automation.name):
                client.delete_automation(existing.id)
            done.append((automation.name, str(client.create_automation(automation))))
    return done


def block_id(slug: str) -> str:
    from prefect import get_client

    block_type, _, name = slug.partition("/")
    if not name:
        raise SystemExit(f"--block {slug!r}: give block-type-slug/block-name, e.g. slack-webhook/newsdesk")
    with get_client(sync_client=True) as client:
        try:
            return str(client.read_block_document_by_name(name=name, block_type_slug=block_type).id)
        except Exception as exc:  # ObjectNotFound and friends: one line, not a traceback
            raise SystemExit(f"no notification block {slug!r} on this Prefect server ({exc})") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--block", help="notification block, block-type-slug/block-name (required unless --dry-run)")
    parser.add_argument("--file", default=str(HERE / "automations.yaml"), help="the automations file")
    parser.add_argument("--dry-run", action="store_true", help="validate and print, create nothing")
    args = parser.parse_args(argv)
    if args.dry_run:
        automations = load(Path(args.file), None)
        validate(automations)
        json.dump(automations, sys.stdout, indent=1)
        print()
        return 0
    if not args.block:
        parser.error("--block is required (or --dry-run)")
    for name, automation_id in apply(load(Path(args.file), block_id(args.block))):
        print(f"{name}: {automation_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
