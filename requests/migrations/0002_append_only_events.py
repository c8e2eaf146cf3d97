"""On PostgreSQL the database itself refuses to change or delete an audit event (DESIGN §4).

TRUNCATE stayed possible here; 0020 refuses it too. `verify_audit` still catches any change made behind the
application's back by a superuser who drops the triggers.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION requests_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'requests_requestevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER requests_event_append_only
    BEFORE UPDATE OR DELETE ON requests_requestevent
    FOR EACH ROW EXECUTE FUNCTION requests_event_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS requests_event_append_only ON requests_requestevent;
DROP FUNCTION IF EXISTS requests_event_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("requests", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
