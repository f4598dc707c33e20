# raptor2's rapper: an independent RDF parser to cross-check kg's serialisations.
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then echo "not root: skipping raptor2-utils"; exit 0; fi
command -v rapper >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq raptor2-utils >/dev/null
rapper --version
# jsonld.js: an independent JSON-LD processor (raptor2 does not read JSON-LD)
if command -v npm >/dev/null && [ ! -d tests/.node/node_modules/jsonld ]; then
  npm install --silent --no-audit --no-fund --prefix tests/.node jsonld@8.3.3 >/dev/null 2>&1 || echo "npm install jsonld failed"
fi
