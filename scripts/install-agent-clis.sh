#!/usr/bin/env bash
# Install the real agent CLIs (Claude Code, Codex, Gemini CLI) at pinned versions into a
# cache directory, for the tests that run them against `bosun model serve`.
#   BOSUN_CLI_DIR   where to install (default ~/.cache/bosun/agent-clis); binaries land in
#                   $BOSUN_CLI_DIR/node_modules/.bin
# Idempotent: skips npm when every pinned version is already installed. Prints each version.
set -euo pipefail

CLAUDE_CODE_VERSION=2.1.332
CODEX_VERSION=0.171.0
GEMINI_CLI_VERSION=0.61.0

dir="${BOSUN_CLI_DIR:-$HOME/.cache/bosun/agent-clis}"
mkdir -p "$dir"

installed_version() {  # package -> version in $dir, or nothing
  local manifest="$dir/node_modules/$1/package.json"
  [ -f "$manifest" ] && node -p "require(process.argv[1]).version" "$manifest" 2>/dev/null || true
}

if ! command -v npm >/dev/null 2>&1; then
  echo "install-agent-clis: npm not found; install Node.js >= 20 (e.g. apt-get install nodejs npm)" >&2
  exit 2
fi

want=("@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" "@openai/codex@$CODEX_VERSION"
      "@google/gemini-cli@$GEMINI_CLI_VERSION")
missing=()
for spec in "${want[@]}"; do
  pkg="${spec%@*}"
  [ "$(installed_version "$pkg")" = "${spec##*@}" ] || missing+=("$spec")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-agent-clis: installing ${missing[*]} into $dir"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "${want[@]}" >&2
fi

bin="$dir/node_modules/.bin"
for tool in claude codex gemini; do
  if [ ! -x "$bin/$tool" ]; then
    echo "install-agent-clis: $bin/$tool missing after install" >&2
    exit 1
  fi
  echo "$tool $("$bin/$tool" --version 2>/dev/null | head -n1)"
done
echo "install-agent-clis: binaries in $bin"
