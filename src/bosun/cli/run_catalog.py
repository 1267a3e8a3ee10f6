"""`bosun run catalog …`: the model catalog that preflight checks models against."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bosun.base.config import default_config
from bosun.base.errors import NotAProject
from bosun.cli.common import JSON, output, project

if TYPE_CHECKING:
    from bosun.core.context import Context


def optional_project() -> Context | None:
    """The project's context, or None outside a project (runs also work without one)."""
    try:
        return project()
    except NotAProject:
        return None


catalog_app = typer.Typer(
    no_args_is_help=True, help="The model catalog preflight checks models against."
)


@catalog_app.command("update")
def catalog_update(
    source: Path = typer.Option(
        ..., "--from", help="A catalog file: bosun's format (TOML/JSON) or LiteLLM's JSON."
    ),
    as_json: bool = JSON,
) -> None:
    """Store FILE as this project's model catalog (.bosun/model_catalog.json)."""
    from bosun.pipeline.catalog import update_catalog  # lazy: CLI start-up time

    ctx = optional_project()
    if ctx is None or ctx.paths is None:
        raise NotAProject(
            "the model catalog is stored per project",
            "run this inside a bosun project, or set pipeline.model_catalog to the file",
        )
    catalog = update_catalog(source, ctx.paths.home)
    models = sum(len(p["models"]) for p in catalog.providers.values())
    output(
        {
            "catalog": catalog.path,
            "version": catalog.version,
            "providers": len(catalog.providers),
            "models": models,
        },
        as_json,
        f"model catalog {catalog.path}: {len(catalog.providers)} providers, {models} models",
    )


@catalog_app.command("show")
def catalog_show(as_json: bool = JSON) -> None:
    """Show the model catalog in use (setting, project copy, or the pinned one)."""
    from bosun.pipeline.catalog import load_catalog  # lazy: CLI start-up time

    ctx = optional_project()
    config = ctx.config if ctx else default_config()
    home = ctx.paths.home if ctx is not None and ctx.paths is not None else None
    catalog = load_catalog(str(config.get("pipeline.model_catalog") or ""), home)
    output(
        {"path": catalog.path, **catalog.to_json()},
        as_json,
        lambda d: "\n".join(
            [f"catalog: {d['path']} (version {d['version']})"]
            + [f"{name}: {', '.join(p['models'])}" for name, p in sorted(d["providers"].items())]
        ),
    )
