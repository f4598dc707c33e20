// Search suggestions for the explorer's search box (GET /api/suggest?q=…). No dependencies.
(function () {
  "use strict";
  var input = document.getElementById("q");
  var list = document.getElementById("suggestions");
  if (!input || !list) return;
  var timer = null, active = -1, seq = 0;
  function clear() { list.textContent = ""; active = -1; }
  function render(items) {
    clear();
    items.forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = item.url;
      a.className = "entity kind-" + item.kind;
      a.textContent = item.name;               // textContent: never HTML
      var kind = document.createElement("span");
      kind.className = "muted";
      kind.textContent = " " + item.kind + (item.aliases.length ? " · " + item.aliases.slice(0, 3).join(", ") : "");
      a.appendChild(kind);
      li.appendChild(a);
      list.appendChild(li);
    });
  }
  function fetchSuggestions() {
    var q = input.value.trim();
    if (!q) { clear(); return; }
    var mine = ++seq;
    fetch("/api/suggest?q=" + encodeURIComponent(q)).then(function (r) { return r.json(); })
      .then(function (items) { if (mine === seq) render(items); }).catch(clear);
  }
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(fetchSuggestions, 120); });
  input.addEventListener("keydown", function (ev) {
    var links = list.querySelectorAll("a");
    if (!links.length) return;
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      active = (active + (ev.key === "ArrowDown" ? 1 : -1) + links.length) % links.length;
      links.forEach(function (l, i) { l.classList.toggle("active", i === active); });
    } else if (ev.key === "Enter" && active >= 0) {
      ev.preventDefault();
      window.location = links[active].href;
    } else if (ev.key === "Escape") { clear(); }
  });
  document.addEventListener("click", function (ev) { if (!list.contains(ev.target) && ev.target !== input) clear(); });
})();
