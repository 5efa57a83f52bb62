"""The staff pages: the form and its answer (/), /kartlaggning, /strategi, the offline API docs,
with their templates and static files. Imports `engine` and `service.core`."""
