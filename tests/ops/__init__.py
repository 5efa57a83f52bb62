"""Operations tests (issue 21): faults with real processes, migrations, backups, deployment files."""
