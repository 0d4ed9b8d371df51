/* Sorting and filtering of the portfolio's ranking table, in the HTML only (the PDF keeps the full table).
   No network, no libraries, no innerHTML: rows are moved and hidden, tenant text is never parsed. */
(function () {
  "use strict";
  var table = document.getElementById("ranking-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var selects = Array.prototype.slice.call(document.querySelectorAll("#ranking-filters select"));
  var count = document.getElementById("filter-count");

  function has(list, value) { return ("|" + (list || "") + "|").indexOf("|" + value + "|") >= 0; }

  function apply() {
    var wanted = {};
    selects.forEach(function (select) { wanted[select.name] = select.value; });
    var shown = 0;
    rows.forEach(function (row) {
      var ok = (!wanted.grade || row.getAttribute("data-grade") === wanted.grade)
        && (!wanted.area || has(row.getAttribute("data-areas"), wanted.area))
        && (!wanted.check || has(row.getAttribute("data-checks"), wanted.check))
        && (!wanted.tag || has(row.getAttribute("data-tags"), wanted.tag));
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " tenants shown";
  }

  function sortBy(header) {
    var key = header.getAttribute("data-sort");
    var numeric = header.getAttribute("data-type") === "number";
    var descending = header.getAttribute("aria-sort") === "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) { cell.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
    var sign = descending ? -1 : 1;
    rows.sort(function (a, b) {
      var x = a.getAttribute("data-" + key), y = b.getAttribute("data-" + key);
      if (numeric) {
        x = x === "" ? -Infinity : parseFloat(x);
        y = y === "" ? -Infinity : parseFloat(y);
        return x === y ? 0 : (x < y ? -sign : sign);
      }
      return sign * x.localeCompare(y);
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  selects.forEach(function (select) { select.addEventListener("change", apply); });
  document.getElementById("filter-reset").addEventListener("click", function () {
    selects.forEach(function (select) { select.value = ""; });
    apply();
  });
  Array.prototype.forEach.call(table.querySelectorAll("th[data-sort]"), function (header) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "sort-button";
    button.textContent = header.textContent;
    button.addEventListener("click", function () { sortBy(header); });
    header.textContent = "";
    header.appendChild(button);
  });
  document.getElementById("ranking-filters").hidden = false;
  apply();
}());
