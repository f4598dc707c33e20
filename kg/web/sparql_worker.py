"""A SPARQL worker process for ``kg serve``: runs one query at a time on a read-only store.

It is started by :class:`kg.serve.QueryPool` as ``python sparql_worker.py`` (a plain script, so it
imports only pyoxigraph and rdflib's SPARQL parser, not the whole kg package with spaCy) and
speaks length-prefixed pickles over stdin/stdout. The parent kills it when a query passes its
deadline: pyoxigraph cannot interrupt a running query, a process can always be killed.

Example (what the parent sends)::

    {"init": {"path": "out/store"}}                      -> {"ok": True}
    {"query": "SELECT ...", "results_format": "json", "graph_format": "turtle", "row_limit": 1000}
                                                        -> {"ok": True, "body": b"...", ...}
"""

from __future__ import annotations

import json
import os
import pickle
import re
import struct
import sys

import pyoxigraph as ox

RESULTS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
           "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
GRAPHS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD}
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def _term_json(term) -> dict:
    """A term in the SPARQL 1.1 JSON results format."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value not in (XSD_STRING, RDF_LANG_STRING):
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": _term_json(term.subject),
                                            "predicate": _term_json(term.predicate),
                                            "object": _term_json(term.object)}}
    raise TypeError(f"unexpected term {term!r}")


def _term(spec):
    """A substitution value sent by the parent: ("iri", v) or ("literal", v, datatype, lang)."""
    if spec[0] == "iri":
        return ox.NamedNode(spec[1])
    _, value, datatype, lang = spec
    if lang:
        return ox.Literal(value, language=lang)
    return ox.Literal(value, datatype=ox.NamedNode(datatype)) if datatype else ox.Literal(value)


def _has_service(node) -> bool:
    """True when rdflib's parse tree of a query contains a SERVICE pattern anywhere."""
    stack = [node]
    while stack:
        item = stack.pop()
        if getattr(item, "name", None) == "ServiceGraphPattern":
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)) or type(item).__name__ == "ParseResults":
            stack.extend(list(item))
    return False


# Without these letters (or an escape that could spell them) no SERVICE keyword can be in a query.
_MAY_HAVE_SERVICE = re.compile(r"service|\\u", re.IGNORECASE)  # \\U too: case is ignored


def _rdflib_check(query: str) -> dict | None:
    """A second, parse-level SERVICE check (the parent has already done a lexical one).

    rdflib's parser takes 20-150 ms per query, more than most queries take to run, so it runs
    only on queries that could hold the keyword at all.
    """
    if not _MAY_HAVE_SERVICE.search(query):
        return None
    try:
        from rdflib.plugins.sparql.parser import parseQuery

        tree = parseQuery(query)
    except Exception:  # rdflib cannot parse every query Oxigraph accepts; the lexical check stands
        return None
    if _has_service(tree):
        return {"ok": False, "status": 403, "message": "SERVICE (federated query) is disabled on this endpoint"}
    return None


def _is_update(query: str) -> bool:
    try:
        from rdflib.plugins.sparql.parser import parseUpdate

        parseUpdate(query)
        return True
    except Exception:
        return False


def run(store: ox.Store, prefixes: dict, req: dict) -> dict:
    """Run one request and return the reply (never raises)."""
    query = req["query"]
    refused = _rdflib_check(query)
    if refused:
        return refused
    kwargs: dict = {}
    try:  # the graph IRIs and parameter values come from the client: a bad one is a 400, not a crash
        if req.get("default_graph"):
            kwargs["default_graph"] = [ox.NamedNode(g) for g in req["default_graph"]]
        else:
            kwargs["use_default_graph_as_union"] = True
        if req.get("named_graphs"):
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in req["named_graphs"]]
        if req.get("substitutions"):
            kwargs["substitutions"] = {ox.Variable(k): _term(v) for k, v in req["substitutions"].items()}
    except (ValueError, TypeError) as exc:
        return {"ok": False, "status": 400, "message": f"bad graph IRI or parameter value: {exc}"}
    limit = int(req.get("row_limit") or 10_000)
    try:
        result = store.query(query, **kwargs)
        if isinstance(result, ox.QueryBoolean):
            fmt = req.get("results_format", "json")
            return {"ok": True, "kind": "boolean", "format": fmt, "rows": 1, "truncated": False,
                    "body": result.serialize(format=RESULTS[fmt])}
        if isinstance(result, ox.QuerySolutions):
            names = [v.value for v in result.variables]
            bindings, truncated = [], False
            for solution in result:  # lazily: stop at the row limit without computing the rest
                if len(bindings) >= limit:
                    truncated = True
                    break
                bindings.append({n: _term_json(solution[n]) for n in names if solution[n] is not None})
            body = json.dumps({"head": {"vars": names}, "results": {"bindings": bindings}},
                              ensure_ascii=False).encode("utf-8")
            fmt = req.get("results_format", "json")
            if fmt != "json":  # the other formats are written by pyoxigraph from the same rows
                body = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON).serialize(format=RESULTS[fmt])
            return {"ok": True, "kind": "solutions", "format": fmt, "rows": len(bindings),
                    "truncated": truncated, "body": body}
        triples, truncated = [], False
        for triple in result:
            if len(triples) >= limit:
                truncated = True
                break
            triples.append(triple)
        fmt = req.get("graph_format", "turtle")
        body = ox.serialize(triples, format=GRAPHS[fmt], prefixes=prefixes if fmt == "turtle" else None)
        return {"ok": True, "kind": "graph", "format": fmt, "rows": len(triples), "truncated": truncated,
                "body": body or b""}
    except SyntaxError as exc:
        if _is_update(query):
            return {"ok": False, "status": 403, "message": "this endpoint is read-only: SPARQL updates are refused"}
        return {"ok": False, "status": 400, "message": f"malformed SPARQL query: {exc}"}
    except Exception as exc:  # evaluation errors (unbound SERVICE variable, type errors …)
        return {"ok": False, "status": 400, "message": f"query failed: {exc}"}


def _read(stream) -> dict | None:
    head = stream.read(4)
    if len(head) < 4:
        return None
    (size,) = struct.unpack(">I", head)
    return pickle.loads(stream.read(size))


def _write(stream, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack(">I", len(data)) + data)
    stream.flush()


def open_source(init: dict) -> ox.Store:
    """The store named by the parent's init message: an on-disk store, a file, or N-Quads bytes."""
    if init.get("store"):
        return ox.Store.read_only(init["store"])
    store = ox.Store()
    if init.get("file"):
        fmt = ox.RdfFormat.from_extension(os.path.splitext(init["file"])[1].lstrip(".")) or ox.RdfFormat.TRIG
        store.bulk_load(path=init["file"], format=fmt)
    else:
        store.bulk_load(init.get("nquads", b""), format=ox.RdfFormat.N_QUADS)
    return store


def main() -> None:
    reader = sys.stdin.buffer
    writer = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # nothing but replies may reach the parent's pipe
    first = _read(reader)
    if first is None:
        return
    init = first["init"]
    try:
        store = open_source(init)
    except Exception as exc:
        _write(writer, {"ok": False, "status": 500, "message": f"cannot open the graph: {exc}"})
        return
    _write(writer, {"ok": True})
    prefixes = init.get("prefixes") or {}
    while True:
        req = _read(reader)
        if req is None:
            return
        _write(writer, run(store, prefixes, req))


if __name__ == "__main__":
    main()
