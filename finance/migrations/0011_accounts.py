"""Accounts and transfers (issue 20).

Every transaction now belongs to an account of its workspace. Each workspace gets its
default account (a bank account named "Main account", in the workspace's currency) and
every transaction it holds goes there — one UPDATE per workspace —; then the column is
required. The free text the ``account`` column held is kept as ``account_label``.
Reversible: backwards the transactions leave their accounts, and the text is ``account``
again.

On SQLite, making the column required rebuilds the table, which drops the new-data
counting triggers on it: forecasting's migration 0017 installs them again.
"""

from decimal import Decimal

import django.core.validators
import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

import config.limits

DEFAULT_NAME = "Main account"


def _constraints_now(schema_editor):
    """PostgreSQL checks the new foreign keys at commit; the ALTER TABLE that follows in the
    same transaction refuses to run with those checks pending, so they run now."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def default_accounts_create(apps, schema_editor):
    Workspace = apps.get_model("finance", "Workspace")
    Account = apps.get_model("finance", "Account")
    Transaction = apps.get_model("finance", "Transaction")
    for workspace_id, currency in Workspace.objects.order_by("pk").values_list("pk", "currency"):
        account = Account.objects.create(
            workspace_id=workspace_id, name=DEFAULT_NAME, kind="bank", currency=currency, is_default=True
        )
        Transaction.objects.filter(workspace_id=workspace_id).update(account_id=account.pk)
    _constraints_now(schema_editor)


def default_accounts_leave(apps, schema_editor):
    Transaction = apps.get_model("finance", "Transaction")
    Transaction.objects.update(account_id=None)
    _constraints_now(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('finance', '0010_product_shelf_life_days'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Account',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=80, validators=[config.limits.TextValidator()])),
                ('kind', models.CharField(choices=[('cash', 'Cash'), ('bank', 'Bank account'), ('card', 'Card'), ('savings', 'Savings')], default='bank', max_length=8)),
                ('currency', models.CharField(max_length=3, validators=[config.limits.currency_validate])),
                ('opening_balance', models.DecimalField(decimal_places=2, default=Decimal('0.00'), help_text="What the account held before its first transaction (negative for a card's debt).", max_digits=14, validators=[config.limits.AmountValidator()])),
                ('number', models.CharField(blank=True, default='', help_text="Its number or id at the bank as its bank files name it (an OFX file's ACCTID), or its last four digits or more: an import puts the file's rows of that account here. Optional.", max_length=60, validators=[config.limits.TextValidator()])),
                ('is_default', models.BooleanField(default=False, help_text='Takes the transactions written without an account (one per workspace).')),
                ('is_archived', models.BooleanField(default=False, help_text='Closed: kept with its history, takes no new rows.')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('workspace', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='accounts', to='finance.workspace')),
            ],
            options={
                'ordering': ['workspace', 'is_archived', '-is_default', 'name'],
            },
        ),
        migrations.AddConstraint(
            model_name='account',
            constraint=models.UniqueConstraint(models.F('workspace'), django.db.models.functions.text.Lower('name'), name='unique_account_name'),
        ),
        migrations.AddConstraint(
            model_name='account',
            constraint=models.UniqueConstraint(condition=models.Q(('is_default', True)), fields=('workspace',), name='one_default_account'),
        ),
        migrations.AddConstraint(
            model_name='account',
            constraint=models.CheckConstraint(condition=models.Q(('is_default', True), ('is_archived', True), _negated=True), name='default_account_not_archived'),
        ),
        migrations.RenameField(
            model_name='transaction',
            old_name='account',
            new_name='account_label',
        ),
        migrations.AlterField(
            model_name='transaction',
            name='account_label',
            field=models.CharField(blank=True, default='', help_text="The account as the source named it (an imported file's account; the free text of rows written before accounts existed).", max_length=60, validators=[config.limits.TextValidator()]),
        ),
        migrations.AddField(
            model_name='transaction',
            name='account',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.RESTRICT, related_name='transactions', to='finance.account'),
        ),
        migrations.RunPython(default_accounts_create, default_accounts_leave),
        migrations.AlterField(
            model_name='transaction',
            name='account',
            field=models.ForeignKey(blank=True, help_text="The account of the workspace the money moved in; without one, the workspace's default account.", on_delete=django.db.models.deletion.RESTRICT, related_name='transactions', to='finance.account'),
        ),
        migrations.CreateModel(
            name='Transfer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14, validators=[django.core.validators.MinValueValidator(Decimal('0.01')), config.limits.AmountValidator()])),
                ('date', models.DateField(validators=[config.limits.DateRangeValidator()])),
                ('description', models.CharField(blank=True, default='', max_length=255, validators=[config.limits.TextValidator()])),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('from_account', models.ForeignKey(on_delete=django.db.models.deletion.RESTRICT, related_name='transfers_out', to='finance.account')),
                ('to_account', models.ForeignKey(on_delete=django.db.models.deletion.RESTRICT, related_name='transfers_in', to='finance.account')),
                ('workspace', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='transfers', to='finance.workspace')),
            ],
            options={
                'ordering': ['-date', '-id'],
            },
        ),
        migrations.AddIndex(
            model_name='transfer',
            index=models.Index(fields=['workspace', 'date'], name='transfer_date_idx'),
        ),
        migrations.AddConstraint(
            model_name='transfer',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='transfer_amount_positive'),
        ),
        migrations.AddConstraint(
            model_name='transfer',
            constraint=models.CheckConstraint(condition=models.Q(('from_account', models.F('to_account')), _negated=True), name='transfer_two_accounts'),
        ),
    ]
