"""Server-rendered pages for end users: sign-in, overview, transactions, budgets, goals,
inventory.

Views are thin: reads come from :mod:`finance.selectors`, writes from forms and
:mod:`finance.services`. Every page needs a signed-in user and works inside the
*current workspace* (kept in the session, see :mod:`finance.views.base`).
"""
