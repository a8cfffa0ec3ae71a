"""The Skills page: the user's skills access key (reveal, rotate) and their skills (routes on the pages blueprint).

The capability URL holds the key, so it (and every private skill link built from it) is rendered
only into the response of the reveal or rotate that produced it, like any other secret here.
"""
from flask import render_template, request
from flask_login import current_user

from app.dashboard.pages import back, bp
from app.services.skills import registry as skills
from app.skills.urls import capability_url, shared_public_skill_url


def _render_skills(status=200, **extra):
    return render_template("dashboard/skills.html", row=skills.get_access_key(current_user),
                           skills=skills.list_user_skills(current_user), public_url=shared_public_skill_url,
                           **extra), status


@bp.get("/skills")
def skills_page():
    """The access key's prefix and age, reveal and rotate buttons, and the user's skills."""
    return _render_skills()


@bp.post("/skills/access-key/reveal")
def reveal_skills_key():
    """Show the capability URL (in this response only)."""
    key = skills.reveal_access_key(current_user)
    return _render_skills(revealed={"url": capability_url(key), "rotated": False})


@bp.route("/skills/access-key/rotate", methods=["GET", "POST"])
def rotate_skills_key():
    """Ask, then replace the access key (or mint the first one) and show the new capability URL."""
    row = skills.get_access_key(current_user)
    if request.method == "GET":
        return render_template(
            "dashboard/confirm.html", title="Rotate your skills access key?", action_label="Rotate access key",
            explanation=(f"Your capability URL (…/me/{row.key_prefix}…/) stops working at once: agents and "
                         "scripts using it get 404 until you give them the new one. Your skills are kept."
                         if row else "This creates your first capability URL."),
            cancel=".skills_page")
    key = skills.rotate_access_key(current_user)
    return _render_skills(revealed={"url": capability_url(key), "rotated": row is not None})


@bp.route("/skills/<name>/delete", methods=["GET", "POST"])
def delete_skill(name):
    """Ask, then delete one of the user's skills (its public page too, if it was published)."""
    skill = skills.get_user_skill(current_user, name)
    if request.method == "GET":
        return render_template(
            "dashboard/confirm.html", title=f"Delete skill {skill.name}?", action_label="Delete skill",
            explanation=("It is deleted for good" + (", and leaves the public list." if skill.is_public else ".")
                         + " Agents fetching it get 404."),
            cancel=".skills_page")
    skills.delete_user_skill(current_user, name)
    return back(".skills_page", f"Deleted skill {name}.")
