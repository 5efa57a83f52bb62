"""The v1 JSON API: /v1/recommendations, the catalogue (/v1/needs, /v1/insatser, /v1/kommuner,
/v1/rules), health, metrics and reload. Imports `engine` and `service.core`."""
