from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("common", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="municipality", name="i18n", field=models.JSONField(blank=True, default=dict)
        ),
    ]
