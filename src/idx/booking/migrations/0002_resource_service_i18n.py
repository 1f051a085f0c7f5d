from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("booking", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="resource", name="i18n", field=models.JSONField(blank=True, default=dict)
        ),
        migrations.AddField(
            model_name="service", name="i18n", field=models.JSONField(blank=True, default=dict)
        ),
    ]
