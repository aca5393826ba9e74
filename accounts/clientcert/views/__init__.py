"""Views of the certificate login (ACC-7) and of the administrators' certificate actions (ADM-3)."""
