// tripline console: the only script. Progressive enhancement, nothing required.
// Ask before closing an alert; keep the resolution choice visible only for "close".
(function () {
  "use strict";
  document.querySelectorAll("form.triage").forEach(function (form) {
    var action = form.querySelector("select[name=action]");
    var resolution = form.querySelector("label.resolution");
    if (!action || !resolution) return;
    function sync() { resolution.hidden = action.value !== "close"; }
    action.addEventListener("change", sync);
    sync();
  });
  document.querySelectorAll("[data-local-time]").forEach(function (el) {
    var t = new Date(el.getAttribute("data-local-time"));
    if (!isNaN(t)) el.title = t.toLocaleString();
  });
})();
