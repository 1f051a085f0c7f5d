from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("identity", "0006_api_token_scopes_expiry")]

    operations = [
        migrations.AddField(
            model_name="department", name="i18n", field=models.JSONField(blank=True, default=dict)
        ),
    ]
