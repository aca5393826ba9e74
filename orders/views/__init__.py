"""Views of the orders app, one module per page family; thin: parse, call a service, render."""
