// The neighbourhood graph of an entity, drawn with cytoscape.js (vendor/cytoscape.min.js).
(function () {
  "use strict";
  var box = document.getElementById("cy");
  var status = document.getElementById("graph-status");
  if (!box) return;
  if (typeof cytoscape === "undefined") {
    status.textContent = "The graph library (static/vendor/cytoscape.min.js) did not load; run kg/web/frontend/build.sh.";
    status.className = "error";
    return;
  }
  var colours = { Company: "#2456c9", Product: "#b5542a", Site: "#2f8a4c", Document: "#9aa0ad" };
  fetch("/api/graph?iri=" + encodeURIComponent(box.dataset.iri)).then(function (r) { return r.json(); })
    .then(function (data) {
      if (data.error) throw new Error(data.error);
      var elements = data.nodes.map(function (n) { return { data: n, classes: (n.center ? "center " : "") + n.kind }; })
        .concat(data.edges.map(function (e, i) {
          return { data: { id: "e" + i, source: e.source, target: e.target, label: e.relation ? e.label : "" },
                   classes: e.relation ? "relation" : "mention" };
        }));
      var cy = cytoscape({
        container: box, elements: elements, wheelSensitivity: 0.3,
        style: [
          { selector: "node", style: { "label": "data(label)", "font-size": 12, "text-valign": "bottom", "text-margin-y": 4,
              "font-family": getComputedStyle(document.body).fontFamily, "width": 18, "height": 18,
              "background-color": function (n) { return colours[n.data("kind")] || "#888"; } } },
          { selector: "node.Document", style: { "shape": "round-rectangle", "width": 14, "height": 14, "font-size": 9, "color": "#6b7385" } },
          { selector: "node.center", style: { "width": 34, "height": 34, "font-size": 16, "font-weight": 700, "border-width": 3, "border-color": "#1d2330" } },
          { selector: "edge", style: { "width": 1.5, "line-color": "#c3c9d4", "curve-style": "bezier" } },
          { selector: "edge.mention", style: { "line-style": "dashed" } },
          { selector: "edge.relation", style: { "width": 2.5, "line-color": "#5a3d8a", "target-arrow-shape": "triangle",
              "target-arrow-color": "#5a3d8a", "label": "data(label)", "font-size": 10, "text-rotation": "autorotate", "color": "#5a3d8a" } }
        ],
        // rings: the entity, its relation partners, the documents, the entities mentioned with it
        layout: { name: "concentric", animate: false, padding: 30, minNodeSpacing: 28, startAngle: 3 * Math.PI / 2,
          concentric: function (n) { return n.data("center") ? 4 : n.data("related") ? 3 : n.data("kind") === "Document" ? 2 : 1; },
          levelWidth: function () { return 1; } }
      });
      cy.on("tap", "node", function (ev) { window.location = ev.target.data("url"); });
      status.textContent = data.nodes.length + " nodes, " + data.edges.length + " edges";
      box.dataset.status = "ready";
      box.dataset.nodes = String(data.nodes.length);
    }).catch(function (err) {
      status.textContent = "cannot draw the graph: " + err.message;
      status.className = "error";
      box.dataset.status = "error";
    });
})();
