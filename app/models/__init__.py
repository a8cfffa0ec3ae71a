"""The data model (SPEC §2); importing this package registers every table."""
from app.models.catalogue import LlmModel
from app.models.keys import LlmKey, llm_key_models
from app.models.lease import Lease
from app.models.ledger import ClaudeRequest, LlmRequest, SpendBucket
from app.models.login_throttle import LoginThrottle
from app.models.machine import Machine
from app.models.pool import PooledAccount, PoolState, PoolSwitch
from app.models.skill import Skill, SkillAccessKey
from app.models.tokens import UsageToken
from app.models.user import AiAccount, User

__all__ = [
    "AiAccount", "ClaudeRequest", "Lease", "LlmKey", "LlmModel", "LlmRequest", "LoginThrottle", "Machine",
    "PoolState", "PoolSwitch", "PooledAccount", "Skill", "SkillAccessKey", "SpendBucket", "UsageToken", "User",
    "llm_key_models",
]
