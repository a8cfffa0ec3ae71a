"""Operations of the CLI API (/api/v1/ai/cli/...), authenticated by the ccas_ account key."""
from app.cli_api.schemas import (IssuedMachineSchema, MachineCreateSchema, MachineEnvelopeSchema, MachineListSchema,
                                 MeSchema, UsageTokenSchema)
from app.openapi.operation import JSON, Op
from app.openapi.security import ACCOUNT_KEY
from app.usage_api.schemas import ActivationSchema, PoolUsageSchema

TAG = "CLI API"


def _op(endpoint, method, summary, ok, errors=(), **kwargs):
    return Op(f"cli_api.{endpoint}", method, summary, TAG, JSON, ok, (401, *errors), ACCOUNT_KEY, **kwargs)


OPERATIONS = [
    _op("me", "GET", "Who the account key belongs to", {200: MeSchema}),
    _op("create_machine", "POST", "Create a machine (its proxy token is shown once)", {201: IssuedMachineSchema},
        (400, 409, 413), body=MachineCreateSchema, body_required=False),
    _op("list_machines", "GET", "The caller's machines with their usage over the window", {200: MachineListSchema}),
    _op("get_machine", "GET", "One of the caller's machines", {200: MachineEnvelopeSchema}, (404,)),
    _op("rotate_machine", "POST", "Give a machine a new proxy token (shown once)", {200: IssuedMachineSchema},
        (404, 409)),
    _op("revoke_machine", "POST", "Revoke a machine's token for good", {200: MachineEnvelopeSchema}, (404,)),
    _op("show_usage_token", "GET", "Reveal the caller's usage token", {200: UsageTokenSchema}, (404,)),
    _op("mint_usage_token", "POST", "The usage token, minted now if there was none",
        {200: UsageTokenSchema, 201: UsageTokenSchema}),
    _op("rotate_usage_token", "POST", "Replace the usage token", {200: UsageTokenSchema}),
    _op("pooled_usage", "GET", "The pool's cached usage (as GET /usage serves it)", {200: PoolUsageSchema}),
    _op("activate_account", "POST", "Make a pooled account the globally active one", {200: ActivationSchema},
        (404, 409)),
]
