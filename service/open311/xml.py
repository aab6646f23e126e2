"""Open311 documents in XML, element by element as the GeoReport v2 examples write them.

A document is the same plain structure as its JSON form: a list is written as
repeated child elements whose name is the singular of the list's name (a list
of ``services`` is ``<service>`` elements), a dictionary as child elements, a
boolean as ``true``/``false`` and a missing value as an empty element.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def render(root: str, document: Any) -> bytes:
    """The document as UTF-8 XML with a declaration, under the element ``root``.

    Raises KeyError for a list whose name has no known item element.
    """
    element = ElementTree.Element(root)
    _fill(element, root, document)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(element, encoding="utf-8",
                                                                             xml_declaration=False)


def _fill(element: ElementTree.Element, name: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ElementTree.SubElement(element, key), key, child)
    elif isinstance(value, (list, tuple)):
        item = ITEM_NAMES[name]
        for child in value:
            _fill(ElementTree.SubElement(element, item), item, child)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
