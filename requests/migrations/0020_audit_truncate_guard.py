"""On PostgreSQL the audit tables refuse TRUNCATE, and the heads and the ledger only move forward (DESIGN §4).

0002 refuses UPDATE and DELETE of an event; TRUNCATE fires no row trigger, so it needs a statement trigger of its
own. A head must still be updated on every append, so its UPDATE is allowed when it keeps its case and does not go
back (its MAC covers the rest); a head or the ledger is never deleted.

pytest-django empties the tables between transactional tests with TRUNCATE: a session that sets
`privacyportal.audit_truncate = 'allow'` may (the test settings do, on their connections). That opens nothing to
the application's role, which holds no TRUNCATE privilege (docs/operator-guide.md); whoever owns the tables could
drop these triggers anyway, and what they then change `verify_audit` reports.
SQLite has neither TRUNCATE nor these triggers: the migration does nothing there.
"""

from django.db import migrations

TABLES = ("requests_requestevent", "requests_audithead", "requests_auditledger")

CREATE = """
CREATE OR REPLACE FUNCTION requests_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('privacyportal.audit_truncate', true) = 'allow' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is part of the audit trail: TRUNCATE refused', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION requests_audit_forward_only() RETURNS trigger AS $$
-- TG_ARGV[0]: the column naming the row, which never changes; TG_ARGV[1]: the counter, which never goes down.
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '% is part of the audit trail: DELETE refused', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF to_jsonb(NEW) -> TG_ARGV[0] IS DISTINCT FROM to_jsonb(OLD) -> TG_ARGV[0]
       OR (to_jsonb(NEW) ->> TG_ARGV[1])::bigint < (to_jsonb(OLD) ->> TG_ARGV[1])::bigint THEN
        RAISE EXCEPTION '% is part of the audit trail: an UPDATE may only move it forward', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER requests_audithead_forward_only
    BEFORE UPDATE OR DELETE ON requests_audithead
    FOR EACH ROW EXECUTE FUNCTION requests_audit_forward_only('request_id', 'seq');
CREATE TRIGGER requests_auditledger_forward_only
    BEFORE UPDATE OR DELETE ON requests_auditledger
    FOR EACH ROW EXECUTE FUNCTION requests_audit_forward_only('id', 'chains');
""" + "".join(
    f"""
CREATE TRIGGER {table}_no_truncate
    BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION requests_audit_no_truncate();
"""
    for table in TABLES
)

DROP = "".join(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};\n" for table in TABLES) + """
DROP TRIGGER IF EXISTS requests_audithead_forward_only ON requests_audithead;
DROP TRIGGER IF EXISTS requests_auditledger_forward_only ON requests_auditledger;
DROP FUNCTION IF EXISTS requests_audit_forward_only();
DROP FUNCTION IF EXISTS requests_audit_no_truncate();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("requests", "0019_audit_heads")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
