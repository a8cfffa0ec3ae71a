"""Usage API blueprint: /usage, /usage/<id>, /usage/accounts/<id>/activate (SPEC §5)."""
from flask import Blueprint

bp = Blueprint("usage_api", __name__)
