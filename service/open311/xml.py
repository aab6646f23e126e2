"""Open311 documents in XML, element by element as the GeoReport v2 examples write them.

A document is the same plain structure as its JSON form: a list is written as
repeated child elements whose name is the singular of the list's name (a list
of ``services`` is ``<service>`` elements), a dictionary as child elements, a
boolean as ``true``/``false`` and a missing value as an empty element.

Every text is made fit for XML 1.0 first (the documents carry no XML
attributes): whatever a report, a reply or a category holds, the document
parses.
"""

from __future__ import annotations

import re
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

# The characters XML 1.0 cannot carry, even as character references
# (https://www.w3.org/TR/xml/#charsets): C0 controls other than tab, line
# feed and carriage return, surrogates, and U+FFFE and U+FFFF.
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
REPLACEMENT = "\ufffd"


def xml_safe(text: str) -> str:
    """``text`` with every character XML 1.0 cannot carry replaced by U+FFFD."""
    return NOT_XML.sub(REPLACEMENT, text)


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
        element.text = xml_safe(str(value))
