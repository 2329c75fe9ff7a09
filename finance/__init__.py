"""The books: workspaces, members, transactions, categories, budgets, goals and inventory."""
