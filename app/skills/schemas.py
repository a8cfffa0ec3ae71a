"""Marshmallow schemas of the registry's JSON bodies (listings and the import response), for /openapi.json."""
from marshmallow import Schema, fields


class SkillEntrySchema(Schema):
    name = fields.String(required=True)
    description = fields.String(required=True)
    url = fields.String(required=True)
    size = fields.Integer(required=True)
    etag = fields.String(required=True)
    updated_at = fields.DateTime(required=True, allow_none=True)
    public = fields.Boolean(metadata={"description": "Private listings only"})


class SkillListingSchema(Schema):
    skills = fields.List(fields.Nested(SkillEntrySchema), required=True)


class ImportedSkillSchema(SkillEntrySchema):
    created = fields.Boolean(required=True)
    public_url = fields.String()

