"""Server-rendered pages for signed-in users: sign-in, overview, usage token, pooled accounts.

Forms post back here (with the CSRF token) and work without JavaScript. A secret that was
just created, rotated or revealed is rendered into that one response (never stored in the
session or flashed) and the response is not cached.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.dashboard.chart import build_spend_chart
from app.dashboard.schemas import AccountUpdateSchema, LoginSchema, UsageTokenActionSchema, load
from app.dashboard.security import page_guard, public, safe_next
from app.dashboard.session import end_session, start_session
from app.models.base import utcnow
from app.services.credentials import user_tokens
from app.services.pool import accounts as pool
from app.services import reports
from app.services.accounts import sign_in
from app.services.accounts import users
from app.services.errors import InvalidInput, RateLimited, Unauthenticated
from app.services.pool.usage_snapshot import account_snapshot

bp = Blueprint("pages", __name__, url_prefix="/dashboard")
bp.before_request(page_guard())


def form_data(*names, checkboxes=()):
    """The named fields of the posted form, blanks left out; checkboxes become true/false."""
    data = {}
    for name in names:
        value = request.form.get(name, "").strip()
        if value:
            data[name] = value
    for name in checkboxes:
        data[name] = name in request.form
    return data


def back(endpoint, message, category="success", **values):
    """Flash a message and redirect (POST/redirect/GET) to a page."""
    flash(message, category)
    return redirect(url_for(endpoint, **values))


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """The sign-in form; signing in replaces the session and goes where the user was headed."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for(".overview"))
    error, status, headers = None, 200, {}
    if request.method == "POST":
        try:
            data = load(LoginSchema(), form_data("email", "password"))
            user = sign_in.sign_in(data["email"], data["password"], request.remote_addr)
        except InvalidInput:
            error, status = "Enter your email and password.", 400
        except (Unauthenticated, RateLimited) as exc:
            # The throttle's Retry-After goes out with the page, as the JSON API sends it.
            error, status, headers = exc.message, exc.status, exc.headers
        else:
            start_session(user)
            return redirect(safe_next(request.form.get("next")) or url_for(".overview"))
    return render_template("dashboard/login.html", error=error, email=request.form.get("email", ""),
                           next=request.values.get("next", "")), status, headers


@bp.post("/logout")
def logout():
    """Sign out."""
    end_session()
    return back(".login", "You are signed out.")


def _render_overview(status=200, **extra):
    now = utcnow()
    summary = reports.spend_summary(current_user, now)
    days = reports.spend_by_day(current_user, now)
    claude = reports.total_usage(reports.machine_usage(current_user, now))
    return render_template("dashboard/overview.html", summary=summary, days=days, claude=claude,
                           chart=build_spend_chart(days, summary.cap_micro_usd), **extra), status


@bp.get("/")
def overview():
    """Spend against the cap over the window (a chart), the balance and the overage controls."""
    return _render_overview()


@bp.post("/overage")
def update_overage():
    """Opt in or out of metered overage and set its cap."""
    try:
        data = load(AccountUpdateSchema(), form_data("overage_cap_usd", checkboxes=["overage_enabled"]))
    except InvalidInput as exc:
        return _render_overview(400, overage_errors=exc.fields)
    users.update_user(current_user, overage_enabled=data["overage_enabled"],
                      overage_cap_micro_usd=data.get("overage_cap_usd"))
    state = "on" if current_user.overage_enabled else "off"
    return back(".overview", f"Overage is {state}.")


@bp.post("/account-key/rotate")
def rotate_account_key():
    """Replace the ccas_ account key and show the new one once."""
    key = user_tokens.rotate_account_key(current_user)
    return _render_overview(new_account_key=key)


def _render_usage_token(status=200, **extra):
    return render_template("dashboard/usage_token.html", row=user_tokens.get_usage_token(current_user),
                           **extra), status


@bp.get("/usage-token")
def usage_token():
    """The usage token's prefix and age, with reveal and rotate buttons."""
    return _render_usage_token()


@bp.post("/usage-token")
def usage_token_action():
    """Reveal the usage token, or rotate it (minting the first one)."""
    data = load(UsageTokenActionSchema(), form_data("action"))
    if data["action"] == "reveal":
        token = user_tokens.reveal_usage_token(current_user)
        return _render_usage_token(token=token, revealed=True)
    token = user_tokens.rotate_usage_token(current_user)
    return _render_usage_token(token=token, rotated=True)


@bp.get("/accounts")
def pooled_accounts():
    """The pooled Claude accounts: 5-hour and 7-day usage bars and which one is active."""
    accounts = [account_snapshot(a) for a in pool.list_pooled_accounts()]
    return render_template("dashboard/accounts.html", accounts=accounts)
