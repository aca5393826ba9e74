"""Business rules of contracts (CON-1) and data-processing consent (CON-2).

`rules.ordering_rules(account)` answers "may this account order this product now?" for the
order pages and services of `orders`, which this app never imports: objectives count orders
through the function `orders` registers in `objectives.register_order_totals`.
"""
