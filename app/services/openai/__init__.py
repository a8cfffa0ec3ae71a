"""The OpenAI-compatible side: keys, catalogue, access, the chat relay and its stream, metering, errors."""
