(function () {
  "use strict";
  var table = document.getElementById("checktable");
  var controls = document.getElementById("controls");
  if (!table || !controls) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var texts = null;
  var search = document.getElementById("q");
  var group = document.getElementById("group");
  var shown = document.getElementById("shown");
  var boxes = Array.prototype.slice.call(controls.querySelectorAll("input[type=checkbox]"));
  controls.hidden = false;

  function keyOf(row) { return row.className.split(" ")[0].slice(2); }

  function apply() {
    var on = {};
    boxes.forEach(function (box) { on[box.value] = box.checked; });
    var needle = search.value.trim().toLowerCase();
    if (needle && texts === null) {
      texts = rows.map(function (row) { return row.textContent.toLowerCase(); });
    }
    var count = 0;
    var visibleByGroup = {};
    rows.forEach(function (row, index) {
      var visible = on[keyOf(row)] !== false && (!needle || texts[index].indexOf(needle) !== -1);
      row.hidden = !visible;
      if (visible) {
        count += 1;
        var name = row.getAttribute("data-g");
        if (name !== null) { visibleByGroup[name] = (visibleByGroup[name] || 0) + 1; }
      }
    });
    Array.prototype.forEach.call(body.querySelectorAll("tr.grp"), function (header) {
      var n = visibleByGroup[header.getAttribute("data-g")] || 0;
      header.hidden = n === 0;
      header.firstChild.lastChild.textContent = " (" + n + ")";
    });
    shown.textContent = count + " of " + rows.length + " shown";
  }

  function regroup() {
    Array.prototype.forEach.call(body.querySelectorAll("tr.grp"), function (header) {
      body.removeChild(header);
    });
    var column = group.value === "" ? -1 : parseInt(group.value, 10);
    var ordered = rows.slice();
    if (column >= 0) {
      var keyed = rows.map(function (row, index) {
        var name = row.cells[column].textContent || "(none)";
        row.setAttribute("data-g", name);
        return { row: row, name: name, index: index };
      });
      keyed.sort(function (a, b) {
        return a.name < b.name ? -1 : a.name > b.name ? 1 : a.index - b.index;
      });
      ordered = keyed.map(function (entry) { return entry.row; });
    } else {
      rows.forEach(function (row) { row.removeAttribute("data-g"); });
    }
    var fragment = document.createDocumentFragment();
    var last = null;
    ordered.forEach(function (row) {
      var name = row.getAttribute("data-g");
      if (column >= 0 && name !== last) {
        var header = document.createElement("tr");
        header.className = "grp";
        header.setAttribute("data-g", name);
        var cell = document.createElement("th");
        cell.colSpan = row.cells.length;
        var label = document.createElement("span");
        label.textContent = group.options[group.selectedIndex].text + ": " + name;
        cell.appendChild(label);
        cell.appendChild(document.createElement("span"));
        header.appendChild(cell);
        fragment.appendChild(header);
        last = name;
      }
      fragment.appendChild(row);
    });
    body.appendChild(fragment);
    apply();
  }

  boxes.forEach(function (box) { box.addEventListener("change", apply); });
  search.addEventListener("input", apply);
  group.addEventListener("change", regroup);
  shown.textContent = rows.length + " shown";
})();
