"""The rule pack workspace: database, accounts, drafts, versions, publishing, audit (issue 13)."""
