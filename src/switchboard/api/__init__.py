"""Transports: REST (FastAPI), MCP (Streamable HTTP and stdio). They parse, call a service, shape the answer."""
