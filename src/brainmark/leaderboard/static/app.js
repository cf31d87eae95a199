// Client-side sorting and filtering of tables (no dependencies).
(function () {
  function cellValue(row, index, type) {
    const cell = row.children[index];
    const raw = cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim();
    if (type === "number") { const v = parseFloat(raw); return isNaN(v) ? null : v; }
    return raw.toLowerCase();
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (th, index) {
      th.addEventListener("click", function (event) {
        if (event.target.tagName === "A") return;
        const type = th.dataset.type || "text";
        const desc = !th.classList.contains("sorted-desc");
        table.querySelectorAll("thead th").forEach(function (h) { h.classList.remove("sorted-asc", "sorted-desc"); });
        th.classList.add(desc ? "sorted-desc" : "sorted-asc");
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        rows.sort(function (a, b) {
          const x = cellValue(a, index, type), y = cellValue(b, index, type);
          if (x === null && y === null) return 0;
          if (x === null) return 1;            // missing values always last
          if (y === null) return -1;
          const c = x < y ? -1 : x > y ? 1 : 0;
          return desc ? -c : c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  const filter = document.getElementById("filter");
  const table = document.getElementById("leaderboard");
  if (filter && table) {
    filter.addEventListener("input", function () {
      const q = filter.value.toLowerCase();
      let shown = 0;
      Array.from(table.tBodies[0].rows).forEach(function (r) {
        const match = r.dataset.model.toLowerCase().includes(q);
        r.style.display = match ? "" : "none";
        if (match) shown += 1;
      });
      const count = document.getElementById("model-count");
      if (count) count.textContent = shown;
    });
  }
})();
