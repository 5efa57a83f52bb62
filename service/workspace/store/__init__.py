"""The workspace store: every change to the rule pack goes through these functions.

Each function takes a SQLAlchemy Session first, enforces roles itself and writes the audit
trail; the caller commits (db.session_scope). Messages are Swedish (shown by the command line
and the /redaktion pages). Nothing about a family is ever stored: only pack files, accounts,
drafts, versions and who did what to them.

Roles: redaktor (drafts of anything), granskare (drafts, approves and publishes, never a draft
they wrote or edited), samordnare (their own kommun's availability only), admin (accounts).

The store in parts (each module says its job): `base` (refusals, audit, roles), `versions`,
`users`, `drafts`, `publishing` (checks, approval, publishing, export, audit trail) and `kommun`
(the samordnare's kartläggning). Everything is used as `store.X`, re-exported here."""
from __future__ import annotations

# the names store.py imported, used as store.X by the command line and tests
from .. import auth, featurefiles, packfiles  # noqa: F401
from ..models import (DRAFT_KINDS, ROLES, AuditEvent, Draft, LoginAttempt, PackVersion, Serving, User,  # noqa: F401
                      utcnow)
from .base import (  # noqa: F401
    AVAILABILITY_FILE,
    CheckFailed,
    Conflict,
    EDITORS,
    Invalid,
    KIND_PATHS,
    NotFound,
    OPEN,
    ROLE_TITLES,
    Refused,
    THROTTLE_PER_CLIENT,
    THROTTLE_PER_NAME,
    THROTTLE_WINDOW,
    Throttled,
    UNKNOWN_ACCOUNT,
    _audit,
    _aware,
    _text,
    changed_paths,
    diff_summary,
    require_role,
)
from .versions import (  # noqa: F401
    _current_pack,
    _next_number,
    _pack_cache,
    _serving,
    current_token,
    current_version,
    ensure_seeded,
    get_version,
    version_info,
    versions,
)
from .users import (  # noqa: F401
    _NAME_RE,
    _attempt_key,
    _kommun_code,
    _safe_login_name,
    active_user,
    add_user,
    authenticate,
    get_user,
    set_active,
    set_password,
    users,
)
from .drafts import (  # noqa: F401
    _may_edit,
    _write_files,
    create_draft,
    draft_dir,
    drafts,
    get_draft,
    import_draft,
    may_change_path,
    may_view,
    save_file,
    send_back,
    submit,
    submit_note,
)
from .publishing import (  # noqa: F401
    CheckReport,
    _contributors,
    _rebased,
    approve,
    audit,
    audit_info,
    check_files,
    export,
    publish,
)
from .kommun import (  # noqa: F401
    AVAILABILITY_HEADER,
    ReportEntry,
    _PERSONAL_MAIL,
    _entries_of,
    availability_text,
    report_availability,
    reported_entries,
)
