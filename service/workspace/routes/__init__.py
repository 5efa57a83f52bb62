"""The routes of /redaktion, one router per area of the workspace (service/workspace/web.py puts
them together under /redaktion). `common` holds what they share: refusals, the database, sessions
and the login check, `render(request_or_ctx, template_name, status=200, **context)` of a page in
`redaktion/layout.html`, and the rules on drafts. A router imports `common` and, where a page
shows another area's part, that router's function (review shows Kontrollera's result); never
the other way round.

| router | pages |
|---|---|
| `drafts` | `/redaktion` (översikt, nytt utkast), `/utkast/{id}` |
| `texts` | `/utkast/{id}/text` (a file as YAML) |
| `features` | `/utkast/{id}/beteendetest…` (Gherkin) |
| `forms` | `/utkast/{id}/fil`, `/regel…`, `/post` (rules, insatser, behov in forms) |
| `checks` | `/utkast/{id}/kontrollera…`, `/effekt…` |
| `review` | `/utkast/{id}/skicka-in`, `/granska`, `/godkann`, `/skicka-tillbaka` |
| `versions` | `/versioner…` |
| `users` | `/logga-in`, `/logga-ut`, `/logg`, `/anvandare` |
| `kommun` | `/kartlaggning…` (samordnare) |
| `omgang` | `/uppfoljning…` (the follow-up round), `/antaganden` (assumption-based rules) |
"""
