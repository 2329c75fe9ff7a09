"""Server-rendered ML pages for end users (the Models page, accepting or correcting a
suggested category) and the panels the finance pages load through the
``forecasting_pages`` template tags (forecast charts, budget risk, forecast demand)."""
