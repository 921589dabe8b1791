(function () {
  "use strict";
  // Progressive enhancement only: without this script every row is shown and nothing is missing.
  // Tables with class "sortable" get a filter box, sort buttons in their headers and, when long, pages.
  var PAGE = 25;

  function value(cell) {
    var given = cell.getAttribute("data-sort");
    return given !== null ? given : cell.textContent.trim();
  }

  function asNumber(text) {
    var cleaned = text.replace(/,/g, "").replace(/%$/, "");
    return cleaned !== "" && isFinite(cleaned) ? parseFloat(cleaned) : null;
  }

  function enhance(table, index) {
    var body = table.tBodies[0];
    var head = table.tHead;
    if (!body || !head || body.rows.length < 2) { return; }
    var rows = Array.prototype.slice.call(body.rows);
    var state = { terms: [], page: 0, column: -1, ascending: true };
    var id = table.id || "table-" + index;

    var controls = document.createElement("div");
    controls.className = "controls";
    var label = document.createElement("label");
    label.setAttribute("for", id + "-filter");
    label.textContent = "Filter rows";
    var input = document.createElement("input");
    input.type = "search";
    input.id = id + "-filter";
    input.setAttribute("aria-controls", id);
    var count = document.createElement("span");
    count.className = "count";
    count.setAttribute("aria-live", "polite");
    count.id = id + "-count";
    controls.appendChild(label);
    controls.appendChild(input);
    var previous = null;
    var next = null;
    if (rows.length > PAGE) {
      previous = document.createElement("button");
      previous.type = "button";
      previous.textContent = "Previous rows";
      previous.setAttribute("aria-controls", id);
      next = document.createElement("button");
      next.type = "button";
      next.textContent = "Next rows";
      next.setAttribute("aria-controls", id);
      controls.appendChild(previous);
      controls.appendChild(next);
    }
    controls.appendChild(count);
    var wrap = table.parentNode;
    wrap.parentNode.insertBefore(controls, wrap);

    function matching() {
      return rows.filter(function (row) {
        var text = row.textContent.toLowerCase();
        return state.terms.every(function (t) { return text.indexOf(t) !== -1; });
      });
    }

    function show() {
      var visible = matching();
      var pages = Math.max(1, Math.ceil(visible.length / PAGE));
      if (state.page >= pages) { state.page = pages - 1; }
      var first = rows.length > PAGE ? state.page * PAGE : 0;
      var last = rows.length > PAGE ? first + PAGE : visible.length;
      var keep = new Set(visible);
      rows.forEach(function (row) { row.classList.toggle("is-filtered", !keep.has(row)); });
      visible.forEach(function (row, i) { row.classList.toggle("is-paged", i < first || i >= last); });
      var shownTo = Math.min(last, visible.length);
      count.textContent = visible.length === 0 ? "No row matches." :
        "Rows " + (first + 1) + "\u2013" + shownTo + " of " + visible.length +
        (visible.length !== rows.length ? " matching (" + rows.length + " in all)" : "");
      if (previous) {
        previous.disabled = state.page === 0;
        next.disabled = state.page >= pages - 1;
      }
    }

    function sortBy(column, numeric) {
      state.ascending = state.column === column ? !state.ascending : true;
      state.column = column;
      var sign = state.ascending ? 1 : -1;
      rows.sort(function (a, b) {
        var x = value(a.cells[column]);
        var y = value(b.cells[column]);
        if (x === "" || y === "") { return x === y ? 0 : (x === "" ? 1 : -1); }
        if (numeric) {
          var nx = asNumber(x);
          var ny = asNumber(y);
          if (nx !== null && ny !== null) { return sign * (nx - ny); }
          if (nx !== null || ny !== null) { return nx !== null ? -1 : 1; }
        }
        return sign * x.localeCompare(y, undefined, { numeric: true, sensitivity: "base" });
      });
      rows.forEach(function (row) { body.appendChild(row); });
      Array.prototype.forEach.call(head.rows[0].cells, function (th, i) {
        if (i === column) { th.setAttribute("aria-sort", state.ascending ? "ascending" : "descending"); }
        else { th.removeAttribute("aria-sort"); }
      });
      state.page = 0;
      show();
    }

    Array.prototype.forEach.call(head.rows[0].cells, function (th, i) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      var arrow = document.createElement("span");
      arrow.className = "arrow";
      arrow.setAttribute("aria-hidden", "true");
      button.appendChild(arrow);
      button.title = "Sort by this column";
      th.appendChild(button);
      var numeric = th.classList.contains("num");
      button.addEventListener("click", function () { sortBy(i, numeric); });
    });
    input.addEventListener("input", function () {
      state.terms = input.value.toLowerCase().split(/\s+/).filter(function (t) { return t !== ""; });
      state.page = 0;
      show();
    });
    if (previous) {
      previous.addEventListener("click", function () { state.page -= 1; show(); });
      next.addEventListener("click", function () { state.page += 1; show(); });
    }
    show();
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), enhance);
}());
