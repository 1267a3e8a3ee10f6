"""The command-line interface: thin commands over core services and engines."""
