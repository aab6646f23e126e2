"""Administration of the municipality's setup: departments, categories, routing rules with explain, areas.

Each page is a module of its own that registers its views on the console's
blueprint and lists itself on the administration index:
``admin_setup_departments``, ``admin_setup_categories``, ``admin_setup_rules``
and ``admin_setup_areas``; their forms share ``admin_setup_forms``.
"""

from __future__ import annotations

from service.web.console import (  # noqa: F401  (registers the views on bp)
    admin_setup_areas,
    admin_setup_categories,
    admin_setup_departments,
    admin_setup_rules,
)
