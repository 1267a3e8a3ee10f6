"""`bosun model serve`: a scripted stand-in for model providers (Anthropic, OpenAI, Gemini).

Real agent CLIs run against it for free and deterministically: a TOML script says what the
"model" answers at each turn (text, a tool call in the CLI's own tool names, or a fault).
"""

from bosun.runtime.modelserver.script import FAULTS, Script, Turn, load_script, parse_script
from bosun.runtime.modelserver.server import ModelServer

__all__ = ["FAULTS", "ModelServer", "Script", "Turn", "load_script", "parse_script"]
