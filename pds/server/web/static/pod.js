// Progressive enhancement only: every page works without this file.
// 1. New access requests show up without a manual reload (polls /app/updates.json).
// 2. Buttons marked data-confirm ask before submitting.
(function () {
  "use strict";
  var POLL_MS = 5000;
  var badge = document.querySelector("[data-pending-count]");
  var notice = document.querySelector("[data-live-notice]");
  var region = document.querySelector("[data-live-requests]");
  var latest = region ? region.getAttribute("data-latest") || "" : null;

  function showCount(count) {
    if (!badge) return;
    badge.textContent = count ? String(count) : "";
    badge.hidden = !count;
    badge.setAttribute("aria-label", count + " waiting");
  }

  function refreshRegion() {
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("[data-live-requests]");
        if (!fresh || !region) return;
        region.innerHTML = fresh.innerHTML;
        region.setAttribute("data-latest", fresh.getAttribute("data-latest") || "");
        if (notice) {
          notice.textContent = "A new request has arrived.";
          notice.hidden = false;
        }
      });
  }

  function poll() {
    fetch("/app/updates.json", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        showCount(data.pending);
        var newest = data.latest || "";
        if (region !== null && newest !== latest) {
          latest = newest;
          refreshRegion();
        } else if (region === null && data.pending && notice) {
          notice.innerHTML = "";
          var link = document.createElement("a");
          link.href = "/app/requests";
          link.textContent = data.pending === 1 ? "1 request is waiting for you" : data.pending + " requests are waiting for you";
          notice.appendChild(link);
          notice.hidden = false;
        }
      })
      .catch(function () { /* offline or signed out: try again later */ });
  }

  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = button && button.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  if (badge) {
    poll();
    window.setInterval(poll, POLL_MS);
  }
})();
