"""foraldrastod's outside: everything that serves `engine` to people and systems.

One package per surface, over one core (docs/arkitektur.md has the picture):

    service/app.py         the composition root: create_app() puts every surface into the app
    service/cli/           the `foraldrastod` command: every subcommand, the Swedish argparse
                           (sv.py), the workspace commands, the feature runner (features.py)
    service/workspace/     /redaktion: drafts, review, publishing, versions, users, audit (its store)
    service/pages/         the staff pages: / and its answer, /kartlaggning, /strategi, /docs;
                           their templates/ and static/
    service/integrations/  CDS Hooks (cds, cds_auth, fhir) and Open Referral HSDS (hsds)
    service/api/           the v1 JSON API: routes, schemas, admin (health, metrics, reload)
    service/core/          the HTTP core: the app (app.py), the served state and its pack source,
                           decisions for every surface (deciding.py), Jinja2 (templating.py),
                           limits, errors, metrics, logs, the uvicorn runner and server
    service/templates/     base.html (the one layout) and macros/

The import rule (pyproject.toml [tool.importlinter], checked by tests/test_layers.py): a package
imports `engine` and the packages below it, never above; pages, integrations and api never
import each other (they share decisions through service.core.deciding); core imports no surface.
`engine` imports nothing of `service`.
"""
