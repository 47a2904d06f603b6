"""Use cases: one module per thing a person or a service asks of the platform.

Entry points (the `trygg` commands in trygg/cli*.py, the FastAPI routes in services/, the Faust agent) only
translate their input into one call of a use case here and its answer into their output. A use case takes
its rules from trygg/domain (pure) and does its I/O through trygg/adapters (the only code that runs SQL,
see that package for who owns which table). Nothing here parses a command line or an HTTP request, and
nothing imports the CLI.
"""
