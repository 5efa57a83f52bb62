"""foraldrastod's engine: rule pack → validated model → compiled durable_rules → decision.

Pure Python and durable_rules; knows nothing about HTTP.
"""
from .compiler import CompileError, compile_pack
from .executor import DurableExecutor, EngineClosed, EngineError
from .loader import DEFAULT_PACK, FamilyInvalid, Pack, PackError, PackInvalid, load_pack, normalize_name
from .models import Decision, Family, Level, NormalizedFamily, looks_like_personnummer
from .reference import ReferenceEvaluator, rule_matches
from .runtime import Engine, decision_body, decision_json

__all__ = [
    "DEFAULT_PACK", "CompileError", "Decision", "DurableExecutor", "Engine", "EngineClosed",
    "EngineError", "Family", "FamilyInvalid", "Level", "NormalizedFamily", "Pack", "PackError",
    "PackInvalid", "ReferenceEvaluator", "compile_pack", "decision_body", "decision_json", "load_pack",
    "looks_like_personnummer", "normalize_name", "rule_matches",
]
