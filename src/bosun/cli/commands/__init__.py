"""One module per command group; each defines `register(root: typer.Typer)`."""
