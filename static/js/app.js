// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  function fadeToasts(root) {
    (root || document).querySelectorAll(".toast:not([data-fading])").forEach(function (toast) {
      toast.setAttribute("data-fading", "1");
      setTimeout(function () { toast.classList.add("hide"); }, 5000);
      setTimeout(function () { toast.remove(); }, 5600);
    });
  }
  // Fill latitude/longitude fields from the browser's position when asked.
  function locate(button) {
    var form = button.closest("form");
    if (!form || !navigator.geolocation) { return; }
    var status = form.querySelector("[data-geo-status]");
    if (status) { status.textContent = button.getAttribute("data-locating") || "…"; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.querySelector("[name=lat]").value = pos.coords.latitude.toFixed(5);
      form.querySelector("[name=lon]").value = pos.coords.longitude.toFixed(5);
      if (status) { status.textContent = button.getAttribute("data-located") || "✓"; }
    }, function () {
      if (status) { status.textContent = button.getAttribute("data-failed") || "✗"; }
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-geolocate]");
    if (button) { event.preventDefault(); locate(button); }
    if (event.target.closest("[data-print]")) { window.print(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    fadeToasts();
    document.querySelectorAll("[data-geolocate]").forEach(function (b) { b.hidden = !navigator.geolocation; });
    document.querySelectorAll("[data-print]").forEach(function (b) { b.hidden = false; });
  });
  document.addEventListener("htmx:afterSettle", function () {
    fadeToasts();
    document.querySelectorAll("[data-geolocate]").forEach(function (b) { b.hidden = !navigator.geolocation; });
  });
  document.addEventListener("htmx:oobAfterSwap", function () { fadeToasts(); });
  // Ask before destructive actions (closing a shipment): data-confirm on the form.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, true);
})();
