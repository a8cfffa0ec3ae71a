"""Machines: creation, token rotation, revocation and lookup by proxy token."""
from sqlalchemy import select

from app.extensions import db
from app.models import Machine
from app.models.base import utcnow
from app.services.credentials.secrets import PROXY_TOKEN, mint_secret
from app.services.errors import Conflict, InvalidInput, NotFound

MAX_NAME_LENGTH = 120


def _clean_name(name):
    name = (name or "").strip()
    if not name:
        raise InvalidInput("machine name must not be empty", fields={"name": ["Must not be empty."]})
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"machine name must be at most {MAX_NAME_LENGTH} characters",
                           fields={"name": [f"At most {MAX_NAME_LENGTH} characters."]})
    if any(ord(ch) < 32 for ch in name):
        raise InvalidInput("machine name must not contain control characters",
                           fields={"name": ["Must not contain control characters."]})
    return name


def create_machine(user, name, *, passthrough=False):
    """Create a machine for `user`; returns (machine, plaintext cct_ proxy token)."""
    minted = mint_secret(PROXY_TOKEN)
    machine = Machine(user_id=user.id, name=_clean_name(name), passthrough=bool(passthrough),
                      token_digest=minted.digest, token_prefix=minted.display_prefix)
    db.session.add(machine)
    db.session.commit()
    return machine, minted.token


def list_machines(user, *, include_revoked=True):
    """The user's machines, newest first."""
    query = select(Machine).where(Machine.user_id == user.id)
    if not include_revoked:
        query = query.where(Machine.revoked_at.is_(None))
    return list(db.session.scalars(query.order_by(Machine.created_at.desc(), Machine.id.desc())))


def get_machine(user, machine_id):
    """One of the user's machines; NotFound for unknown ids and other users' machines alike."""
    machine = db.session.get(Machine, machine_id) if isinstance(machine_id, int) else None
    if machine is None or machine.user_id != user.id:
        raise NotFound(f"no machine with id {machine_id}")
    return machine


def rotate_machine_token(user, machine_id):
    """Give a machine a new proxy token, killing the old one; returns (machine, plaintext)."""
    machine = get_machine(user, machine_id)
    if machine.is_revoked:
        raise Conflict(f"machine {machine.id} is revoked; create a new machine instead")
    minted = mint_secret(PROXY_TOKEN)
    machine.token_digest = minted.digest
    machine.token_prefix = minted.display_prefix
    machine.token_rotated_at = utcnow()
    db.session.commit()
    return machine, minted.token


def revoke_machine(user, machine_id):
    """Kill a machine's token for good; its usage history stays. Revoking twice is harmless."""
    machine = get_machine(user, machine_id)
    if not machine.is_revoked:
        machine.token_digest = None
        machine.revoked_at = utcnow()
        db.session.commit()
    return machine


def set_machine_passthrough(user, machine_id, passthrough):
    """Switch a machine between pooled credentials and passing its own login through."""
    machine = get_machine(user, machine_id)
    machine.passthrough = bool(passthrough)
    db.session.commit()
    return machine
