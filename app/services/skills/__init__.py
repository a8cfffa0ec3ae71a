"""The skills registry: SKILL.md documents and who may read, write and publish them."""
