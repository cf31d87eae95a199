// The board's column groups (show or hide a region's benchmarks) and the view form (send only what differs from
// the default, so shared URLs stay short). No dependencies; loaded on every page, acts only where its elements are.
(function () {
  const table = document.getElementById("leaderboard");
  if (table) {
    table.querySelectorAll("a.toggle").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        event.stopPropagation();
        const group = link.dataset.group;
        const closed = table.classList.toggle("closed-" + group);
        link.setAttribute("aria-expanded", closed ? "false" : "true");
        link.querySelector(".arrow").textContent = closed ? "▸" : "▾";
        const open = Array.from(table.querySelectorAll("a.toggle"))
          .filter(function (a) { return a.getAttribute("aria-expanded") === "true"; })
          .map(function (a) { return a.dataset.group; });
        const url = new URL(window.location.href);
        url.searchParams.set("open", open.length ? open.join(",") : "none");
        window.history.replaceState(null, "", url.toString());
      });
    });
  }
  const form = document.getElementById("view-form");
  if (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("input").forEach(function (input) {
        if (input.type === "number" && input.dataset.default !== undefined && input.value !== ""
            && parseFloat(input.value) === parseFloat(input.dataset.default)) input.disabled = true;
        if ((input.type === "number" || input.type === "search") && input.value === "") input.disabled = true;
        if (input.type === "radio" && input.checked && input.dataset.default !== undefined) input.disabled = true;
      });
    });
    // a weight other than 0 or 1 only means something for the weighted mean: choose it
    form.querySelectorAll("input[type=number][name^='w.']").forEach(function (input) {
      input.addEventListener("change", function () {
        const v = parseFloat(input.value);
        const weighted = document.getElementById("composite-weighted");
        if (weighted && !isNaN(v) && v !== 0 && v !== 1) weighted.checked = true;
      });
    });
  }
  const asOf = document.getElementById("as-of-form");
  if (asOf) {
    asOf.addEventListener("submit", function () {
      const date = document.getElementById("as-of-date");
      if (date && date.value === "") date.disabled = true;
    });
  }
})();
