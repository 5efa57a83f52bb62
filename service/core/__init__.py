"""The HTTP core: the served state (engine, pack source, reloads), limits, errors, metrics, logs,
the uvicorn runner and server. Imports `engine` and nothing else of `service`."""
