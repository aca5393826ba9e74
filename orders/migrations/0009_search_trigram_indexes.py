"""LIST-4: fragment search served by trigram indexes on PostgreSQL.

The search uses Django's `icontains`, which PostgreSQL runs as `UPPER(column) LIKE UPPER('%…%')`:
a GIN index over `UPPER(column) gin_trgm_ops` answers it without reading every row. SQLite (the
demo) has no pg_trgm and runs the same query as a scan; nothing is created there.
"""

from django.db import migrations

COLUMNS = {
    "order_trgm_cn": "UPPER(common_name)",
    "order_trgm_sans": "UPPER((sans)::text)",
    "order_trgm_reference": "UPPER(reference)",
    "order_trgm_customer_ref": "UPPER(customer_reference)",
    "order_trgm_ca_ref": "UPPER(ca_reference)",
    "order_trgm_custom_1": "UPPER(custom_1)",
    "order_trgm_custom_2": "UPPER(custom_2)",
    "order_trgm_custom_3": "UPPER(custom_3)",
    "order_trgm_custom_4": "UPPER(custom_4)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in COLUMNS.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON orders_order USING gin ({expression} gin_trgm_ops)"
        )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS organisation_trgm_name ON accounts_organisation "
        "USING gin (UPPER(name) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in [*COLUMNS, "organisation_trgm_name"]:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0008_custom_fields_list_indexes"),
        ("accounts", "0009_custom_fields_list_columns"),
    ]

    operations = [migrations.RunPython(create, drop)]
