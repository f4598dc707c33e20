"""Validate the held-out gold files (schema, verbatim strings, relation endpoints, customer flags) and print counts.

Usage: python tests/heldout/validate_gold.py [ROOT]   (ROOT defaults to this directory)
"""
import json, re, html, pathlib, sys, collections


def main():
    ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent)
    TYPES = {"Company", "Product", "Site", "Person", "Other"}
    PREDS = {"hasCustomer","supplierOf","partnerOf","develops","manufactures","manufacturedBy","basedOn","locatedIn","operatesAt","acquires","invests","competitor"}
    KINDS = {"revenue","growth","shipments","spec","price","other"}
    def body(p):
        t = p.read_text(encoding='utf-8')
        assert t.startswith('\n---\n'), p
        b = t.split('\n---\n', 2)[2]
        return html.unescape(re.sub(r'<[^>]+>', '', b))
    errs = []; tot = collections.Counter(); per = []
    for g in sorted((ROOT/'gold').glob('*.json')):
        d = json.loads(g.read_text(encoding='utf-8'))
        doc = ROOT/'docs'/d['doc']
        if d['doc'] != g.stem + '.md' or not doc.exists(): errs.append(f'{g.name}: bad doc'); continue
        B = body(doc)
        def chk(s, what):
            if not isinstance(s, str) or not s or s not in B: errs.append(f'{g.name}: {what} not in body: {s!r}')
        names = {}
        for e in d['entities']:
            for k in ('name','aliases','type','customer'):
                if k not in e: errs.append(f'{g.name}: entity missing {k}: {e}')
            if e['type'] not in TYPES: errs.append(f'{g.name}: bad type {e}')
            if not isinstance(e['customer'], bool): errs.append(f'{g.name}: customer not bool {e}')
            if 'optional' in e and e['optional'] is not True: errs.append(f'{g.name}: optional must be true {e}')
            if e['name'] in names: errs.append(f'{g.name}: dup entity {e["name"]}')
            names[e['name']] = e
            chk(e['name'], 'name')
            for a in e['aliases']: chk(a, 'alias')
        allforms = collections.Counter(f for e in d['entities'] for f in [e['name']] + e['aliases'])
        for f, c in allforms.items():
            if c > 1: errs.append(f'{g.name}: surface form used twice: {f}')
        seen = set()
        for r in d['relations']:
            for k in ('subject','predicate','object','evidence'):
                if k not in r: errs.append(f'{g.name}: relation missing {k}: {r}')
            if r['predicate'] not in PREDS: errs.append(f'{g.name}: bad predicate {r}')
            for k in ('subject','object'):
                if r[k] not in names: errs.append(f'{g.name}: relation {k} not an entity: {r[k]}')
            if r['subject'] == r['object']: errs.append(f'{g.name}: self relation {r}')
            chk(r['evidence'], 'evidence')
            key = (r['subject'], r['predicate'], r['object'])
            if key in seen: errs.append(f'{g.name}: dup relation {key}')
            seen.add(key)
            if r['predicate'] in ('hasCustomer','supplierOf') and r['object'] in names:
                o = names[r['object']]
                if not o['customer']: errs.append(f'{g.name}: customer object not customer:true {r["object"]}')
                if r.get('optional') or o.get('optional'): errs.append(f'{g.name}: optional customer relation {key}')
            if 'optional' in r and r['optional'] is not True: errs.append(f'{g.name}: optional must be true {r}')
        for f in d['facts']:
            for k in ('subject','kind','value','evidence'):
                if k not in f: errs.append(f'{g.name}: fact missing {k}: {f}')
            if f['subject'] not in names: errs.append(f'{g.name}: fact subject not entity {f["subject"]}')
            if f['kind'] not in KINDS: errs.append(f'{g.name}: bad kind {f}')
            chk(f['evidence'], 'fact evidence'); chk(f['value'], 'value')
            if f['value'] not in f['evidence']: errs.append(f'{g.name}: value not in evidence {f}')
        for e in d['entities']:
            if e['customer'] and e['type'] not in ('Company','Other'): errs.append(f'{g.name}: customer on non-org {e["name"]}')
        E = d['entities']; R = d['relations']
        row = dict(doc=g.stem,
            C=sum(e['type']=='Company' for e in E), P=sum(e['type']=='Product' for e in E), S=sum(e['type']=='Site' for e in E),
            Per=sum(e['type']=='Person' for e in E), O=sum(e['type']=='Other' for e in E), cust=sum(e['customer'] for e in E),
            rels=len(R), facts=len(d['facts']), opt_ents=sum(bool(e.get('optional')) for e in E), opt_rels=sum(bool(r.get('optional')) for r in R))
        per.append(row)
        for e in E:
            tot['ent'] += 1; tot['ent_'+e['type']] += 1; tot['ent_req'] += not e.get('optional'); tot['ent_req_'+e['type']] += not e.get('optional')
            tot['cust'] += e['customer']
        for r in R:
            tot['rel'] += 1; tot['rel_req'] += not r.get('optional'); tot['p_'+r['predicate']] += 1; tot['preq_'+r['predicate']] += not r.get('optional')
        for f in d['facts']: tot['fact'] += 1; tot['k_'+f['kind']] += 1
        tot['docs'] += 1
    print('| doc | C | P | S | Per | O | cust | rels | facts | opt ents | opt rels |')
    print('|---|---|---|---|---|---|---|---|---|---|---|')
    for r in per: print('| ' + ' | '.join(str(v) for v in r.values()) + ' |')
    print(dict(sorted(tot.items())))
    print('ERRORS:', len(errs)); [print(' ', e) for e in errs]
    sys.exit(1 if errs else 0)



if __name__ == "__main__":
    main()
