"""``ivr schema``: the JSON Schemas of menus, journeys and policies, for editors.

VS Code's YAML extension (and any editor using yaml-language-server) validates a YAML file
against the schema its ``yaml.schemas`` setting maps to it, shows each field's
description on hover and offers its examples. This command says where the schemas are,
copies them into a repository (so they travel with it), and writes that setting.
"""

from __future__ import annotations

import argparse
import json
import os
from importlib import resources

from ivr.cli.common import Command, Out, write_atomically
from ivr.errors import ConfigError, InputError

#: Each schema, what it describes, and the files it applies to by default.
SCHEMAS = (
    ("menu", "menus", ("menus/**/*.yaml", "menus/**/*.yml")),
    ("journeys", "journeys", ("journeys/**/*.yaml", "journeys/**/*.yml")),
    ("policy", "policies", ("policies/**/*.yaml", "policies/**/*.yml")),
)


def schema_text(name: str) -> str:
    """The shipped ``ivr/schema/NAME.schema.json``."""
    return (resources.files("ivr") / "schema" / f"{name}.schema.json").read_text(
        encoding="utf-8")


def _shipped_path(name: str) -> str:
    return str(resources.files("ivr") / "schema" / f"{name}.schema.json")


def _settings(path: str, schemas: dict[str, list[str]]) -> None:
    """Merge ``yaml.schemas`` into the JSON settings file ``path`` (made if missing)."""
    settings: dict[str, object] = {}
    if os.path.exists(path):
        try:
            with open(path, encoding="utf-8") as fh:
                loaded = json.load(fh)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"cannot read it as plain JSON ({exc})", file=path,
                             hint="settings with comments are not rewritten: add the "
                             "yaml.schemas that `ivr schema` prints by hand") from None
        if not isinstance(loaded, dict):
            raise InputError("the settings are not a JSON object", file=path)
        settings = loaded
    merged = settings.get("yaml.schemas")
    merged = dict(merged) if isinstance(merged, dict) else {}
    merged.update(schemas)
    settings["yaml.schemas"] = merged
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    write_atomically(path, json.dumps(settings, indent=2) + "\n")


def _fixed_part(glob: str) -> str:
    """The folder a glob starts in: ``menus`` of ``menus/**/*.yaml``.

    Examples
    --------
    >>> _fixed_part("menus/**/*.yaml"), _fixed_part("*.ivr.yaml"), _fixed_part("a/b/*.yml")
    ('menus', '', 'a/b')
    """
    parts = glob.split("/")
    fixed = []
    for part in parts[:-1]:
        if any(c in part for c in "*?[{"):
            break
        fixed.append(part)
    return "/".join(fixed)


def cmd_schema(args: argparse.Namespace, out: Out) -> int:
    globs = {"menu": args.menus, "journeys": args.journeys, "policy": args.policies}
    where: dict[str, str] = {}
    for name, _, default in SCHEMAS:
        if args.write:
            try:
                os.makedirs(args.write, exist_ok=True)
            except OSError as exc:
                raise InputError(f"cannot create the folder: {exc.strerror or exc}",
                                 file=args.write) from None
            target = os.path.join(args.write, f"{name}.schema.json")
            write_atomically(target, schema_text(name))
            where[name] = "./" + os.path.relpath(target).replace(os.sep, "/")
        else:
            where[name] = _shipped_path(name)
        globs[name] = globs[name] or list(default)
    schemas = {where[name]: globs[name] for name, _, _ in SCHEMAS}
    if args.settings:
        if not args.write:
            raise ConfigError("--settings needs --write DIR",
                              hint="the settings should name copies in the repository, not "
                              "files inside this Python installation")
        _settings(args.settings, schemas)
    for name, what, _ in SCHEMAS:
        out.line(f"{what}: {where[name]}")
    out.line("")
    out.line("VS Code (YAML extension), in .vscode/settings.json:")
    out.line(json.dumps({"yaml.schemas": schemas}, indent=2))
    folder = _fixed_part(globs["menu"][0])
    schema = where["menu"] if not args.write else os.path.relpath(
        where["menu"], folder or ".").replace(os.sep, "/")
    out.line("")
    out.line(f"or as the first line of a menu file{f' in {folder}/' if folder else ''}:")
    out.line(f"# yaml-language-server: $schema={schema}")
    if args.settings:
        out.line("")
        out.line(f"{args.settings}: yaml.schemas written")
    return 0


def register(command: Command) -> None:
    p = command("schema", cmd_schema,
                "The JSON Schemas of menus, journeys and policies for editors: where they "
                "are, copied into a folder (--write), and the VS Code setting that applies "
                "them (--settings).")
    p.add_argument("--write", metavar="DIR",
                   help="copy the three schemas into this folder (e.g. .vscode/ivr)")
    p.add_argument("--settings", metavar="FILE",
                   help="merge yaml.schemas for the copies into this VS Code settings file "
                   "(e.g. .vscode/settings.json; made if missing)")
    for _, what, default in SCHEMAS:
        p.add_argument(f"--{what}", action="append", metavar="GLOB",
                       help=f"files that are {what} (default: {', '.join(default)}); "
                       "may be given several times")
