"""The wheel ships the ontology, shapes, queries, gazetteers and pipeline config.

Builds a real (non-editable) wheel, installs it into a folder and imports kg from there, so
the resource locator is tested the way users get the package.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from .conftest import REPO


@pytest.mark.slow
def test_wheel_installed_package_finds_its_data(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(dist), str(REPO)], check=True, timeout=600)
    wheel = next(dist.glob("kg-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ("kg/_bundled/ontology/kg.ttl", "kg/_bundled/ontology/shapes.ttl",
                     "kg/_bundled/queries/customers_of.rq", "kg/data/pipeline.cfg",
                     "kg/data/gazetteers/companies.tsv"):
        assert expected in names, expected

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, timeout=600)
    probe = (
        "import kg, kg.resources as r, kg.queries as q, kg.vocab as v, rdflib;"
        "assert kg.__file__.startswith(%r), kg.__file__;"
        "onto = r.resource_path('ontology', 'kg.ttl');"
        "assert '_bundled' in str(onto), onto;"
        "g = rdflib.Graph().parse(onto);"
        "assert (v.KG.Company, rdflib.RDF.type, rdflib.OWL.Class) in g;"
        "assert 'customers_of' in [x.name for x in q.list_queries()];"
        "from kg.gazetteer import load_gazetteer; assert load_gazetteer().find('台积电');"
        "print('ok')"
    ) % str(target)
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
