// Sortable tables: press a column's header button to sort by it, again to reverse. Numbers sort
// as numbers when every cell of the column is one. The page works without this script.
(function () {
  "use strict";
  function key(row, col) {
    var cell = row.cells[col];
    return cell ? cell.textContent.trim() : "";
  }
  function sortBy(table, th, col) {
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) heads[i].removeAttribute("aria-sort");
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var numeric = rows.every(function (r) {
      var k = key(r, col);
      return k !== "" && !isNaN(Number(k));
    });
    rows.sort(function (a, b) {
      var x = key(a, col), y = key(b, col);
      var d = numeric ? Number(x) - Number(y) : (x < y ? -1 : x > y ? 1 : 0);
      return ascending ? d : -d;
    });
    var frag = document.createDocumentFragment();
    rows.forEach(function (r) { frag.appendChild(r); });
    body.appendChild(frag);
  }
  var tables = document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables, function (table) {
    if (!table.tHead || !table.tBodies.length) return;
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      var button = th.querySelector("button");
      if (button) button.addEventListener("click", function () { sortBy(table, th, col); });
    });
  });
})();
