// Read a GEXF file with graphology-gexf (the parser Gephi Lite uses) and print what it got as JSON.
//
// Usage: node tests/gexf_check.mjs NODE_MODULES_DIR FILE.gexf
// Prints {type, multi, order, size, nodes: {id: attributes}, edges: [{source, target, ...attributes}]}.
// Exits 1 with the parser's message on stderr when the file cannot be read.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const [modulesDir, file] = process.argv.slice(2);
if (!modulesDir || !file) {
  console.error("usage: node gexf_check.mjs NODE_MODULES_DIR FILE.gexf");
  process.exit(2);
}
const require = createRequire(join(resolve(modulesDir), "noop.js"));
const Graph = require("graphology");
const gexf = require("graphology-gexf");

let graph;
try {
  graph = gexf.parse(Graph, readFileSync(file, "utf-8"));
} catch (err) {
  console.error(String(err && err.message ? err.message : err));
  process.exit(1);
}
const nodes = {};
graph.forEachNode((id, attrs) => { nodes[id] = attrs; });
const edges = [];
graph.forEachEdge((key, attrs, source, target, _sa, _ta, undirected) => {
  edges.push({ source, target, undirected, ...attrs });
});
console.log(JSON.stringify({
  type: graph.type, multi: graph.multi, order: graph.order, size: graph.size,
  meta: graph.getAttributes(), nodes, edges,
}));
