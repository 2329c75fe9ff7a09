"""Realistic, deterministic demo data: two businesses and a household with years of books.

:func:`finance.demo.seed.demo_data_seed` replaces every ``is_demo`` workspace with freshly
generated ones inside one database transaction, so running it twice leaves the same
state. Everything random comes from numpy generators seeded with ``seed`` (one
independent stream per component, :mod:`finance.demo.noise`), so the same seed and end
date give identical rows and another seed gives other rows.

What is generated, per workspace:

* daily revenue with an upward trend, yearly and weekly seasonality, holidays (Black
  Friday, the Christmas run-up, closed on 25 December and 1 January, a summer dip for
  the bakery and a spring/summer peak for the hardware store) and autocorrelated noise;
* expenses in 13-14 categories: recurring bills (rent on the 1st, payroll on the 15th
  and the last working day, subscriptions, insurance) and variable spending, with
  merchant-like descriptions that repeat with small variations;
* for the businesses: products with their own seasonal demand, two warehouses, daily
  sales (Poisson counts, a day without sales has no row), suppliers, purchase orders with
  their receipts, and today's stock: each product × warehouse somewhere in its reorder
  cycle, a few of them due for an order;
* budgets for the main expense categories, goals with deadlines and progress;
* the users of the demo, with their personas.

The modules: :mod:`~finance.demo.calendar` (the days, holidays and seasonal shapes),
:mod:`~finance.demo.noise` (the generators), :mod:`~finance.demo.streams` (recurring and
random money movements on a statement), :mod:`~finance.demo.sales` (a business's sales
and daily takings), :mod:`~finance.demo.purchasing` (its purchase orders and receipts),
:mod:`~finance.demo.stock` (its stock today), :mod:`~finance.demo.accounts` (accounts and
transfers), :mod:`~finance.demo.specs` (the demo workspaces and users as data) and
:mod:`~finance.demo.seed` (writing it all).

Behavioural events are the coaching app's part (:mod:`coaching.demo`), which runs this
seed first: ``finance`` imports nothing from the other apps.
"""
