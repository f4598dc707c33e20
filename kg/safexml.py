"""Check RDF files before rdflib parses them: no entity bombs, no external entities, no fetches.

rdflib's RDF/XML parser (Python's expat through ``xml.sax``) does not fetch external entities,
but it does expand internal ones, and slowly: a 1 KB "billion laughs" file expanding to 3 MB of
text takes minutes, one level more never ends. Its JSON-LD parser fetches a remote ``@context``
over the network. :func:`check_rdf_file` refuses both before the parse; :func:`parse_rdf` checks
and then parses.

The rules for XML (RDF/XML, OWL): a DTD may declare internal entities (OWL files abbreviate
namespaces that way), but no external entity or external parameter entity, no entity whose value
refers to another entity (that is how bombs multiply), and the text after expansion may not
exceed ``16 × file size + 1 MiB``. For JSON-LD: every ``@context`` must be inline (an object),
and ``@import`` is refused.

Example:
    >>> check_xml(b'<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><r>&e;</r>')
    Traceback (most recent call last):
    ...
    kg.errors.InputError: <data>: the XML declares an external entity 'e' (file:///etc/passwd); kg does not read external entities: inline the content
    >>> check_xml(b'<!DOCTYPE r [<!ENTITY rdf "http://www.w3.org/1999/02/22-rdf-syntax-ns#">]><r a="&rdf;type"/>')
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from xml.parsers import expat

from kg.errors import InputError

MAX_EXPANSION_FACTOR = 16
MAX_EXPANSION_EXTRA = 1 << 20
# a reference to a declared entity (character references and the five predefined ones are fine)
_ENTITY_REF = re.compile(r"&(?!#|(?:amp|lt|gt|quot|apos);)[^\s&;]+;")


class _Refused(Exception):
    """Raised inside expat handlers to stop the parse."""


def check_xml(data: bytes, source: str = "<data>") -> None:
    """Raise :class:`InputError` when XML ``data`` declares external or nested entities or
    expands to far more text than it holds; otherwise return.

    >>> check_xml(b"<r>plain</r>")
    """
    limit = MAX_EXPANSION_FACTOR * len(data) + MAX_EXPANSION_EXTRA
    expanded = 0
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)  # never read an external DTD

    def entity(name, is_parameter, value, base, system_id, public_id, notation):
        kind = "parameter entity" if is_parameter else "entity"
        if system_id or public_id or notation:
            raise _Refused(f"the XML declares an external {kind} {name!r} ({system_id or public_id}); kg does not "
                           f"read external entities: inline the content")
        if value and _ENTITY_REF.search(value):
            raise _Refused(f"the XML {kind} {name!r} refers to other entities, the pattern of an entity bomb "
                           f"('billion laughs'); kg refuses nested entities")
        count(len(value or ""))  # parameter entities are expanded into values as they are declared

    def count(n: int) -> None:
        nonlocal expanded
        expanded += n
        if expanded > limit:
            raise _Refused(f"the XML expands to more than {limit} characters of text (from {len(data)} bytes): "
                           f"an entity bomb? kg refuses it")

    def external(context, base, system_id, public_id):
        raise _Refused(f"the XML refers to an external entity ({system_id or public_id}); kg does not read them")

    parser.EntityDeclHandler = entity
    parser.ExternalEntityRefHandler = external
    parser.CharacterDataHandler = lambda text: count(len(text))
    parser.StartElementHandler = lambda name, attrs: count(len(name) + sum(len(k) + len(v) for k, v in attrs.items()))
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise InputError(f"{source}: {exc}") from None
    except expat.ExpatError as exc:
        # malformed XML, or expat's own entity-amplification guard: the parse would fail anyway
        raise InputError(f"{source}: not well-formed XML: {expat.ErrorString(exc.code)} "
                         f"(line {exc.lineno}, column {exc.offset})") from None


def check_jsonld(data: bytes, source: str = "<data>") -> None:
    """Raise :class:`InputError` when JSON-LD ``data`` names a remote ``@context`` or ``@import``
    (rdflib would fetch it: a request to any host the file names); otherwise return.

    >>> check_jsonld(b'{"@context": {"name": "https://schema.org/name"}, "name": "x"}')
    >>> check_jsonld(b'{"@context": "http://127.0.0.1:8080/ctx.jsonld"}')
    Traceback (most recent call last):
    ...
    kg.errors.InputError: <data>: the JSON-LD names a remote @context ('http://127.0.0.1:8080/ctx.jsonld'); kg does not fetch contexts: inline it as an object
    """
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise InputError(f"{source}: not JSON: {exc}") from None
    stack: list[Any] = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                if key == "@import":
                    raise InputError(f"{source}: the JSON-LD uses @import ({value!r}); kg does not fetch contexts: "
                                     f"inline it")
                if key == "@context":
                    for ctx in value if isinstance(value, list) else [value]:
                        if isinstance(ctx, str):
                            raise InputError(f"{source}: the JSON-LD names a remote @context ({ctx!r}); kg does not "
                                             f"fetch contexts: inline it as an object")
                stack.append(value)


def check_rdf_file(path: Path | str, fmt: str) -> None:
    """Check an RDF file before rdflib parses it as ``fmt`` (rdflib's format name); formats that
    cannot reach the network or expand entities ("turtle", "trig", "nt", "nquads") pass as is.

    >>> check_rdf_file("graph.ttl", "turtle")
    """
    if fmt in ("xml", "application/rdf+xml", "trix"):
        check_xml(Path(path).read_bytes(), str(path))
    elif fmt in ("json-ld", "jsonld", "application/ld+json"):
        check_jsonld(Path(path).read_bytes(), str(path))


def parse_rdf(graph, path: Path | str, fmt: str):
    """``graph.parse(path, format=fmt)`` after :func:`check_rdf_file`; returns what parse returns.

    Example:
        >>> from rdflib import Dataset
        >>> parse_rdf(Dataset(), "evil.rdf", "xml")      # doctest: +SKIP
        Traceback (most recent call last):
        kg.errors.InputError: evil.rdf: the XML entity 'a1' refers to other entities, …
    """
    check_rdf_file(path, fmt)
    return graph.parse(path, format=fmt)


__all__ = ["check_jsonld", "check_rdf_file", "check_xml", "parse_rdf"]
