"""Operations of the skills registry: public skills, and private ones behind a capability URL."""
from app.openapi.operation import JSON, Op
from app.openapi.security import PUBLIC
from app.skills.body import ImportSkillSchema
from app.skills.schemas import ImportedSkillSchema, SkillListingSchema

TAG = "Skills registry"
MARKDOWN = "text/markdown; charset=utf-8"
DOCUMENT = {MARKDOWN: {"type": "string", "description": "The SKILL.md, byte for byte"}}
LISTING = {MARKDOWN: {"type": "string", "description": "A markdown list of the skills (the default)"},
           "application/json": SkillListingSchema}
NAME = {"name": "name", "in": "path", "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": 64, "example": "example-skill"},
        "description": "A skill name: lowercase letters, digits and hyphens."}
ACCESS_KEY = {"name": "access_key", "in": "path", "required": True,
              "schema": {"type": "string", "minLength": 1, "example": "SKILLS-ACCESS-KEY-PLACEHOLDER"},
              "description": "The capability: the user's skills access key (an unknown key is a 404)."}
CAPABILITY = "The access key in the URL is the credential (a capability URL): anyone holding it may act."


def _op(endpoint, method, summary, ok, errors=(404,), **kwargs):
    return Op(f"skills.{endpoint}", method, summary, TAG, JSON, ok, errors, PUBLIC, **kwargs)


OPERATIONS = [
    _op("public_index", "GET", "The public skills (markdown, or JSON by Accept)", {200: LISTING, 304: None}, ()),
    _op("public_skill", "GET", "One public SKILL.md", {200: DOCUMENT, 304: None}, params=[NAME]),
    _op("private_index", "GET", "The key holder's skills", {200: LISTING, 304: None}, params=[ACCESS_KEY],
        description=CAPABILITY),
    _op("private_skill", "GET", "One of the key holder's SKILL.md documents", {200: DOCUMENT, 304: None},
        params=[ACCESS_KEY, NAME], description=CAPABILITY),
    _op("delete_skill", "DELETE", "Delete one of the key holder's skills", {204: None}, params=[ACCESS_KEY, NAME],
        description=CAPABILITY),
    _op("import_skill", "POST", "Save a SKILL.md (201 new, 200 replaced)",
        {200: ImportedSkillSchema, 201: ImportedSkillSchema}, (400, 404, 413, 415), params=[ACCESS_KEY],
        body={"text/markdown": {"type": "string", "example": "---\nname: example-skill\ndescription: An example."
                                                            "\n---\n# Example\n"},
              "application/json": ImportSkillSchema},
        description=CAPABILITY + " The body is the raw SKILL.md, or JSON {\"markdown\": ...}."),
]
