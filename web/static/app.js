// Dư Luận — progressive enhancement only; every page works without it.
// Loaded from our own origin (the CSP allows no inline or third-party script).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // facets: apply a filter as soon as it is ticked
  document.querySelectorAll("input.autosubmit").forEach(function (el) {
    el.addEventListener("change", function () {
      var form = document.getElementById(el.getAttribute("form") || "") || el.form;
      if (form) { form.requestSubmit ? form.requestSubmit() : form.submit(); }
    });
  });
  // destructive buttons ask first
  document.querySelectorAll("button.confirm").forEach(function (el) {
    el.addEventListener("click", function (ev) {
      var msg = document.documentElement.lang === "vi" ? "Chắc chắn?" : "Are you sure?";
      if (!window.confirm(msg)) { ev.preventDefault(); }
    });
  });
});
