from bosun.cli.app import run

run()
