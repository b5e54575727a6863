// The harvest form: while members' rows are typed and the lot's quantity is empty, show
// their sum in it as a hint (its placeholder). The server adds them up itself when the
// quantity is left empty, so the page works the same without this script; rows in another
// unit than the lot's leave the hint out (the server converts them).
(function () {
  "use strict";
  function number(text) {
    var raw = (text || "").replace(/\s/g, "");
    if (!raw) { return 0; }
    // As the server reads it: 12,5 or 12.5; a dot before three digits is a thousands
    // separator, refused as ambiguous.
    if ((raw.indexOf(",") >= 0 && raw.indexOf(".") >= 0) || /^\d{1,3}(\.\d{3})+$/.test(raw)) {
      return NaN;
    }
    raw = raw.replace(",", ".");
    return /^\d*\.?\d+$|^\d+\.$/.test(raw) ? parseFloat(raw) : NaN;
  }
  function start() {
    var form = document.querySelector("form[data-pooled-total]");
    if (!form) { return; }
    var total = form.querySelector("#quantity");
    var lotUnit = form.querySelector("#unit");
    var rows = form.querySelectorAll("[data-testid=contribution-row]");
    function update() {
      var sum = 0;
      var ok = true;
      var any = false;
      rows.forEach(function (row) {
        var qty = row.querySelector("input[id$=-quantity]").value;
        var unit = row.querySelector("select[id$=-unit]").value;
        var value = number(qty);
        if (!qty.trim()) { return; }
        any = true;
        if (isNaN(value) || (unit && unit !== lotUnit.value)) { ok = false; return; }
        sum += value;
      });
      total.placeholder = any && ok
        ? String(Math.round(sum * 10000) / 10000).replace(".", form.getAttribute("data-decimal") || ",")
        : "";
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
