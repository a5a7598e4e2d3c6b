// Dư Luận — progressive enhancement only; every page works without it.
// Loaded from our own origin (the CSP allows no inline or third-party script).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // facets: apply a filter as soon as it is ticked (delegated: the panel may arrive later)
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (!el.classList || !el.classList.contains("autosubmit")) { return; }
    var form = document.getElementById(el.getAttribute("form") || "") || el.form;
    if (form) { form.requestSubmit ? form.requestSubmit() : form.submit(); }
  });
  // the facet panel is counted in a second request, so the results show at once
  var panel = document.querySelector("aside.facets[data-src]");
  if (panel) {
    fetch(panel.getAttribute("data-src"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) { panel.innerHTML = html; panel.removeAttribute("data-src"); panel.classList.add("loaded"); })
      .catch(function () {
        var p = document.getElementById("facets-loading");
        if (p) { p.textContent = document.documentElement.lang === "vi" ? "Không tải được bộ lọc." : "Filters could not be loaded."; }
      });
  }
  // destructive buttons ask first
  document.querySelectorAll("button.confirm").forEach(function (el) {
    el.addEventListener("click", function (ev) {
      var msg = document.documentElement.lang === "vi" ? "Chắc chắn?" : "Are you sure?";
      if (!window.confirm(msg)) { ev.preventDefault(); }
    });
  });
});
