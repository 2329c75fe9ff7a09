"""Writes of sales: the CSV import."""

from __future__ import annotations

from typing import IO

from django.db import transaction as db_transaction

from finance.models import Product, Sale, Warehouse, Workspace
from finance.services.csv_import import (
    IMPORT_BATCH_SIZE,
    Column,
    CsvImportError,
    ImportResult,
    RowError,
    csv_rows_parse,
    parse_choice,
    parse_date,
    parse_non_negative_decimal,
    parse_positive_int,
    parse_text,
)
from finance.signals import rows_imported

#: How the optional promotion column may say yes or no.
PROMOTION = {"yes": "Yes", "no": "No", "1": "1", "0": "0", "true": "True", "false": "False", "y": "Y", "n": "N"}
SALE_COLUMNS = [
    Column("date", parse_date),
    Column("sku", parse_text(40), aliases=("product",)),
    Column("warehouse", parse_text(20)),
    Column("quantity", parse_positive_int),
    Column(  # Sale.unit_price is NUMERIC(12, 2)
        "unit_price", lambda value: parse_non_negative_decimal(value, max_digits=12), required=False,
        aliases=("price",),
    ),
    Column("on_promotion", parse_choice(PROMOTION), required=False, default="no", aliases=("promotion", "promo")),
]


@db_transaction.atomic
def sale_import_csv(*, workspace: Workspace, file: IO[bytes] | IO[str]) -> ImportResult:
    """Import every row of a sales CSV into ``workspace``, or none of them.

    Columns: ``date``, ``sku`` (a product of this workspace), ``warehouse`` (a warehouse
    code of this workspace), ``quantity`` (≥ 1) and optionally ``unit_price`` (defaults
    to the product's price) and ``on_promotion`` (yes/no, 1/0, true/false; default no).
    """
    rows = csv_rows_parse(file, columns=SALE_COLUMNS)
    products = {p.sku.lower(): p for p in Product.objects.filter(workspace=workspace)}
    warehouses = {w.code.lower(): w for w in Warehouse.objects.filter(workspace=workspace)}
    errors: list[RowError] = []
    objects: list[Sale] = []
    for row in rows:
        product = products.get(row["sku"].lower())
        warehouse = warehouses.get(row["warehouse"].lower())
        if product is None:
            errors.append(RowError(row["_row"], "sku", f"'{row['sku']}' is not a product of this workspace"))
        if warehouse is None:
            errors.append(
                RowError(row["_row"], "warehouse", f"'{row['warehouse']}' is not a warehouse of this workspace")
            )
        if product is None or warehouse is None:
            continue
        objects.append(
            Sale(
                workspace=workspace,
                product=product,
                warehouse=warehouse,
                date=row["date"],
                quantity=row["quantity"],
                unit_price=row["unit_price"] if row["unit_price"] is not None else product.unit_price,
                on_promotion=row["on_promotion"] in ("yes", "1", "true", "y"),
            )
        )
    if errors:
        raise CsvImportError(errors)
    Sale.objects.bulk_create(objects, batch_size=IMPORT_BATCH_SIZE)
    rows_imported.send(sender=Sale, workspace=workspace, rows=objects)
    return ImportResult(created=len(objects))
